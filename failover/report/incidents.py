"""Incidents: each playbook run that moved DNS away from a host, with its timeline.

An incident is a run that flipped DNS from host A to host B (automatic, from a round of check
or watch, or by hand). Its timeline, from the audit log:

- the first failed round of A: the first of the failed rounds in a row (rounds the checker could
  not judge are skipped, not counted) that led up to the run; none when the last judged round
  before the run saw A pass (a planned move);
- A declared down: the first CRITICAL decision after that round (failure_threshold reached);
- the run started; DNS written (the flip); every nameserver answers with B (dns_verify passed);
  caches expire: the flip plus the largest TTL the flip replaced (resolvers may serve A's
  address until then);
- A passes again (its first passed round after the run) and A recovered (recovery_threshold
  passed rounds in a row; inside a compacted summary, interpolated over its span);
- the failback: the first later run that moved DNS from B back to A and finished ok.

Downtime as customers saw it runs from the first failed round until every nameserver answered
with B; the caches' TTL bound is stated apart from it (`ttl`), since a resolver that cached A
just before the flip may serve it that much longer.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from failover.report.records import Log, Round, Run


@dataclass(frozen=True)
class Event:
    key: str
    label: str
    ts: float
    detail: str = ""


@dataclass
class Incident:
    run: Run
    first_failed: Round | None = None
    last_passed: Round | None = None  # before the first failed one: the outage began after it
    checked_before: bool = False  # some judged round checked the host before the run
    declared_down: float | None = None
    declared_reason: str = ""
    passes_again: float | None = None
    recovered: float | None = None
    failback: Run | None = None
    events: list[Event] = field(default_factory=list)

    @property
    def host(self) -> str:
        return self.run.from_ or "?"

    @property
    def downtime(self) -> float | None:
        """Seconds from the first failed round until every nameserver answered the standby."""
        if self.first_failed is None or self.run.verified_at is None:
            return None
        return max(0.0, self.run.verified_at - self.first_failed.ts)

    @property
    def downtime_max(self) -> float | None:
        """The most it can have been: from the last passed round before the outage (the
        outage began somewhere between that round and the first failed one)."""
        if self.last_passed is None or self.run.verified_at is None:
            return None
        return max(0.0, self.run.verified_at - self.last_passed.ts)

    @property
    def caches_until(self) -> float | None:
        if self.run.dns_at is None or self.run.ttl_before is None:
            return None
        return self.run.dns_at + self.run.ttl_before

    def timeline(self, part: str = "all") -> list[Event]:
        """The events in time order: `all`, `failover` (up to the caches expiring) or
        `failback` (the old host's recovery and the run that moved DNS back)."""
        keep = [e for e in self.events if part == "all" or _phase(e.key) == part]
        return sorted(keep, key=lambda e: e.ts)

    def to_json(self) -> dict[str, Any]:
        return {
            "run_id": self.run.id, "from": self.run.from_, "to": self.run.to,
            "automatic": self.run.automatic, "who": self.run.who, "status": self.run.status,
            "downtime": None if self.downtime is None else round(self.downtime, 3),
            "downtime_max": None if self.downtime_max is None else round(self.downtime_max, 3),
            "last_passed_round": None if self.last_passed is None else self.last_passed.ts,
            "ttl": self.run.ttl_before,
            "caches_until": self.caches_until,
            "first_failed_round": None if self.first_failed is None else self.first_failed.ts,
            "failed_checks": [] if self.first_failed is None
            else self.first_failed.failed.get(self.host, []),
            "failback_run_id": None if self.failback is None else self.failback.id,
            "timeline": timeline_json(self.timeline()),
        }


def _phase(key: str) -> str:
    return "failback" if key.startswith(("failback_", "passes_again", "recovered")) \
        else "failover"


def timeline_json(events: list[Event]) -> list[dict[str, Any]]:
    from datetime import UTC, datetime

    out, previous = [], None
    for e in events:
        out.append({"event": e.key, "label": e.label, "at": e.ts,
                    "at_iso": datetime.fromtimestamp(e.ts, UTC).isoformat(),
                    "since_previous": None if previous is None else round(e.ts - previous, 3),
                    **({"detail": e.detail} if e.detail else {})})
        previous = e.ts
    return out


def _host_rounds(log: Log, host: str) -> list[Round]:
    return [r for r in log.rounds if r.judged and host in r.hosts]


def _first_failed(rounds: list[Round], host: str,
                  before: float) -> tuple[Round | None, Round | None]:
    """(the first failed round of the streak that led up to `before`, the passed round just
    before that streak)."""
    first = None
    for r in reversed([r for r in rounds if r.ts <= before]):
        if r.hosts[host]:
            return first, r if first is not None else None
        first = r
    return first, None


def _recovery(rounds: list[Round], host: str, after: float,
              threshold: int) -> tuple[float | None, float | None]:
    """(first passed round, the round that reached `threshold` passes in a row) after `after`."""
    again, streak = None, 0
    for r in rounds:
        if r.first < after and r.ts <= after:
            continue
        if not r.hosts[host]:
            streak = 0
            continue
        if again is None:
            again = r.first
        if streak + r.count >= threshold:
            step = (r.ts - r.first) / (r.count - 1) if r.count > 1 else 0.0
            return again, r.first + (threshold - streak - 1) * step
        streak += r.count
    return again, None


def _declared(log: Log, since: float, until: float) -> tuple[float | None, str]:
    for d in log.decisions:
        if since <= d.ts <= until and d.status == "CRITICAL":
            return d.ts, "; ".join(d.reasons)
    return None, ""


def _run_events(run: Run, prefix: str, back: bool = False) -> list[Event]:
    to = run.to or "?"
    who = "automatic" if run.automatic else f"by hand ({run.who})"
    events = [Event(f"{prefix}_started", f"{'failback' if back else 'failover'} run {run.id} "
                                         f"started, {who}", run.started)]
    if run.dns_at is not None:
        events.append(Event(f"{prefix}_dns_written", f"DNS written: {run.from_} -> {to}",
                            run.dns_at))
    if run.verified_at is not None:
        events.append(Event(f"{prefix}_nameservers", f"every nameserver answers with {to}",
                            run.verified_at))
    if run.restored_at is not None:
        events.append(Event(f"{prefix}_restored", f"DNS put back to {run.from_} (rescue)",
                            run.restored_at))
    if run.ended is not None:
        events.append(Event(f"{prefix}_finished", f"run finished: {run.status}", run.ended))
    return events


def _events(inc: Incident) -> list[Event]:
    run, host = inc.run, inc.host
    events: list[Event] = []
    if inc.first_failed is not None:
        detail = "; ".join(inc.first_failed.failed.get(host, []))
        events.append(Event("first_failed", f"first failed round of {host}", inc.first_failed.ts,
                            detail))
    if inc.declared_down is not None:
        events.append(Event("declared_down", f"{host} declared down", inc.declared_down,
                            inc.declared_reason))
    events += _run_events(run, "run")
    if inc.caches_until is not None:
        events.append(Event("caches_expire", f"caches expire: the old answers' TTL "
                                             f"({run.ttl_before}s) has passed", inc.caches_until))
    if inc.passes_again is not None:
        events.append(Event("passes_again", f"{host} passes its checks again", inc.passes_again))
    if inc.recovered is not None:
        events.append(Event("recovered", f"{host} recovered (recovery_threshold rounds in a "
                                         "row)", inc.recovered))
    if inc.failback is not None:
        events += _run_events(inc.failback, "failback", back=True)
    return events


def incidents(log: Log, *, recovery_threshold: int) -> list[Incident]:
    """Every incident in the log, oldest first (failback runs belong to their incident)."""
    found: list[Incident] = []
    for run in log.runs:
        if not run.moved_dns or not run.from_ or run.from_ == run.to:
            continue
        open_ = next((i for i in reversed(found) if i.failback is None
                      and i.run.to == run.from_ and i.run.from_ == run.to), None)
        if open_ is not None:
            if run.status == "ok":
                open_.failback = run
            continue
        found.append(Incident(run))
    for inc in found:
        rounds = _host_rounds(log, inc.host)
        inc.first_failed, inc.last_passed = _first_failed(rounds, inc.host, inc.run.started)
        inc.checked_before = any(r.ts <= inc.run.started for r in rounds)
        if inc.first_failed is not None:
            inc.declared_down, inc.declared_reason = _declared(log, inc.first_failed.ts,
                                                               inc.run.started)
        after = inc.run.ended or inc.run.started
        inc.passes_again, inc.recovered = _recovery(rounds, inc.host, after, recovery_threshold)
        inc.events = _events(inc)
    return found


def run_timeline(log: Log, run_id: str, *, recovery_threshold: int) -> list[Event]:
    """The timeline printed at the end of run `run_id`: its incident's part (the failover, or
    the old host's recovery and the failback); a run that belongs to no incident (a failback
    that was rescued, say) gets its own events. Empty when the run moved no DNS."""
    for inc in incidents(log, recovery_threshold=recovery_threshold):
        if inc.run.id == run_id:
            return inc.timeline("failover")
        if inc.failback is not None and inc.failback.id == run_id:
            return inc.timeline("failback")
    run = next((r for r in log.runs if r.id == run_id), None)
    if run is None or not run.moved_dns:
        return []
    return sorted(_run_events(run, "run"), key=lambda e: e.ts)
