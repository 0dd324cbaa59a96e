"""A log that can run for years (issue 13): a simulated month of 10 s rounds, written through the
audit log's round path with a fake clock, stays small, and the report's availability from it
equals what happened; over one day, the compacted log and the full one give the same report."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from failover.report.document import Chain, build
from failover.state.audit import AuditLog

HOSTS = ["primary", "standby"]
CHECKS = ["storefront", "ssh"]
START = 1_800_000_000.0
EVERY = 10.0


class Clock:
    def __init__(self) -> None:
        self.t = START

    def __call__(self) -> float:
        return self.t


def outcome(n: int, outage: range, offline: range) -> tuple[bool, bool]:
    """(online, primary passes) of round n."""
    return n not in offline, n not in outage


def simulate(log: AuditLog, clock: Clock, rounds: int, outage: range, offline: range) -> None:
    for n in range(rounds):
        clock.t = START + n * EVERY
        online, up = outcome(n, outage, offline)
        results = [{"host": h, "check": c, "ok": up or h != "primary" or c != "storefront",
                    "latency": 0.01, "detail": "" if up else "timeout"}
                   for h in HOSTS for c in CHECKS]
        healthy = online and up
        decision = {"status": "OK" if healthy else ("UNKNOWN" if not online else "WARNING"),
                    "action": "none", "from": None, "to": None, "reasons": [], "page": None}
        log.write_round({"online": online, "active": "primary", "results": results,
                         "control": [{"target": "tcp://127.0.0.1:53", "ok": online}]},
                        decision, healthy=healthy, hosts=HOSTS)


def availability(state_dir: Path, end: float) -> dict[str, Any]:
    report = build(AuditLog(state_dir).read(), site="shop.test", hosts=HOSTS,
                   check_names=CHECKS, warning_checks=[], recovery_threshold=5, start=START,
                   now=end, chain=Chain(head=None, ok=True))
    assert report.availability is not None
    doc: dict[str, Any] = report.availability.to_json()
    return doc


def size(state_dir: Path) -> int:
    return sum(p.stat().st_size for p in state_dir.rglob("*") if p.is_file())


def test_a_month_of_10s_rounds_stays_small_and_counts_every_round(tmp_path: Path) -> None:
    rounds = 30 * 24 * 360  # 259,200 rounds
    outage, offline = range(100_000, 100_030), range(200_000, 200_010)
    clock = Clock()
    simulate(AuditLog(tmp_path, clock=clock), clock, rounds, outage, offline)
    assert size(tmp_path) < 50 * 1024 * 1024
    assert size(tmp_path) < 1024 * 1024  # about 220 kB in fact

    doc = availability(tmp_path, START + rounds * EVERY)
    judged = rounds - len(offline)
    assert (doc["judged_rounds"], doc["unjudged_rounds"]) == (judged, len(offline))
    assert doc["interval"] == EVERY
    assert (doc["hosts"]["primary"]["passed"], doc["hosts"]["primary"]["failed"]) == \
        (judged - len(outage), len(outage))
    assert (doc["hosts"]["standby"]["passed"], doc["hosts"]["standby"]["failed"]) == (judged, 0)


def test_over_a_day_the_compacted_log_reports_what_the_full_log_does(tmp_path: Path) -> None:
    rounds = 24 * 360
    outage, offline = range(3000, 3020), range(6000, 6005)
    docs = []
    for compact in (True, False):
        state_dir = tmp_path / ("compact" if compact else "full")
        clock = Clock()
        simulate(AuditLog(state_dir, clock=clock, compact=compact), clock, rounds, outage,
                 offline)
        docs.append(availability(state_dir, START + rounds * EVERY))
    compacted, full = docs
    assert compacted == full
    assert full["hosts"]["primary"]["failed"] == len(outage)
    sizes = [size(tmp_path / "compact"), size(tmp_path / "full")]
    assert sizes[0] * 50 < sizes[1], sizes  # a day compacts to a sliver of the full log
