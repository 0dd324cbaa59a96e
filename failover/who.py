"""Who started this process: the user, the machine, and how (cron, `watch`, a terminal, ...).

Every audit line and every notification of a run carries it (state/audit.py, notify/), so the
morning after an incident nobody has to guess whether a person or the cron job moved the shop.

How it is told, in order:
- `watch`: the command itself says so (cli/app.py passes it);
- `terminal`: standard input is a terminal (a person typed the command);
- `cron`: a parent process is cron (cron, crond, anacron; looked up in /proc, a few levels up:
  cron starts the job through a shell);
- `systemd`: started by a systemd unit (a timer's service; systemd sets $INVOCATION_ID);
- `script`: none of these (a script, CI, ssh without a terminal).
"""

from __future__ import annotations

import functools
import getpass
import os
import socket
import sys
from pathlib import Path

CRON_NAMES = frozenset({"cron", "crond", "CROND", "anacron", "busybox-crond"})
VIAS = ("watch", "terminal", "cron", "systemd", "script")


@functools.cache  # facts of this process: looked up once, however many audit logs ask
def user_at_host() -> str:
    try:
        user = getpass.getuser()
    except (KeyError, OSError):
        user = str(os.getuid())
    return f"{user}@{socket.gethostname()}"


def _parent(pid: int) -> tuple[int, str] | None:
    """(parent pid, parent's command name) of `pid`, from /proc; None when unknown."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
        ppid = int(stat[stat.rindex(")") + 2:].split()[1])
        if ppid <= 1:
            return None
        return ppid, Path(f"/proc/{ppid}/comm").read_text().strip()
    except (OSError, ValueError, IndexError):
        return None


def _under_cron(levels: int = 4) -> bool:
    pid = os.getpid()
    for _ in range(levels):
        found = _parent(pid)
        if found is None:
            return False
        pid, name = found
        if name in CRON_NAMES:
            return True
    return False


@functools.cache
def started_via(command: str = "") -> str:
    """One of VIAS: how this process was started (see the module's docstring)."""
    if command == "watch":
        return "watch"
    try:
        if sys.stdin is not None and sys.stdin.isatty():
            return "terminal"
    except ValueError:  # stdin closed
        pass
    if _under_cron():
        return "cron"
    if os.environ.get("INVOCATION_ID"):
        return "systemd"
    return "script"
