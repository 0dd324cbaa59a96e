"""failover.remote.ssh against the rig's real sshd: commands, host keys, failures."""

from __future__ import annotations

import dataclasses
import logging
from pathlib import Path

import pytest

from failover.errors import HostKeyMismatch, SyncError, UsageError
from failover.remote.ssh import SshTarget, run_command, ssh_target, verify_host_key
from tests.rig import Rig
from tests.synctree import make_inventory


@pytest.fixture
def standby(rig: Rig, tmp_path: Path) -> SshTarget:
    return ssh_target(make_inventory(rig, tmp_path), "standby")


def test_ssh_target_from_inventory(rig: Rig, tmp_path: Path) -> None:
    t = ssh_target(make_inventory(rig, tmp_path), "primary")
    assert t == SshTarget(host="primary", address=rig.primary.address, port=22, user="root",
                          identity=rig.client_key, known_hosts=rig.known_hosts,
                          connect_timeout=2.0)


def test_ssh_target_without_ssh_settings(rig: Rig, tmp_path: Path) -> None:
    inv = make_inventory(rig, tmp_path)
    bare = inv.replace(hosts={**inv.hosts, "standby": inv.hosts["standby"]
                                            .replace(ssh=None)})
    with pytest.raises(UsageError, match=r"host standby has no ssh settings"):
        ssh_target(bare, "standby")
    with pytest.raises(UsageError, match=r"unknown host 'nope'"):
        ssh_target(inv, "nope")


def test_run_command_exit_status_and_output(standby: SshTarget) -> None:
    tricky = "a b; $(touch /tmp/failover-should-not-exist) 'q'"
    result = run_command(standby, ["sh", "-c", 'printf "%s\\n" "$1"; echo oops >&2; exit 7',
                                   "sh", tricky], timeout=20)
    assert result.exit_status == 7
    assert not result.ok
    assert result.stdout == tricky + "\n"  # the argv list reached the host word for word
    assert result.stderr == "oops\n"
    assert not Path("/tmp/failover-should-not-exist").exists()


def test_run_command_shell_string(standby: SshTarget, rig: Rig) -> None:
    result = run_command(standby, "echo $((6 * 7)) && ip -br addr show eth0", timeout=20)
    assert result.ok
    assert result.stdout.startswith("42\n")
    assert rig.standby.address in result.stdout  # it ran inside the standby's namespace


def test_run_command_large_output(standby: SshTarget) -> None:
    result = run_command(standby, "head -c 1000000 /dev/zero | tr '\\0' x", timeout=20)
    assert result.ok
    assert len(result.stdout) == 1_000_000


def test_run_command_timeout(standby: SshTarget) -> None:
    with pytest.raises(SyncError, match=r"command sleep on standby did not finish within 1s"):
        run_command(standby, ["sleep", "30"], timeout=1)


def test_verify_host_key(standby: SshTarget, caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.INFO, logger="failover.remote.ssh"):
        verify_host_key(standby)  # the right key and a login: no error
    assert "verified: host=standby host_key=ok login=ok" in caplog.messages


def test_wrong_host_key_names_host_and_both_fingerprints(host_reset: Rig,
                                                         standby: SshTarget) -> None:
    with host_reset.standby.wrong_host_key(), pytest.raises(HostKeyMismatch) as err:
        run_command(standby, ["true"], timeout=20)
    text = str(err.value)
    assert f"standby ({host_reset.standby.address} port 22)" in text
    assert "CHANGED" in text
    assert text.count("SHA256:") == 2  # expected and offered
    assert "ssh-keyscan" in text
    assert str(standby.known_hosts) in text


def test_wrong_host_key_stops_verify(host_reset: Rig, standby: SshTarget) -> None:
    with host_reset.standby.wrong_host_key(), pytest.raises(HostKeyMismatch, match="standby"):
        verify_host_key(standby)


def test_unknown_host_key(standby: SshTarget, tmp_path: Path) -> None:
    empty = tmp_path / "known_hosts"
    empty.write_text("")
    with pytest.raises(HostKeyMismatch) as err:
        run_command(dataclasses.replace(standby, known_hosts=empty), ["true"], timeout=20)
    text = str(err.value)
    assert "standby" in text
    assert "is not in known_hosts" in text
    assert "ssh-keyscan -p 22" in text
    assert "SHA256:" in text
    assert empty.read_text() == ""  # nothing was added behind our back


def test_missing_known_hosts_file(standby: SshTarget, tmp_path: Path) -> None:
    with pytest.raises(HostKeyMismatch, match=r"standby .* known_hosts file .* does not exist"):
        run_command(dataclasses.replace(standby, known_hosts=tmp_path / "nope"), "true", 20)


def test_link_down_is_a_plain_sync_error(host_reset: Rig, standby: SshTarget) -> None:
    with host_reset.standby.link_down(), pytest.raises(SyncError) as err:
        run_command(standby, ["true"], timeout=20)
    assert str(err.value) == (f"cannot connect to standby ({host_reset.standby.address} port "
                              "22): no answer within 2s")


def test_sshd_stopped_is_refused(host_reset: Rig, standby: SshTarget) -> None:
    with host_reset.standby.stop_sshd(), pytest.raises(SyncError, match="connection refused"):
        run_command(standby, ["true"], timeout=20)


def test_login_refused(standby: SshTarget) -> None:
    with pytest.raises(SyncError, match=r"login to standby .* as nobody .* was refused"):
        run_command(dataclasses.replace(standby, user="nobody"), ["true"], timeout=20)
