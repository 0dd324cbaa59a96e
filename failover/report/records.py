"""The audit log as the report reads it: rounds (single ones and compacted `rounds` summaries),
decisions, playbook runs and rehearsals, oldest first.

A round's host passed when every critical check of it passed (as policy.py counts it); checks
marked `severity: warning` in the inventory never make a host fail. A `rounds` summary stands
for `count` rounds from `first` to `last` in which every listed host passed every check.
Lines of other events are skipped, so an audit log from a newer version still reads.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class Round:
    """One round, or `count` healthy rounds from `first` to `ts` (a compacted summary)."""

    ts: float
    first: float
    count: int
    online: bool
    active: str | None
    hosts: dict[str, bool]  # host -> passed every critical check
    checks: dict[tuple[str, str], bool]  # (host, check) -> passed
    failed: dict[str, list[str]] = field(default_factory=dict)  # host -> "check: detail"

    @property
    def summary(self) -> bool:
        return self.count != 1 or self.first != self.ts

    @property
    def judged(self) -> bool:
        """The checker could judge it: online, and not every host failing every check at once
        (policy.unjudgeable: more likely the checker's own problem; it counts for nothing)."""
        if not self.online:
            return False
        return not (len(self.hosts) >= 2 and not any(self.checks.values()))


@dataclass(frozen=True)
class Decision:
    ts: float
    pid: int | None
    status: str
    action: str
    from_: str | None
    to: str | None
    reasons: tuple[str, ...]


@dataclass
class Run:
    """A playbook run, from its audit lines (run_start, step, dns_change, run_end)."""

    id: str
    playbook: str
    from_: str | None
    to: str | None
    who: str
    pid: int | None
    started: float
    ended: float | None = None
    status: str = "running"
    automatic: bool = False  # started by a round of check/watch (a decision in its process)
    dns_at: float | None = None  # the flip (first dns_change that is not a put-back)
    ttl_before: int | None = None  # the largest TTL the flip replaced: how long caches may lie
    restored_at: float | None = None  # a rescue put DNS back
    verified_at: float | None = None  # every nameserver answers with `to`
    steps: list[dict[str, Any]] = field(default_factory=list)

    @property
    def moved_dns(self) -> bool:
        return self.dns_at is not None


@dataclass(frozen=True)
class Rehearsal:
    ts: float
    to: str | None
    readiness: str
    findings: tuple[str, ...]
    rto: dict[str, Any]


@dataclass
class Log:
    rounds: list[Round] = field(default_factory=list)
    decisions: list[Decision] = field(default_factory=list)
    runs: list[Run] = field(default_factory=list)
    rehearsals: list[Rehearsal] = field(default_factory=list)
    first_ts: float | None = None
    last_ts: float | None = None
    lines: int = 0
    skipped: int = 0  # records the report could not read


def _round(r: dict[str, Any], warning_checks: frozenset[str]) -> Round:
    hosts: dict[str, bool] = {}
    checks: dict[tuple[str, str], bool] = {}
    failed: dict[str, list[str]] = {}
    for res in r.get("results") or []:
        host, check, ok = str(res.get("host")), str(res.get("check")), bool(res.get("ok"))
        checks[(host, check)] = checks.get((host, check), True) and ok  # over every family
        critical = res.get("severity", "critical") != "warning" and check not in warning_checks
        hosts[host] = hosts.get(host, True) and (ok or not critical)
        if not ok:
            label = f"{check}/{res['family']}" if res.get("family") else check
            failed.setdefault(host, []).append(f"{label}: {res.get('detail') or 'failed'}")
    ts = float(r["ts"])
    return Round(ts, ts, 1, bool(r.get("online", True)), r.get("active"), hosts, checks, failed)


def _summary(r: dict[str, Any], check_names: Iterable[str]) -> Round:
    hosts = [str(h) for h in r.get("hosts") or []]
    last = float(r.get("last", r["ts"]))
    return Round(last, float(r.get("first", last)), max(1, int(r.get("count", 1))), True,
                 r.get("active"), dict.fromkeys(hosts, True),
                 {(h, c): True for h in hosts for c in check_names})


def _step(run: Run, r: dict[str, Any]) -> None:
    run.steps.append({"ts": r["ts"], "name": r.get("name"), "action": r.get("action"),
                      "phase": r.get("phase"), "status": r.get("status")})
    if (r.get("action") == "dns_verify" and r.get("status") == "ok" and r.get("phase") == "steps"
            and run.verified_at is None and run.dns_at is not None):
        run.verified_at = float(r["ts"])


def _dns_change(run: Run, r: dict[str, Any]) -> None:
    if r.get("restore"):
        run.restored_at = float(r["ts"])
        return
    if run.dns_at is None:
        run.dns_at = float(r["ts"])
        ttls = [c.get("ttl_before") or 0 for z in r.get("zones") or []
                for c in z.get("changes") or []]
        run.ttl_before = max(ttls, default=None)


class _Reader:
    def __init__(self, check_names: Iterable[str], warning_checks: Iterable[str]) -> None:
        self.names, self.warnings = tuple(check_names), frozenset(warning_checks)
        self.log = Log()
        self.runs: dict[str, Run] = {}
        self.open_runs: dict[Any, Run] = {}  # pid -> its run between run_start and run_end

    def take(self, r: dict[str, Any]) -> None:
        log, ts = self.log, float(r["ts"])
        begin = float(r["first"]) if isinstance(r.get("first"), int | float) else ts
        log.first_ts = begin if log.first_ts is None else min(log.first_ts, begin)
        log.last_ts = ts if log.last_ts is None else max(log.last_ts, ts)
        event = r.get("event")
        # a dns_change line carries no run_id: it belongs to the run open in its process
        run = self.runs.get(str(r.get("run_id"))) or self.open_runs.get(r.get("pid"))
        if event == "round":
            log.rounds.append(_round(r, self.warnings))
        elif event == "rounds":
            log.rounds.append(_summary(r, self.names))
        elif event == "decision":
            log.decisions.append(Decision(ts, r.get("pid"), str(r.get("status")),
                                          str(r.get("action")), r.get("from"), r.get("to"),
                                          tuple(r.get("reasons") or ())))
        elif event == "run_start":
            self._start(r, ts)
        elif event == "step" and run is not None:
            _step(run, r)
        elif event == "dns_change" and run is not None:
            _dns_change(run, r)
        elif event == "run_end" and run is not None:
            run.ended, run.status = ts, str(r.get("status"))
            self.open_runs.pop(r.get("pid"), None)
        elif event == "run_resume" and run is not None:
            self.open_runs[r.get("pid")] = run
        elif event == "rehearsal":
            log.rehearsals.append(Rehearsal(ts, r.get("to"), str(r.get("readiness", "")),
                                            tuple(str(f) for f in r.get("findings") or ()),
                                            dict(r.get("rto") or {})))

    def _start(self, r: dict[str, Any], ts: float) -> None:
        variables = r.get("variables") or {}
        run = Run(str(r.get("run_id")), str(r.get("playbook")), variables.get("from"),
                  variables.get("to"), str(r.get("who", "")), r.get("pid"), ts)
        last = self.log.decisions[-1] if self.log.decisions else None
        run.automatic = (last is not None and last.pid == run.pid and last.action != "none"
                         and last.to == run.to)
        self.runs[run.id] = self.open_runs[run.pid] = run
        self.log.runs.append(run)


def read(records: Iterable[dict[str, Any]], *, check_names: Iterable[str] = (),
         warning_checks: Iterable[str] = ()) -> Log:
    """The report's view of audit `records` (oldest first). `check_names`: the inventory's
    checks (what a `rounds` summary's hosts passed); `warning_checks`: those that never make a
    host fail. A record the report cannot read (no time, a field of the wrong type) is
    counted in `skipped`, not guessed at."""
    reader = _Reader(check_names, warning_checks)
    for r in records:
        if not isinstance(r, dict) or not isinstance(r.get("ts"), int | float):
            reader.log.skipped += 1
            continue
        try:
            reader.take(r)
        except (ValueError, TypeError, KeyError, AttributeError):
            reader.log.skipped += 1
            continue
        reader.log.lines += 1
    return reader.log
