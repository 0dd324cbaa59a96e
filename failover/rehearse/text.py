"""A rehearsal as people read it (lines), as programs read it (JSON), and as the audit keeps it.

The audit's `rehearsal` event has exactly this shape (the report reads it):
    readiness="ready"|"not ready", to=HOST, findings=[str, ...],
    rto={"estimate": s, "target": s|None, "parts": {name: s}}
"""

from __future__ import annotations

from typing import Any

from failover.model.types import format_duration
from failover.rehearse.drill import Rehearsal


def readiness(drill: Rehearsal) -> str:
    return "ready" if drill.ready else "not ready"


def audit_fields(drill: Rehearsal) -> dict[str, Any]:
    assert drill.estimate is not None
    return {"readiness": readiness(drill), "to": drill.to,
            "findings": [str(f) for f in drill.findings], "rto": drill.estimate.to_json()}


def _age(seconds: float | None) -> str:
    return "never synced" if seconds is None else format_duration(seconds)


def lines(drill: Rehearsal) -> list[str]:
    """The human report, section by section; the verdict first and last."""
    verdict = "READY" if drill.ready else "NOT READY"
    out = [f"Rehearsal of a failover of {drill.site} from {drill.active} to {drill.to}: {verdict}",
           "", "Sync (really done: the standby is warmed):"]
    out += [f"  {t['direction']} {t['set']} {t['host']}: "
            + (f"FAILED {t['error']}" if t["error"] else f"ok in {t['seconds']:.1f}s")
            for t in drill.transfers] or ["  no sync sets"]
    out += ["", "Data age on the standby (what a failover now would lose, the RPO):"]
    before = {a.set: a for a in drill.ages_before}
    for a in drill.ages:
        limit = f", max_age {format_duration(a.max_age)}" if a.max_age is not None else ""
        stale = " STALE" if a.stale else ""
        out.append(f"  {a.set}: {_age(a.age)}{limit} (before the drill: "
                   f"{_age(before[a.set].age)}){stale}")
    if not drill.ages:
        out.append("  no sync sets")
    out += ["", f"Checks on {drill.to} (its own address, the site's names):"]
    for r in drill.checks.for_host(drill.to) if drill.checks else []:
        out.append(f"  {r.label}: {'ok' if r.ok else 'FAILED'} {r.detail} "
                   f"({r.latency * 1000:.0f} ms)")
    tls = drill.tls
    if tls is None or tls.mode == "no TLS":
        out += ["", f"TLS: no TLS (no https check, and {drill.to} does not answer on port 443)"]
    else:
        why = ("the https checks' trust; a problem is blocking" if tls.blocking else
               "no https check: the system's CAs; a problem is a warning")
        out += ["", f"TLS certificates on {drill.to}:{tls.port} ({why}):"]
        out += [f"  {c.line()}" for c in tls.certificates]
    out += ["", "DNS a failover would change (planned, not applied):"]
    if drill.plan_error:
        out.append(f"  cannot plan: {drill.plan_error}")
    for plan in drill.plans:
        out += [f"  {plan.zone} ({plan.provider}): {line}" for line in plan.lines()] \
            if not plan.empty else [f"  {plan.zone} ({plan.provider}): no change"]
    if drill.canary is not None:
        out += ["", *drill.canary.lines()]
    if drill.estimate is not None:
        out += ["", *drill.estimate.lines()]
    out += ["", "Findings:" if drill.findings else "Findings: none"]
    out += [f"  {f.line()}" for f in drill.findings]
    out += ["", f"{verdict}: {sum(f.blocking for f in drill.findings)} blocking finding(s), "
                f"{sum(not f.blocking for f in drill.findings)} warning(s)"]
    return out


def to_json(drill: Rehearsal) -> dict[str, Any]:
    """The `--json` document."""
    before = {a.set: a.age for a in drill.ages_before}
    return {
        "site": drill.site, "from": drill.active, "to": drill.to,
        "readiness": readiness(drill), "ready": drill.ready,
        "sync": drill.transfers,
        "data_age": [{"set": a.set, "host": a.host, "age": a.age, "max_age": a.max_age,
                      "stale": a.stale, "age_before": before.get(a.set)} for a in drill.ages],
        "checks": [{"check": r.check, "ok": r.ok, "detail": r.detail, "severity": r.severity,
                    "latency": round(r.latency, 3), "warning": r.warning,
                    **({"family": r.family} if r.family else {})}
                   for r in (drill.checks.for_host(drill.to) if drill.checks else [])],
        "tls": drill.tls.to_json() if drill.tls else None,
        "dns_plan": {"error": drill.plan_error, "zones": [p.to_json() for p in drill.plans]},
        "canary": drill.canary.to_json() if drill.canary else None,
        "rto": {**drill.estimate.to_json(), "over_target": drill.estimate.over,
                "details": drill.estimate.details()} if drill.estimate else None,
        "findings": [f.to_json() for f in drill.findings],
    }
