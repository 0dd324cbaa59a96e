"""rsync exit codes as plain messages, and the missing-rsync signal the SFTP fallback uses.

The "remote shell" here is a local `sh` that fails like a host without rsync does; rsync itself is
real and nothing leaves the machine.
"""

from __future__ import annotations

import shlex
from pathlib import Path

import pytest

from failover.errors import SyncError
from failover.remote.ssh import SshTarget
from failover.sync.rsync import NoRsync, rsync_argv, run_rsync
from failover.sync.rsync_output import describe_exit


def test_argv_carries_bwlimit_and_io_timeout(tmp_path: Path) -> None:
    key = tmp_path / "id"
    key.write_text("")
    target = SshTarget("b", "127.0.0.2", 22, "root", key, tmp_path / "kh", 3)
    argv = rsync_argv("/m/", "root@127.0.0.2:/w/", target, delete=True, dry_run=False,
                      excludes=[], bwlimit=500, io_timeout=2.4)
    for option in ("--bwlimit=500", "--timeout=2", "--partial-dir=.rsync-partial",
                   "--delay-updates"):
        assert option in argv


def fake_host(tmp_path: Path, script: str) -> list[str]:
    (tmp_path / "src").mkdir()
    (tmp_path / "src" / "f").write_text("x")
    return ["rsync", "-a", "-e", shlex.join(["sh", "-c", script, "fake-ssh"]),
            f"{tmp_path}/src/", "host:/dst/"]


def test_missing_rsync_on_the_host_is_recognised(tmp_path: Path) -> None:
    argv = fake_host(tmp_path, "echo 'bash: line 1: rsync: command not found' >&2; exit 127")
    found = run_rsync(argv, 30)  # a result, not an exception: the SFTP fallback takes over
    assert isinstance(found, NoRsync)
    assert "rsync is not installed on the host" in str(found.error())


def test_other_failures_are_plain_sentences(tmp_path: Path) -> None:
    argv = fake_host(tmp_path, "echo 'ssh: connect to host x port 22: No route to host' >&2; "
                               "exit 255")
    with pytest.raises(SyncError) as info:  # an error, not the NoRsync result
        run_rsync(argv, 30)
    assert not isinstance(info.value, NoRsync)
    assert "No route to host" in str(info.value)
    assert describe_exit(30, "", "with b").startswith(
        "rsync with b failed (exit 30, timed out sending or receiving data)")
    assert "the connection broke mid-transfer" in describe_exit(12, "", "with b")
