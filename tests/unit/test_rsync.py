"""rsync argv construction, output parsing and exit codes (local rsync runs, no ssh)."""

from __future__ import annotations

import shlex
import time
from pathlib import Path

import pytest

from failover.errors import HostKeyMismatch, SyncError, UsageError
from failover.remote.openssh import host_key_failure, ssh_command
from failover.remote.ssh import SshTarget
from failover.sync.rsync import parse_output, rsync_argv, run_rsync
from failover.sync.rsync_output import describe_exit, parse_itemized, parse_stats

# Captured from `LC_ALL=C rsync -a --itemize-changes --stats --delete-delay --delay-updates
# --partial-dir=.rsync-partial --exclude=*.log src/ dst/` (rsync 3.5.0) into a dst holding
# older copies: a new tree with a symlink, a name with a space, a UTF-8 name and a newline.
CAPTURED = r""".d..t...... ./
>f+++++++++ big.bin
>f+++++++++ index.html
cL+++++++++ link -> index.html
>f.st...... style.css
.f...p..... same
>f+++++++++ new\#012line
cd+++++++++ sp ace/
>f+++++++++ sp ace/f ile \#303\#251.txt
cd+++++++++ sub/
>f+++++++++ sub/a.txt
.d..t...... sub2/
*deleting   old/x
*deleting   old/
*deleting   \#303\#251t\#303\#251.txt

Number of files: 12 (reg: 8, dir: 3, link: 1)
Number of created files: 7 (reg: 4, dir: 2, link: 1)
Number of deleted files: 3 (reg: 2, dir: 1)
Number of regular files transferred: 5
Total file size: 200,030 bytes
Total transferred file size: 200,015 bytes
Literal data: 200,015 bytes
Matched data: 0 bytes
File list size: 0
File list generation time: 0.001 seconds
File list transfer time: 0.000 seconds
Total bytes sent: 200,535
Total bytes received: 1,119

sent 200,535 bytes  received 1,119 bytes  401,308.00 bytes/sec
total size is 200,030  speedup is 1.00
"""

# What ssh (OpenSSH 9.2) and rsync printed on stderr for a host whose key changed.
CHANGED_KEY_STDERR = """\
@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@
@    WARNING: REMOTE HOST IDENTIFICATION HAS CHANGED!     @
@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@
IT IS POSSIBLE THAT SOMEONE IS DOING SOMETHING NASTY!
The fingerprint for the ED25519 key sent by the remote host is
SHA256:iTIMJ1Thr2Z78R9ZGftalSVO7xpSNX/saZsQIUoS+4I.
Host key for [127.0.0.1]:2222 has changed and you have requested strict checking.
Host key verification failed.
rsync: connection unexpectedly closed (0 bytes received so far) [sender]
rsync error: unexplained error (code 255) at io.c(285) [sender=3.5.0]
"""
UNKNOWN_KEY_STDERR = """\
No ED25519 host key is known for 10.203.0.12 and you have requested strict checking.
Host key verification failed.
rsync: connection unexpectedly closed (0 bytes received so far) [sender]
rsync error: unexplained error (code 255) at io.c(285) [sender=3.5.0]
"""
KNOWN_KEY = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAILTDTlP1Xc6F9HYLxwYwEs20LcY8S5+DO2PveIjjfNK9"
KNOWN_FP = "SHA256:IfMWi0eMm7BJOtuDevbggeRKr8lmaYe2Fq31ws0p+eQ"


def target(tmp_path: Path, *, port: int = 22, name: str = "standby") -> SshTarget:
    key_dir = tmp_path / "keys dir"
    key_dir.mkdir(exist_ok=True)
    identity = key_dir / "id_ed25519"
    identity.write_text("not a real key; rsync never runs ssh for local copies\n")
    return SshTarget(host=name, address="10.203.0.12", port=port, user="root",
                     identity=identity, known_hosts=key_dir / "known_hosts",
                     connect_timeout=2.5)


def test_ssh_command_is_strict_and_survives_rsyncs_splitting(tmp_path: Path) -> None:
    t = target(tmp_path, port=2222)
    words = shlex.split(ssh_command(t))  # rsync's own splitting follows the same quoting
    assert words == [
        "ssh", "-F", "/dev/null", "-o", f'IdentityFile="{t.identity}"', "-o", "IdentitiesOnly=yes",
        "-o", f'UserKnownHostsFile="{t.known_hosts}"', "-o", "GlobalKnownHostsFile=/dev/null",
        "-o", "StrictHostKeyChecking=yes", "-o", "BatchMode=yes", "-o", "ConnectTimeout=3",
        "-o", "ServerAliveInterval=15", "-o", "ServerAliveCountMax=4", "-p", "2222",
    ]


