"""Interruptions outside a playbook's steps: while the package is still importing, at the
confirmation prompt, and during `failover sync` after its pull."""

from __future__ import annotations

import fcntl
import os
import pty
import select
import signal
import subprocess
import time
from pathlib import Path

from tests.scenarios.interrupting import new_files, report, slow_push, wait_until
from tests.site import FAILOVER, ZONE, Site

PIPE_SIZE = 4096  # the smallest pipe Linux makes


def test_ctrl_c_while_the_package_is_still_importing(site: Site) -> None:
    """Python's import-time report on stderr, into a one-page pipe we stop reading once the
    console script's tiny entry module is in: the process then blocks in write() in the middle
    of importing the rest of the package, and that is where SIGINT lands."""
    read_end, write_end = os.pipe()
    fcntl.fcntl(write_end, fcntl.F_SETPIPE_SZ, PIPE_SIZE)
    proc = subprocess.Popen([FAILOVER, "-i", str(site.inventory), "failover", "--yes"],
                            env={**site.env, "PYTHONPROFILEIMPORTTIME": "1"},
                            stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=write_end)
    os.close(write_end)
    seen = b""
    while b"| failover.cli.entry\n" not in seen:  # the entry is imported: main() runs next
        chunk = os.read(read_end, 1)
        assert chunk, seen.decode()
        seen += chunk
    deadline = time.monotonic() + 30
    while not _blocked_writing_stderr(proc.pid):
        assert proc.poll() is None, "it ended before it blocked"
        assert time.monotonic() < deadline, "it never blocked"
        time.sleep(0.01)
    proc.send_signal(signal.SIGINT)
    rest = b""
    while chunk := os.read(read_end, 65536):
        rest += chunk
    os.close(read_end)
    assert proc.wait(timeout=30) == 130
    assert proc.stdout is not None
    assert proc.stdout.read() == b""
    proc.stdout.close()
    ours = [line for line in rest.decode().splitlines() if not line.startswith("import time")]
    assert ours == ["failover: interrupted while starting; nothing changed"]
    assert not (site.state_dir / "runs").exists()
    assert site.dns() == {ZONE: [site.primary.address], "www." + ZONE: [site.primary.address]}


def _blocked_writing_stderr(pid: int) -> bool:
    """/proc/PID/syscall: the number of the call the process sleeps in (1: write), then its fd."""
    fields = Path(f"/proc/{pid}/syscall").read_text().split()
    return fields[:2] == ["1", "0x2"]


def ask(site: Site) -> tuple[subprocess.Popen[bytes], int]:
    """`failover failover` with a terminal on stdin, once its question is on stderr; returns the
    process and our end of its terminal (what we write there, it reads as typed)."""
    keyboard, terminal = pty.openpty()
    proc = subprocess.Popen([FAILOVER, "-i", str(site.inventory), "failover"], env=site.env,
                            stdin=terminal, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    os.close(terminal)
    assert proc.stderr is not None
    asked = b""
    deadline = time.monotonic() + 60
    while b"[y/N]: " not in asked:
        assert proc.poll() is None, asked.decode()
        assert time.monotonic() < deadline, asked.decode()
        if select.select([proc.stderr], [], [], 0.1)[0]:
            asked += os.read(proc.stderr.fileno(), 4096)
    return proc, keyboard


def test_ctrl_c_at_the_confirmation_prompt_says_nothing_changed(site: Site) -> None:
    for _ in range(3):  # Ctrl-C right as the question appears, where a blocking read would hang
        proc, keyboard = ask(site)
        proc.send_signal(signal.SIGINT)
        out, err = proc.communicate(timeout=30)
        os.close(keyboard)
        assert proc.returncode == 130
        assert out == b""
        assert err.decode().splitlines()[-1] == ("failover: interrupted at the confirmation "
                                                 "prompt; nothing changed")
    proc, keyboard = ask(site)
    os.write(keyboard, b"n\n")
    out, err = proc.communicate(timeout=30)
    os.close(keyboard)
    assert proc.returncode == 2
    assert err.decode().splitlines()[-1] == "failover: not confirmed; nothing changed"
    assert not (site.state_dir / "runs").exists()
    assert site.dns() == {ZONE: [site.primary.address], "www." + ZONE: [site.primary.address]}


def test_sync_interrupted_after_its_pull_says_the_mirror_changed_and_the_standby_not(
        site: Site) -> None:
    slow_push(site)
    standby_before = site.tree(site.standby.webroot)
    pushing = new_files(site.standby.webroot)
    proc = site.popen("sync", "--yes")
    wait_until(proc, "the push to the standby", pushing)
    proc.send_signal(signal.SIGINT)
    out, err = proc.communicate(timeout=60)
    assert proc.returncode == 130, out + err
    assert "Traceback" not in err

    assert report(err) == [
        "failover: sync interrupted by Ctrl-C during the push of webroot to standby",
        "mirror of webroot updated from primary",
        "standby: the push of webroot was cut short; its live files are as they were (a push "
        "puts its changes in place only when it completes)",
        f"to finish: failover -i {site.inventory} sync --yes   (a sync is safe to run again)"]
    assert "nothing changed" not in err
    # the rig agrees: the mirror has the new page, the standby what it had
    assert "v3" in (site.state_dir / "mirror" / "webroot" / "index.html").read_text()
    assert site.tree(site.standby.webroot) == standby_before
    # the state and the audit log keep the pull that was done
    mirrors = site.state()["mirrors"]["webroot"]
    assert mirrors["pulled_at"] > mirrors["pushed"]["standby"]
    synced = [(e["direction"], e["ok"], e["interrupted"]) for e in site.audit()
              if e["event"] == "sync" and "interrupted" in e]
    assert synced == [("pull", True, False), ("push", False, True)]
