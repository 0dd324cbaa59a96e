"""How a process was started (failover/who.py), as every audit line and message records it: a
parent named cron, `watch`, a terminal, a systemd unit, or a script."""

from __future__ import annotations

import os
import pty
import shutil
import subprocess
import sys
from pathlib import Path

PROBE = "from failover.who import started_via; print(started_via())"


def via(argv: list[str], **env: str) -> str:
    clean = {k: v for k, v in os.environ.items() if k != "INVOCATION_ID"}
    p = subprocess.run(argv, capture_output=True, text=True, stdin=subprocess.DEVNULL,
                       env={**clean, **env}, check=True, timeout=60)
    return p.stdout.strip()


def test_a_script_without_a_terminal() -> None:
    assert via([sys.executable, "-c", PROBE]) == "script"


def test_a_job_of_cron_through_its_shell(tmp_path: Path) -> None:
    cron = tmp_path / "cron"
    shutil.copy("/bin/sh", cron)
    # cron runs `sh -c JOB` as its child; the shell here *is* named cron, one level further up
    shell = f'"{sys.executable}" -c "{PROBE}"; exit $?'
    assert via([str(cron), "-c", f"/bin/sh -c '{shell}'; exit $?"]) == "cron"


def test_a_systemd_unit() -> None:
    assert via([sys.executable, "-c", PROBE], INVOCATION_ID="0123abcd") == "systemd"


def test_a_terminal() -> None:
    pid, fd = pty.fork()
    if pid == 0:  # the child: stdin is the pty
        os.execv(sys.executable, [sys.executable, "-c", PROBE])
    out = b""
    while True:
        try:
            chunk = os.read(fd, 1024)
        except OSError:
            break
        if not chunk:
            break
        out += chunk
    os.waitpid(pid, 0)
    os.close(fd)
    assert out.decode().strip() == "terminal"


def test_watch_says_so_itself() -> None:
    from failover.who import started_via

    assert started_via("watch") == "watch"