def test_ssh_command_escapes_percent_and_refuses_quotes(tmp_path: Path) -> None:
    t = target(tmp_path)
    pct = tmp_path / "100%"
    pct.mkdir()
    (pct / "key").write_text("x")
    odd = SshTarget(**{**t.__dict__, "identity": pct / "key"})
    assert "100%%/key" in ssh_command(odd)
    quoted = SshTarget(**{**t.__dict__, "known_hosts": tmp_path / 'a"b'})
    with pytest.raises(UsageError, match="quote"):
        ssh_command(quoted)


def test_ssh_command_needs_an_identity(tmp_path: Path) -> None:
    t = SshTarget(**{**target(tmp_path).__dict__, "identity": None})
    with pytest.raises(UsageError, match=r"hosts\.standby\.ssh\.identity"):
        ssh_command(t)


def test_dry_run_argv(tmp_path: Path) -> None:
    t = target(tmp_path)
    argv = rsync_argv("/m/webroot/", "root@10.203.0.12:/srv/shop/", t, delete=True,
                      dry_run=True, excludes=["var/cache/", "*.log"], max_delete=10)
    assert argv[:7] == ["rsync", "-a", "--itemize-changes", "--modify-window=-1", "--stats",
                        "-e", ssh_command(t)]
    assert argv[7:] == ["--dry-run", "--delete", "--exclude=var/cache/", "--exclude=*.log",
                        "--", "/m/webroot/", "root@10.203.0.12:/srv/shop/"]


def test_real_run_argv_never_leaves_a_half_updated_tree(tmp_path: Path) -> None:
    argv = rsync_argv("/a b/", "root@10.203.0.12:/srv/x y/", target(tmp_path), delete=True,
                      dry_run=False, excludes=[], max_delete=7)
    assert "--dry-run" not in argv
    assert {"--delay-updates", "--partial-dir=.rsync-partial", "--delete-delay",
            "--max-delete=7"} <= set(argv)
    assert argv[-3:] == ["--", "/a b/", "root@10.203.0.12:/srv/x y/"]
    no_delete = rsync_argv("/a/", "/b/", target(tmp_path), delete=False, dry_run=False,
                           excludes=[])
    assert not [a for a in no_delete if a.startswith("--delete") or a.startswith("--max-del")]


def test_parse_itemized_captured_output() -> None:
    itemized, created, updated, deleted = parse_itemized(CAPTURED.splitlines())
    assert created == ["big.bin", "index.html", "link", "new\nline", "sp ace/",
                       "sp ace/f ile é.txt", "sub/", "sub/a.txt"]
    assert updated == ["style.css", "same"]  # `./` and mtime-only dirs are not changes
    assert deleted == ["old/x", "old/", "été.txt"]
    assert len(itemized) == 15
    assert "Number of files: 12 (reg: 8, dir: 3, link: 1)" not in itemized


def test_parse_stats_captured_output() -> None:
    assert parse_stats(CAPTURED) == {"bytes_sent": 200535, "bytes_received": 1119,
                                     "files_transferred": 5}
    assert parse_stats("") == {"bytes_sent": 0, "bytes_received": 0, "files_transferred": 0}
    result = parse_output(CAPTURED)
    assert (result.bytes_sent, result.files_transferred) == (200535, 5)


def make_tree(root: Path) -> None:
    (root / "sub").mkdir(parents=True)
    (root / "index.html").write_text("<h1>shop</h1>\n")
    (root / "style.css").write_text("body{}\n")
    (root / "sub" / "a b.txt").write_text("x\n")
    (root / "app.log").write_text("noise\n")
    (root / "link").symlink_to("index.html")


def test_local_run_plans_then_applies(tmp_path: Path) -> None:
    src, dst = tmp_path / "src", tmp_path / "dst"
    make_tree(src)
    dst.mkdir()
    (dst / "old.html").write_text("gone\n")
    (dst / "style.css").write_text("body{color:red}\n")
    t = target(tmp_path)

    def argv(dry: bool) -> list[str]:
        return rsync_argv(f"{src}/", f"{dst}/", t, delete=True, dry_run=dry,
                          excludes=["*.log"], max_delete=5)

    plan = run_rsync(argv(True), 30)
    assert sorted(plan.created) == ["index.html", "link", "sub/", "sub/a b.txt"]
    assert plan.updated == ["style.css"]
    assert plan.deleted == ["old.html"]
    assert sorted(p.name for p in dst.iterdir()) == ["old.html", "style.css"]  # dry run

    done = run_rsync(argv(False), 30)
    assert (done.created, done.updated, done.deleted) == (plan.created, plan.updated,
                                                          plan.deleted)
    assert done.files_transferred == 3
    assert done.bytes_sent > 0
    assert sorted(p.name for p in dst.iterdir()) == ["index.html", "link", "style.css", "sub"]
    assert (dst / "style.css").read_text() == "body{}\n"

    again = run_rsync(argv(False), 30)
    assert (again.created, again.updated, again.deleted) == ([], [], [])


