"""Human and JSON renderings shared by commands."""

from __future__ import annotations

import time
from typing import Any

from failover.model.results import RoundReport
from failover.model.state import State


def ago(ts: float | None, now: float) -> str:
    if ts is None:
        return "never"
    secs = max(0, int(now - ts))
    if secs < 120:
        return f"{secs}s ago"
    if secs < 7200:
        return f"{secs // 60}m ago"
    return f"{secs // 3600}h{(secs % 3600) // 60:02d}m ago"


def stamp(ts: float | None) -> str:
    return "-" if ts is None else time.strftime("%Y-%m-%d %H:%M:%S UTC", time.gmtime(ts))


def table(rows: list[list[str]]) -> list[str]:
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    return ["  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)).rstrip() for r in rows]


def round_table(report: RoundReport, state: State) -> list[str]:
    rows = [["HOST", "CHECK", "RESULT", "LATENCY", "STREAK", "DETAIL"]]
    for r in report.results:
        streak = state.hosts.get(r.host)
        s = streak.checks.get(r.label) if streak else None
        text = "-" if s is None else (f"ok x{s.ok}" if r.ok else f"failed x{s.fail}")
        host = r.host + (" (active)" if r.host == state.active else "")
        result = ("ok" if r.ok else "UNKNOWN" if r.family in report.unjudged
                  else "FAILED" if r.critical else "failed (warning)")
        detail = r.warning if r.ok else r.detail
        if r.attempts > 1:
            detail = f"{detail} ({r.attempts} attempts)".strip()
        rows.append([host, r.label, result, f"{r.latency * 1000:.0f} ms", text, detail])
    lines = table(rows)
    if report.control:
        up = sum(c.ok for c in report.control)
        lines.append(f"control targets: {up}/{len(report.control)} answer")
    return lines


def round_json(report: RoundReport) -> dict[str, Any]:
    return {
        "started_at": report.started_at,
        "finished_at": report.finished_at,
        "online": report.online,
        "results": [{"host": r.host, "check": r.check, "ok": r.ok,
                     "latency": round(r.latency, 4), "detail": r.detail, "severity": r.severity,
                     "warning": r.warning, "attempts": r.attempts,
                     **({"family": r.family} if r.family else {})} for r in report.results],
        "unjudged_families": dict(report.unjudged),
        "control": [{"target": c.target, "ok": c.ok, "detail": c.detail} for c in report.control],
    }
