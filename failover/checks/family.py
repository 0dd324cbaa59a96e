"""Address families (issue 20): a check of a host with `address6` runs over IPv4 and IPv6 in the
same round, and a checker that cannot reach IPv6 at all says so once instead of failing hosts.

    families_for(host, check_model)     # ["ipv4", "ipv6"], ["ipv4"], [""] (IPv4-only host), []
    await run_over(check, name, host, "ipv6")   # the check against host.address6
    unreachable_families(results, control)      # {"ipv6": "why"} when the checker has no IPv6

A host without `address6` is checked as before, over IPv4, and its results carry no family (""),
so single-stack inventories read exactly as they did. A check narrowed with `family: ipv6` skips
such a host. Every check type probes `host.address`: the IPv6 run hands it a copy of the host whose
`address` is its `address6`, so no check type needs to know about families.

The checker's own IPv6 is judged, never assumed: IPv6 control targets (`tcp://[2620:fe::fe]:53`)
when the inventory lists some, else the kernel's answer to the probes themselves (every IPv6
probe "network is unreachable": no route at all), else a round in which every dual-stack host
failed every IPv6 check at once while each of them passed over IPv4 (what policy.unjudgeable says
of all hosts failing at once; a host failing over both families is down, not evidence).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import msgspec

from failover.checks.base import Check
from failover.checks.control import target_family
from failover.model.inventory import CheckBase, Host
from failover.model.results import CheckResult, ControlResult

__all__ = ["FAMILIES", "RECORD_FAMILY", "families_for", "host_over", "run_over",
           "unreachable_families"]

FAMILIES = ("ipv4", "ipv6")
RECORD_FAMILY = {"A": "ipv4", "AAAA": "ipv6"}  # the records a family's checks stand for
NAMES = {"ipv4": "IPv4", "ipv6": "IPv6"}
_NO_ROUTE = "network is unreachable"


def families_for(host: Host, model: CheckBase) -> list[str]:
    """The families `model` runs over on `host`, in order; [""] for a host without address6."""
    if host.address6 is None:
        return [] if model.family == "ipv6" else [""]
    return [f for f in FAMILIES if model.family in ("both", f)]


def host_over(host: Host, family: str) -> Host:
    """The host as a check over `family` sees it: `address` is its address6 for "ipv6"."""
    if family == "ipv6" and host.address6 is not None:
        return msgspec.structs.replace(host, address=host.address6)
    return host


async def run_over(check: Check[Any], name: str, host: Host, family: str) -> CheckResult:
    """`check.run` over one family; the result says which."""
    result = await check.run(name, host_over(host, family))
    return msgspec.structs.replace(result, family=family) if family else result


def unreachable_families(results: Sequence[CheckResult],
                         control: Sequence[ControlResult]) -> dict[str, str]:
    """Families the checker itself cannot reach this round -> why (see the module docstring).

    IPv4 never: a checker without IPv4 is offline (policy.unjudgeable), a question of its own.
    """
    v6 = [r for r in results if r.family == "ipv6"]
    targets = [c for c in control if target_family(c.target) == "ipv6"]
    if targets:
        if any(c.ok for c in targets):
            return {}
        why = ", ".join(f"{c.target} ({c.detail})" for c in targets)
        return {"ipv6": f"no IPv6 control target answers: {why}"}
    if v6 and all(not r.ok and r.detail == _NO_ROUTE for r in v6):
        return {"ipv6": f"every IPv6 probe failed with \"{_NO_ROUTE}\": no IPv6 route here"}
    hosts = {r.host for r in v6}
    failing = {r.host for r in v6 if r.critical} - {r.host for r in v6 if r.ok and r.critical}
    v4_ok = {r.host for r in results if r.family == "ipv4"} - {
        r.host for r in results if r.family == "ipv4" and r.critical and not r.ok}
    if len(hosts) >= 2 and failing == hosts and hosts <= v4_ok:
        return {"ipv6": f"every host failed every IPv6 check at once ({', '.join(sorted(hosts))})"
                        " while IPv4 answers: more likely the checker's own IPv6"}
    return {}


def unjudged_note(unjudged: dict[str, str]) -> list[str]:
    """The round's one line per family it could not judge."""
    return [f"checker has no {NAMES.get(f, f)} connectivity: {why}; {NAMES.get(f, f)} results "
            "are UNKNOWN and mark no host down" for f, why in unjudged.items()]
