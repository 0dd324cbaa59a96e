"""Failure switches beyond hosts.py's: nftables drop rules in a host namespace, frozen servers.

    with faults.drop_port(rig.primary, 443):            # every packet to :443 dropped
    with faults.drop_port(rig.primary, 80, percent=30):  # 30% dropped (netem is not in this kernel)
    with faults.freeze(rig.primary.https):               # SIGSTOP; SIGCONT on exit

The rules live in their own table (`inet failover_fault`) inside the host's namespace, so they
touch nothing outside it; deleting the table undoes them all (RECIPE 2.6: nft rules on separate
lines, numgen for random loss).
"""

from __future__ import annotations

import logging
import os
import re
import signal

from .daemon import Daemon
from .hosts import RigHost, Undo
from .proc import RigError

log = logging.getLogger(__name__)

TABLE = "failover_fault"


def _nft(host: RigHost, script: str | None, *args: str) -> None:
    argv = ["nft", "-f", "-"] if script is not None else ["nft", *args]
    cp = host.run(argv, input_text=script, timeout=10)
    if cp.returncode != 0:
        raise RigError(f"{host.name}: nft {' '.join(args) or '-f -'}: {cp.stderr.strip()}")


def clear(host: RigHost) -> None:
    """Remove every fault rule from the host (no error if there are none)."""
    if TABLE in host.run(["nft", "list", "tables"], timeout=10).stdout:
        _nft(host, None, "delete", "table", "inet", TABLE)


def drop_port(host: RigHost, port: int, percent: int = 100, verdict: str = "drop") -> Undo:
    """Drop incoming TCP packets to `port` in the host's namespace (all, or `percent` of them);
    `verdict="reject with tcp reset"` cuts open connections at their next packet instead."""
    match = "" if percent >= 100 else f" numgen random mod 100 < {percent}"
    clear(host)
    _nft(host, f"""table inet {TABLE} {{
    chain input {{
        type filter hook input priority 0; policy accept;
        tcp dport {port}{match} counter {verdict}
    }}
}}
""")
    log.info("%s: dropping %d%% of packets to port %d", host.name, percent, port)
    return Undo(lambda: clear(host))


def dropped(host: RigHost) -> int:
    """Packets the host's drop rule has dropped so far (0 without a rule)."""
    listing = host.run(["nft", "list", "table", "inet", TABLE], timeout=10).stdout
    match = re.search(r"counter packets (\d+)", listing)
    return int(match.group(1)) if match else 0


def freeze(daemon: Daemon) -> Undo:
    """SIGSTOP the daemon: it keeps its socket, the kernel completes handshakes, nobody answers."""
    pid = daemon.proc.pid
    if pid is None or not daemon.running():
        raise RigError(f"{daemon.name} is not running")
    os.kill(pid, signal.SIGSTOP)
    log.info("%s: frozen (SIGSTOP pid %d)", daemon.name, pid)

    def thaw() -> None:
        if daemon.running():
            os.kill(pid, signal.SIGCONT)
            log.info("%s: thawed", daemon.name)

    return Undo(thaw)