def test_local_run_max_delete_gate(tmp_path: Path) -> None:
    src, dst = tmp_path / "src", tmp_path / "dst"
    src.mkdir()
    dst.mkdir()
    for i in range(3):
        (dst / f"f{i}").write_text("x")
    argv = rsync_argv(f"{src}/", f"{dst}/", target(tmp_path), delete=True, dry_run=False,
                      excludes=[], max_delete=1)
    with pytest.raises(SyncError, match=r"exit 25, the --max-delete limit"):
        run_rsync(argv, 30)
    assert len(list(dst.iterdir())) == 2  # exactly one deleted, then rsync stopped


def test_exit_code_names_the_reason(tmp_path: Path) -> None:
    argv = rsync_argv(f"{tmp_path}/missing/", f"{tmp_path}/dst/", target(tmp_path),
                      delete=True, dry_run=False, excludes=[])
    with pytest.raises(SyncError) as err:
        run_rsync(argv, 30)
    assert "exit 23, partial transfer" in str(err.value)
    assert "change_dir" in str(err.value)
    assert "missing" in str(err.value)


def test_timeout_stops_rsync_and_its_ssh(tmp_path: Path) -> None:
    pid_file = tmp_path / "ssh.pid"
    fake_ssh = tmp_path / "fake ssh"
    fake_ssh.write_text(f"#!/bin/sh\necho $$ > '{pid_file}'\nexec sleep 60\n")
    fake_ssh.chmod(0o755)
    argv = ["rsync", "-a", "-e", shlex.join([str(fake_ssh)]), "--", "root@10.203.0.12:/x/",
            f"{tmp_path}/dst/"]
    with pytest.raises(SyncError, match=r"did not finish within 1s"):
        run_rsync(argv, 1)
    pid = int(pid_file.read_text())
    deadline = time.monotonic() + 5
    while Path(f"/proc/{pid}").exists() and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not Path(f"/proc/{pid}").exists(), "the ssh rsync started was left running"


def test_describe_exit_codes() -> None:
    assert "partial transfer" in describe_exit(23, "", "with standby")
    assert "vanished" in describe_exit(24, "", "x")
    for code in (12, 30, 35):
        assert "exit" in describe_exit(code, "", "x")
    assert "timed out" in describe_exit(30, "", "x")
    assert "ssh failed" in describe_exit(255, "ssh: connect to host 10.203.0.12 port 22: "
                                              "Connection timed out\n", "x")
    assert describe_exit(255, "ssh: connect to host x port 22: Connection timed out\n"
                              "rsync: connection unexpectedly closed (0 bytes)\n"
                              "rsync error: unexplained error (code 255)\n", "x").endswith(
        "ssh: connect to host x port 22: Connection timed out")


def test_changed_host_key_from_ssh_stderr(tmp_path: Path) -> None:
    t = target(tmp_path, port=2222)
    t.known_hosts.write_text(f"[10.203.0.12]:2222 {KNOWN_KEY}\n")
    err = host_key_failure(CHANGED_KEY_STDERR, t)
    assert isinstance(err, HostKeyMismatch)
    text = str(err)
    assert "standby (10.203.0.12 port 2222)" in text
    assert "CHANGED" in text
    assert "SHA256:iTIMJ1Thr2Z78R9ZGftalSVO7xpSNX/saZsQIUoS+4I" in text  # offered
    assert f"expects ssh-ed25519 {KNOWN_FP}" in text  # read from known_hosts
    assert "ssh-keyscan -p 2222 10.203.0.12" in text
    assert str(t.known_hosts) in text


def test_unknown_host_key_from_ssh_stderr(tmp_path: Path) -> None:
    t = target(tmp_path)
    t.known_hosts.write_text("")
    err = host_key_failure(UNKNOWN_KEY_STDERR, t)
    assert isinstance(err, HostKeyMismatch)
    assert "standby (10.203.0.12 port 22) is not in known_hosts" in str(err)
    assert "ssh-keyscan" in str(err)
    assert host_key_failure("ssh: connect to host x port 22: Connection refused", t) is None
