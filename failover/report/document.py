"""One report: the period, the incidents in it, availability, rehearsals and the audit chain's
head. A value that text.py and html.py render and `to_json` gives as one JSON document."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from failover.report.availability import Availability, availability
from failover.report.incidents import Incident, incidents
from failover.report.records import Log, Rehearsal, read

_DAYS = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*d\s*$")


def parse_since(text: str, now: float) -> float:
    """`--since`: a duration back from now (`30d`, `12h`, `90m`, seconds) or a date
    (`2026-11-01`, `2026-11-01T08:00:00Z`, UTC unless it says otherwise) -> epoch seconds.
    Raises ValueError with what would be valid."""
    from failover.model.types import parse_duration

    if m := _DAYS.match(text):
        return now - float(m[1]) * 86400
    try:
        return now - parse_duration(text)
    except ValueError:
        pass
    try:
        when = datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
    except ValueError:
        raise ValueError(f"{text!r} is neither a duration (30d, 12h, 90m, seconds) nor a date "
                         "(2026-11-01, 2026-11-01T08:00:00Z)") from None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return when.timestamp()


def iso(ts: float | None) -> str | None:
    return None if ts is None else datetime.fromtimestamp(ts, UTC).isoformat()


@dataclass(frozen=True)
class Chain:
    """What the audit log's hash chain says (chain.py)."""

    head: str | None  # hash of the last line; None when the log is unchained
    ok: bool
    lines: int = 0
    unchained: int = 0
    broken: tuple[str, ...] = ()  # "file:line: why"

    @property
    def head_words(self) -> str:
        """`audit chain head: <hash>`, or that the log is unchained."""
        if self.head is None:
            return "audit chain head: unchained (this audit log carries no hash chain)"
        return f"audit chain head: {self.head}"

    @property
    def words(self) -> str:
        """The head, and whether the chain holds."""
        if self.head is None:
            return self.head_words
        tail = "" if self.ok else f" (BROKEN: {'; '.join(self.broken)})"
        older = f"; {self.unchained} older lines unchained" if self.unchained else ""
        return f"{self.head_words}{older}{tail}"

    def to_json(self) -> dict[str, Any]:
        return {"head": self.head, "ok": self.ok, "lines": self.lines,
                "unchained": self.unchained, "broken": list(self.broken),
                "text": self.words}


@dataclass
class Report:
    site: str
    start: float
    end: float
    generated: float
    chain: Chain
    incidents: list[Incident] = field(default_factory=list)
    availability: Availability | None = None
    rehearsals: list[Rehearsal] = field(default_factory=list)
    log_start: float | None = None
    only_incident: str | None = None
    skipped: int = 0  # audit records the report could not read

    def to_json(self) -> dict[str, Any]:
        return {
            "site": self.site, "since": self.start, "since_iso": iso(self.start),
            "until": self.end, "until_iso": iso(self.end), "generated": self.generated,
            "log_start": self.log_start, "audit_chain": self.chain.to_json(),
            "skipped_records": self.skipped,
            "incidents": [i.to_json() for i in self.incidents],
            "availability": None if self.availability is None else self.availability.to_json(),
            "rehearsals": [{"at": r.ts, "at_iso": iso(r.ts), "to": r.to,
                            "readiness": r.readiness, "findings": list(r.findings),
                            "rto": r.rto} for r in self.rehearsals],
        }


def build(records: Iterable[dict[str, Any]], *, site: str, hosts: list[str],
          check_names: list[str], warning_checks: list[str], recovery_threshold: int,
          start: float, now: float, chain: Chain, incident: str | None = None,
          check_interval: float | None = None) -> Report:
    """The report over start..now (`incident`: that run's incident alone, whatever its time).
    Raises LookupError naming the runs there are when `incident` is not one of them."""
    log: Log = read(records, check_names=check_names, warning_checks=warning_checks)
    found = incidents(log, recovery_threshold=recovery_threshold)
    if incident is not None:
        chosen = [i for i in found if incident in (i.run.id, i.failback and i.failback.id)]
        if not chosen:
            known = ", ".join(i.run.id for i in found) or "none in this audit log"
            raise LookupError(f"no incident with run id {incident!r}; incidents: {known}")
        return Report(site, chosen[0].run.started, now, now, chain, chosen,
                      log_start=log.first_ts, only_incident=incident, skipped=log.skipped)
    begin = max(start, log.first_ts) if log.first_ts is not None else start
    in_period = [i for i in found if i.run.started >= start
                 or (i.failback is not None and i.failback.started >= start)]
    return Report(site, begin, now, now, chain, in_period,
                  availability(log.rounds, begin, now, hosts, expected=check_interval),
                  [r for r in log.rehearsals if r.ts >= start], log_start=log.first_ts,
                  skipped=log.skipped)
