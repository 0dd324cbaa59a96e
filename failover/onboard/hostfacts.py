"""What doctor learns from each host in one SSH session: its clock, rsync's version, flock, and
per sync set the space it uses (on the preferred host) or has free (on the standbys).

Contract: `gather(inventory, host, primary, clock)` runs one shell script over the inventory's
SSH (remote/ssh.py: verified host keys, the host's own key) and returns `HostFacts`; it raises
what `run_command` raises (HostKeyMismatch, UsageError, SyncError). The script is ours, built
from the inventory's paths with shlex quoting; it changes nothing on the host.
"""

from __future__ import annotations

import re
import shlex
import time
from collections.abc import Callable

import msgspec

from failover.model.inventory import Inventory
from failover.remote.ssh import run_command, ssh_target

RSYNC_VERSION = re.compile(r"version\s+(\d+)\.(\d+)\.(\d+)")
TIMEOUT = 30.0


class HostFacts(msgspec.Struct, frozen=True):
    sent: float  # this checker's clock just before connecting
    received: float  # ... and after the answer
    remote_now: float | None
    rsync: tuple[int, int, int] | None
    rsync_line: str
    flock: bool
    used_kb: dict[str, int] = {}  # set name -> kB it takes (preferred host)
    free_kb: dict[str, int] = {}  # set name -> kB free where it goes (standbys)


def file_sets(inventory: Inventory, host: str) -> list[tuple[str, str]]:
    """(set name, path on `host`) of every file set that has a path there."""
    out = []
    for s in inventory.sync:
        if s.type != "files":
            continue
        try:
            out.append((s.name, s.path_on(host).rstrip("/") or "/"))
        except KeyError:
            continue
    return out


def script(inventory: Inventory, host: str, primary: str) -> str:
    lines = ['printf "now=%s\\n" "$(date +%s)"',
             'printf "rsync=%s\\n" "$(rsync --version 2>/dev/null | head -n 1)"',
             'printf "flock=%s\\n" "$(command -v flock)"']
    for n, (_, path) in enumerate(file_sets(inventory, host)):
        q = shlex.quote(path)
        if host == primary:
            lines.append(f'printf "used.{n}=%s\\n" "$(du -sk -- {q} 2>/dev/null | cut -f1)"')
        else:
            lines.append(f'p={q}; while [ ! -e "$p" ]; do p=$(dirname -- "$p"); done; '
                         f'printf "free.{n}=%s\\n" '
                         '"$(df -Pk -- "$p" 2>/dev/null | awk \'NR==2 {print $4}\')"')
    return "\n".join(lines) + "\n"


def gather(inventory: Inventory, host: str, primary: str,
           clock: Callable[[], float] = time.time) -> HostFacts:
    sent = clock()
    result = run_command(ssh_target(inventory, host), script(inventory, host, primary), TIMEOUT)
    received = clock()
    values = dict(line.partition("=")[::2] for line in result.stdout.splitlines() if "=" in line)
    version = RSYNC_VERSION.search(values.get("rsync", ""))
    names = [name for name, _ in file_sets(inventory, host)]
    return HostFacts(
        sent=sent, received=received,
        remote_now=float(values["now"]) if values.get("now", "").isdigit() else None,
        rsync=(int(version[1]), int(version[2]), int(version[3])) if version else None,
        rsync_line=values.get("rsync", "").strip(), flock=bool(values.get("flock", "").strip()),
        used_kb={names[int(k[5:])]: int(v) for k, v in values.items()
                 if k.startswith("used.") and v.isdigit()},
        free_kb={names[int(k[5:])]: int(v) for k, v in values.items()
                 if k.startswith("free.") and v.isdigit()})
