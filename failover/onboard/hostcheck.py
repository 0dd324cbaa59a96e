"""Doctor's host findings: SSH with verified keys, rsync >= 3.1.3 (or the SFTP fallback), flock,
the clock, and the standbys' free space for each sync set. Reads only."""

from __future__ import annotations

import time
from collections.abc import Callable

from failover.errors import HostKeyMismatch, SyncError, UsageError
from failover.model.inventory import Inventory
from failover.onboard.findings import Finding, ok, problem, warning
from failover.onboard.hostfacts import HostFacts, file_sets, gather

MIN_RSYNC = (3, 1, 3)  # --modify-window=-1, nanosecond mtimes (sync/rsync.py)
MAX_SKEW = 300.0  # TSIG (RFC 2845) refuses signatures past its 300 s fudge
WARN_SKEW = 30.0
HEADROOM = 1.1  # a push stages a copy beside the live tree before it swaps


def host_findings(inventory: Inventory, clock: Callable[[], float] = time.time) -> list[Finding]:
    primary = next(iter(inventory.hosts))
    found: list[Finding] = []
    facts: dict[str, HostFacts] = {}
    for name, host in inventory.hosts.items():
        if host.ssh is None:
            found.append(problem(name, "no ssh settings: syncs and playbook commands cannot "
                                 "reach it", f"add hosts.{name}.ssh (e.g. {{user: deploy, "
                                 "identity: ~/.ssh/failover_ed25519}})"))
            continue
        try:
            facts[name] = gather(inventory, name, primary, clock)
        except HostKeyMismatch as e:
            found.append(problem(name, str(e).split("; the run stops here")[0],
                                 "fetch the key out of band and compare its fingerprint with "
                                 f"the hoster's, then add it to {inventory.ssh.known_hosts}"))
            continue
        except (SyncError, UsageError) as e:
            found.append(problem(name, f"ssh: {e}", f"check hosts.{name}.address, ssh.port, "
                                 "ssh.user and ssh.identity, and that sshd runs there"))
            continue
        ssh = host.ssh
        found.append(ok(name, f"ssh {ssh.user}@{host.address} port {ssh.port}: host key "
                              "verified, login works"))
        found += _tools(inventory, name, facts[name])
        found.append(_clock(name, facts[name]))
    found += _space(inventory, primary, facts)
    return found


def _tools(inventory: Inventory, name: str, facts: HostFacts) -> list[Finding]:
    out = []
    transports = {s.transport for s in inventory.sync if s.type == "files"}
    wanted = ".".join(map(str, MIN_RSYNC))
    if facts.rsync and facts.rsync >= MIN_RSYNC:
        out.append(ok(name, f"rsync {'.'.join(map(str, facts.rsync))}"))
    elif transports - {"sftp"}:
        have = (f"rsync {'.'.join(map(str, facts.rsync))} is older than {wanted}"
                if facts.rsync else "no rsync on the PATH of its ssh sessions")
        fallback = ("syncs fall back to SFTP (whole files, no delta: slow for a big tree)"
                    if "auto" in transports else "its sync sets (transport: rsync) will fail")
        out.append(problem(name, f"{have}: {fallback}",
                           f"install rsync >= {wanted} there (Debian/Ubuntu: apt-get install "
                           "rsync), or set `transport: sftp` on its sync sets to accept SFTP"))
    if facts.flock:
        out.append(ok(name, "flock"))
    else:
        out.append(problem(name, "no flock on the PATH of its ssh sessions: two pushes of an "
                                 "atomic set are not serialised there, and each push copies the "
                                 "live tree again first",
                           "install util-linux there (it provides flock)"))
    return out


def _clock(name: str, facts: HostFacts) -> Finding:
    if facts.remote_now is None:
        return warning(name, "its clock could not be read (`date +%s` gave no number)",
                       "make sure `date` is the coreutils one on the host")
    skew = facts.remote_now - (facts.sent + facts.received) / 2
    slack = (facts.received - facts.sent) / 2 + 1  # the round trip, and date's whole seconds
    way = "ahead of" if skew > 0 else "behind"
    said = f"clock {abs(skew):.0f} s {way} this checker's"
    if abs(skew) - slack > MAX_SKEW:
        return problem(name, f"{said}: TSIG-signed DNS updates are refused past 5 minutes, and "
                             "the audit log's times disagree with the host's logs",
                       "run NTP on the host (systemd-timesyncd or chrony) and on this checker")
    if abs(skew) - slack > WARN_SKEW:
        return warning(name, said, "run NTP on the host (systemd-timesyncd or chrony)")
    return ok(name, f"clock within {max(abs(skew), slack):.0f} s of this checker's")


def _space(inventory: Inventory, primary: str, facts: dict[str, HostFacts]) -> list[Finding]:
    out = []
    for name in inventory.hosts:
        if name == primary or name not in facts:
            continue
        for set_name, path in file_sets(inventory, name):
            used = facts[primary].used_kb.get(set_name) if primary in facts else None
            free = facts[name].free_kb.get(set_name)
            if used is None or free is None:
                out.append(warning(name, f"sync set {set_name}: free space at {path} not "
                                         f"compared (size on {primary} or free space unknown)",
                                   f"check that {primary} holds the set's path and df works"))
            elif free < used * HEADROOM:
                out.append(problem(name, f"sync set {set_name}: {_mb(free)} free at {path}, "
                                         f"the set takes {_mb(used)} on {primary}",
                                   f"free at least {_mb(int(used * HEADROOM) - free)} there "
                                   "(a push stages a copy before it swaps)"))
            else:
                out.append(ok(name, f"sync set {set_name}: {_mb(free)} free at {path} for "
                                    f"{_mb(used)}"))
    return out


def _mb(kb: int) -> str:
    return f"{kb / 1024:.1f} MB" if kb < 1024 * 1024 else f"{kb / 1024 / 1024:.1f} GB"
