"""The report as Markdown (the default format), and a run's timeline as lines of text."""

from __future__ import annotations

import time

from failover.report.availability import Availability
from failover.report.document import Report
from failover.report.incidents import Event, Incident


def span(seconds: float) -> str:
    """A duration as a person reads it: 4.2s, 3m05s, 2h07m, 3d04h."""
    if seconds < 60:
        return f"{seconds:.1f}s"
    secs = round(seconds)
    if secs < 3600:
        return f"{secs // 60}m{secs % 60:02d}s"
    if secs < 86400:
        return f"{secs // 3600}h{secs % 3600 // 60:02d}m"
    return f"{secs // 86400}d{secs % 86400 // 3600:02d}h"


def clock(ts: float) -> str:
    """`16:02:03.4` (UTC)."""
    return time.strftime("%H:%M:%S", time.gmtime(ts)) + f".{int(ts * 10) % 10}"


def stamp(ts: float | None) -> str:
    return "-" if ts is None else time.strftime("%Y-%m-%d %H:%M:%S UTC", time.gmtime(ts))


def percent(ratio: float | None) -> str:
    return "-" if ratio is None else f"{ratio * 100:.3f}%"


def timeline_lines(events: list[Event]) -> list[str]:
    """One line per event: time (UTC), time since the previous event, what happened."""
    if not events:
        return []
    lines = [f"timeline ({time.strftime('%Y-%m-%d', time.gmtime(events[0].ts))}, UTC):"]
    previous = None
    for e in events:
        since = "" if previous is None else "+" + span(e.ts - previous)
        detail = f" ({e.detail})" if e.detail else ""
        lines.append(f"  {clock(e.ts)}  {since:>8}  {e.label}{detail}")
        previous = e.ts
    return lines


def downtime_lines(inc: Incident) -> list[str]:
    run, lines = inc.run, []
    if inc.downtime is not None:
        lines.append(f"downtime as customers saw it: {span(inc.downtime)} (first failed round of "
                     f"{inc.host} -> every nameserver answers with {run.to})")
        if inc.downtime_max is not None and inc.last_passed is not None:
            lines.append(f"at most {span(inc.downtime_max)}: the outage began after the last "
                         f"passed round, at {clock(inc.last_passed.ts)}")
    elif inc.first_failed is None and inc.checked_before:
        lines.append(f"downtime: none seen by the checks ({inc.host} passed its last round "
                     "before the run: a planned move)")
    elif inc.first_failed is None:
        lines.append(f"downtime: not measured (no round checked {inc.host} before the run)")
    else:
        lines.append("downtime: not measured (the nameservers never all answered with "
                     f"{run.to} in this run)")
    if inc.caches_until is not None:
        lines.append(f"plus caches: resolvers may serve {inc.host}'s address up to "
                     f"{span(float(run.ttl_before or 0))} after the flip (the old TTL), until "
                     f"{stamp(inc.caches_until)}")
    return lines


def _incident(inc: Incident, n: int) -> list[str]:
    run = inc.run
    how = "automatic" if run.automatic else f"by hand ({run.who})"
    out = [f"### {n}. {run.from_} -> {run.to}: run {run.id} ({how}, {run.status})", ""]
    out += [f"- {line}" for line in downtime_lines(inc)]
    if inc.failback is not None:
        out.append(f"- failback: run {inc.failback.id} at {stamp(inc.failback.started)}")
    elif inc.recovered is None:
        out.append(f"- {inc.host} has not recovered in this log")
    out += ["", "| time (UTC) | since previous | event |", "|---|---:|---|"]
    previous = None
    for e in inc.timeline():
        since = "" if previous is None else span(e.ts - previous)
        detail = f": {e.detail}" if e.detail else ""
        out.append(f"| {stamp(e.ts)[:-4]}.{int(e.ts * 10) % 10} | {since} | "
                   f"{_cell(e.label + detail)} |")
        previous = e.ts
    return [*out, ""]


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def _availability(a: Availability) -> list[str]:
    every = "unknown (fewer than two rounds)" if a.interval is None else span(a.interval)
    observed = "-" if a.observed is None else f"{a.observed * 100:.2f}%"
    out = [f"Check interval: {every} (median time between rounds); {a.judged} judged rounds, "
           f"{a.unjudged} not judged; judged rounds cover {observed} of the period.", "",
           "| host | availability | rounds passed | rounds failed | failed time |",
           "|---|---:|---:|---:|---:|"]
    for host, t in a.hosts.items():
        failed = "-" if a.interval is None else span(t.failed * a.interval)
        out.append(f"| {host} | {percent(t.ratio)} | {t.passed} | {t.failed} | {failed} |")
    out += ["", "| host | check | availability | rounds passed | rounds failed |",
            "|---|---|---:|---:|---:|"]
    for (host, check), t in sorted(a.checks.items()):
        out.append(f"| {host} | {check} | {percent(t.ratio)} | {t.passed} | {t.failed} |")
    out.append("")
    if a.gaps:
        out.append(f"Gaps, counted neither as up nor as down ({len(a.gaps)}, "
                   f"{span(sum(g.seconds for g in a.gaps))} in all):")
        out += [f"- {stamp(g.start)} to {stamp(g.end)}: {span(g.seconds)}, {g.why}"
                for g in a.gaps]
    else:
        out.append("Gaps: none (no stretch without judged rounds longer than 2 intervals).")
    from failover.report.availability import HOW_COUNTED

    return [*out, "", f"How this is counted: {HOW_COUNTED}", ""]


def rehearsal_rows(report: Report) -> list[tuple[str, str, str, str, str, str]]:
    rows = []
    for r in report.rehearsals:
        estimate, target = r.rto.get("estimate"), r.rto.get("target")
        parts = ", ".join(f"{k} {span(float(v))}" for k, v in (r.rto.get("parts") or {}).items()
                          if isinstance(v, int | float))
        rows.append((stamp(r.ts), r.to or "-", r.readiness,
                     "-" if not isinstance(estimate, int | float) else span(float(estimate))
                     + (f" ({parts})" if parts else ""),
                     "-" if not isinstance(target, int | float) else span(float(target)),
                     "; ".join(r.findings) or "none"))
    return rows


def markdown(report: Report) -> str:
    out = [f"# failover report: {report.site}", ""]
    if report.only_incident:
        out.append(f"Incident of run {report.only_incident}; generated {stamp(report.generated)}.")
    else:
        out.append(f"Period: {stamp(report.start)} to {stamp(report.end)} (the audit log starts "
                   f"{stamp(report.log_start)}).")
    out += ["", report.chain.words]
    if report.skipped:
        out.append(f"{report.skipped} audit records could not be read and are not counted.")
    out += ["", f"## Incidents ({len(report.incidents)})", ""]
    if not report.incidents:
        out += ["No run moved DNS in this period.", ""]
    for n, inc in enumerate(report.incidents, 1):
        out += _incident(inc, n)
    if report.availability is not None:
        out += ["## Availability", "", *_availability(report.availability)]
    if not report.only_incident:
        out += [f"## Rehearsals ({len(report.rehearsals)})", ""]
        rows = rehearsal_rows(report)
        if rows:
            out += ["| time | standby | readiness | RTO estimate | RTO target | findings |",
                    "|---|---|---|---|---|---|"]
            out += ["| " + " | ".join(_cell(c) for c in row) + " |" for row in rows]
        else:
            out.append("No rehearsal in this period (`failover rehearse` records one).")
        out.append("")
    return "\n".join(out)
