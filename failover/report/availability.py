"""Availability per host and per check over a period, counted in rounds.

- A host's availability is the share of the judged rounds in which it passed every critical
  check; a check's, the share of judged rounds in which it passed. A compacted `rounds` summary
  counts as `count` rounds that every listed host passed.
- The check interval is what cron or `watch --interval` really did, read from the log: the
  median time between consecutive rounds (`policy.check_interval` when there are not two).
- Gaps count neither as up nor as down, and are listed: rounds the checker could not judge
  (offline: no control target answered; or every host failing every check at once, more likely
  the checker's own problem), and stretches of more than 2 intervals with no round at all
  (checker stopped, cron not running), including a summary whose span would hold more than
  2 intervals' worth of rounds beyond its `count`.
- `observed` is the share of the period covered by judged rounds (judged rounds x interval).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from failover.report.records import Round

GAP_INTERVALS = 2  # more than this many intervals without a round is a gap


@dataclass
class Tally:
    passed: int = 0
    failed: int = 0

    @property
    def rounds(self) -> int:
        return self.passed + self.failed

    def add(self, ok: bool, count: int) -> None:
        if ok:
            self.passed += count
        else:
            self.failed += count

    @property
    def ratio(self) -> float | None:
        return self.passed / self.rounds if self.rounds else None

    def to_json(self, interval: float | None) -> dict[str, Any]:
        down = None if interval is None else round(self.failed * interval, 1)
        return {"passed": self.passed, "failed": self.failed,
                "availability": None if self.ratio is None else round(self.ratio * 100, 4),
                "failed_time": down}


@dataclass(frozen=True)
class Gap:
    start: float
    end: float
    why: str
    seconds: float

    def to_json(self) -> dict[str, Any]:
        return {"start": self.start, "end": self.end, "seconds": round(self.seconds, 1),
                "why": self.why}


@dataclass
class Availability:
    start: float
    end: float
    interval: float | None
    judged: int = 0
    unjudged: int = 0
    hosts: dict[str, Tally] = field(default_factory=dict)
    checks: dict[tuple[str, str], Tally] = field(default_factory=dict)
    gaps: list[Gap] = field(default_factory=list)

    @property
    def observed(self) -> float | None:
        """The share of the period covered by judged rounds (0-1), capped at 1."""
        span = self.end - self.start
        if self.interval is None or span <= 0:
            return None
        return min(1.0, self.judged * self.interval / span)

    def to_json(self) -> dict[str, Any]:
        return {
            "start": self.start, "end": self.end,
            "interval": None if self.interval is None else round(self.interval, 3),
            "judged_rounds": self.judged, "unjudged_rounds": self.unjudged,
            "observed": None if self.observed is None else round(self.observed * 100, 2),
            "hosts": {h: t.to_json(self.interval) for h, t in self.hosts.items()},
            "checks": [{"host": h, "check": c, **t.to_json(self.interval)}
                       for (h, c), t in self.checks.items()],
            "gaps": [g.to_json() for g in self.gaps],
            "gaps_seconds": round(sum(g.seconds for g in self.gaps), 1),
            "how_counted": HOW_COUNTED,
        }


HOW_COUNTED = (
    "Availability is the share of judged rounds a host (or check) passed; a compacted summary "
    "of healthy rounds counts as its number of rounds, all passed. The interval is the median "
    "time between rounds (policy.check_interval when the log has fewer than two). Rounds the "
    "checker could not judge (offline: no control target "
    "answered; or every host failing at once) and stretches of more than "
    f"{GAP_INTERVALS} intervals without rounds count neither as up nor as down: they are "
    "listed as gaps, and 'observed' is the share of the period that judged rounds cover.")


def interval(rounds: list[Round]) -> float | None:
    """The median time between consecutive rounds (each summary's spacing weighted by its
    count), or None with fewer than two rounds."""
    spacings: list[tuple[float, int]] = []
    previous: Round | None = None
    for r in rounds:
        if r.count > 1:
            spacings.append(((r.ts - r.first) / (r.count - 1), r.count - 1))
        if previous is not None:
            spacings.append((r.first - previous.ts, 1))
        previous = r
    spacings = [(s, w) for s, w in spacings if s > 0]
    if not spacings:
        return None
    spacings.sort()
    half, seen = sum(w for _, w in spacings) / 2, 0
    for s, w in spacings:
        seen += w
        if seen >= half:
            return s
    return spacings[-1][0]


def _gaps(rounds: list[Round], every: float | None, start: float, end: float) -> list[Gap]:
    gaps: list[Gap] = []
    if every is None:
        return gaps
    limit = GAP_INTERVALS * every
    edges = [start, *[x for r in rounds for x in (r.first, r.ts)], end]
    times = list(zip(edges[0::2], edges[1::2], strict=True))  # (previous end, next start)
    for prev_end, next_start in times:
        if next_start - prev_end > limit:
            gaps.append(Gap(prev_end, next_start, "no rounds", next_start - prev_end))
    for r in rounds:
        missing = (r.ts - r.first) - (r.count - 1) * every
        if r.count > 1 and missing > limit:
            gaps.append(Gap(r.first, r.ts, f"a summary of {r.count} rounds over a span that "
                                            "would hold more", missing))
    offline: Round | None = None
    for k in range(len(rounds) + 1):
        nxt = rounds[k] if k < len(rounds) else None
        if nxt is not None and not nxt.judged:
            offline = offline or nxt
            continue
        if offline is not None:
            stop = nxt.first if nxt is not None else end
            why = "checker offline" if not offline.online else "every host failing at once"
            gaps.append(Gap(offline.first, stop, f"rounds not judged ({why})",
                            stop - offline.first))
            offline = None
    return sorted(gaps, key=lambda g: g.start)


def availability(rounds: list[Round], start: float, end: float,
                 hosts: list[str] | None = None, *, expected: float | None = None) -> Availability:
    """Count `rounds` (oldest first, those within start..end) into each host and check.
    `expected`: the inventory's policy.check_interval, the interval when the log has fewer
    than two rounds to measure it by."""
    inside = [r for r in rounds if r.ts >= start and r.first <= end]
    every = interval(rounds) or expected
    result = Availability(start, end, every)
    for h in hosts or []:
        result.hosts[h] = Tally()
    for r in inside:
        if not r.judged:
            result.unjudged += r.count
            continue
        result.judged += r.count
        for h, ok in r.hosts.items():
            result.hosts.setdefault(h, Tally()).add(ok, r.count)
        for key, ok in r.checks.items():
            result.checks.setdefault(key, Tally()).add(ok, r.count)
    result.gaps = _gaps(inside, every, start, end)
    return result
