"""Dual stack, judged (issue 20): which families a host passed this round, and what that means for
its streaks. Pure functions of a RoundReport; policy.py and dualstack.py ask them.

    family_ok(report, "scw-par")        # {"ipv4": True, "ipv6": False}; {} for an IPv4-only host
    passes(inventory, report, "ovh")    # did the host pass this round, for its failure streak?
    degraded(report, "ovh")             # (["ipv6"], ["ipv4"]): failing families, passing ones

A host is healthy for a record type only where that family's checks pass (A: IPv4, AAAA: IPv6).
A host that passes over one family and fails over the other is *degraded*: whether that counts
as a failed round (and so, after `failure_threshold` rounds, as down) is
`policy.failover_on`: `any_family` (the default: a shop that half its visitors cannot reach is
failing) or `all_families` (only a host that fails over every family fails the round). A family
the checker cannot reach itself (report.unjudged) counts for nothing.
"""

from __future__ import annotations

from failover.model.inventory import Inventory
from failover.model.results import CheckResult, RoundReport
from failover.model.state import Streak

NAMES = {"ipv4": "IPv4", "ipv6": "IPv6"}


def family_ok(report: RoundReport, host: str) -> dict[str, bool]:
    """Each judged family the host was checked over -> it passed every critical check there."""
    found: dict[str, bool] = {}
    for r in report.judged(host):
        if r.family and r.critical:
            found[r.family] = found.get(r.family, True) and r.ok
    return found


def degraded(report: RoundReport, host: str) -> tuple[list[str], list[str]]:
    """(failing families, passing families) when the host passed over some and failed over
    others this round; two empty lists otherwise."""
    fams = family_ok(report, host)
    failing = [f for f, ok in fams.items() if not ok]
    passing = [f for f, ok in fams.items() if ok]
    return (failing, passing) if failing and passing else ([], [])


def passes(inventory: Inventory, report: RoundReport, host: str) -> bool:
    """Did `host` pass this round, for its failure streak? Every critical check over every
    family; with `policy.failover_on: all_families`, over one family at least."""
    if inventory.policy.failover_on == "all_families" and degraded(report, host)[1]:
        return all(r.ok for r in report.judged(host) if r.critical and not r.family)
    return report.host_ok(host)


def family_streaks(old: dict[str, Streak], report: RoundReport, host: str) -> dict[str, Streak]:
    """Each family's own streak (a degraded host's IPv6 failing 4 rounds in a row...); families
    not judged this round keep theirs."""
    fams = family_ok(report, host)
    out = dict(old)
    for family, ok in fams.items():
        was = old.get(family, Streak())
        failed = [r for r in report.judged(host) if r.family == family and r.critical and not r.ok]
        out[family] = Streak(fail=0 if ok else was.fail + 1, ok=was.ok + 1 if ok else 0,
                             detail=failures(failed))
    return out


def failures(results: list[CheckResult]) -> str:
    """`storefront: connection refused; ssh: timeout after 2s` (the family is said elsewhere)."""
    return "; ".join(f"{r.check}: {r.detail}" for r in results)


def failing_detail(report: RoundReport, host: str, family: str) -> str:
    """Why `host` failed over `family` this round, in words."""
    return failures([r for r in report.judged(host)
                     if r.family == family and r.critical and not r.ok])


def names(families: list[str]) -> str:
    return " and ".join(NAMES.get(f, f) for f in families)


def state_words(families: dict[str, Streak]) -> tuple[str, str]:
    """(a host's health word from its family streaks: "degraded" when one family fails and
    another passes, else ""; `IPv4 ok x5, IPv6 FAILING x2 (storefront: timeout after 2s)`)."""
    failing = [f for f, s in families.items() if s.fail]
    word = "degraded" if failing and len(failing) < len(families) else ""
    text = ", ".join(f"{NAMES.get(f, f)} " + (f"FAILING x{s.fail} ({s.detail})" if s.fail
                                               else f"ok x{s.ok}")
                     for f, s in sorted(families.items()))
    return word, text
