"""state/audit.py and auditchain.py: the hash chain, healthy rounds counted, rotation, verify."""

from __future__ import annotations

import gzip
import json
import multiprocessing
import stat
from pathlib import Path
from typing import Any

from failover.state.audit import AuditLog
from failover.state.auditchain import GENESIS, line_hash, verify


class Clock:
    def __init__(self, t: float = 1_800_000_000.0) -> None:
        self.t = t

    def __call__(self) -> float:
        return self.t


def healthy_round(log: AuditLog, active: str = "primary") -> None:
    log.write_round({"online": True, "active": active, "results": [], "control": []},
                    {"status": "OK", "action": "none"}, healthy=True,
                    hosts=["primary", "standby"])


def failed_round(log: AuditLog) -> None:
    log.write_round({"online": True, "active": "primary",
                     "results": [{"host": "primary", "check": "web", "ok": False}]},
                    {"status": "WARNING", "action": "none"}, healthy=False,
                    hosts=["primary", "standby"])


def lines(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text().splitlines()]


def test_each_line_carries_the_hash_of_the_one_before(tmp_path: Path) -> None:
    log = AuditLog(tmp_path)
    log.write("a", n=1)
    log.write("b", n=2)
    text = (tmp_path / "audit.jsonl").read_text().splitlines()
    assert json.loads(text[0])["prev"] == GENESIS
    assert json.loads(text[1])["prev"] == line_hash(text[0])
    report = verify(tmp_path)
    assert (report.ok, report.lines, report.unchained, report.head) == \
        (True, 2, 0, line_hash(text[1]))
    assert stat.S_IMODE((tmp_path / "audit.jsonl").stat().st_mode) == 0o600


def test_an_edited_line_is_named_in_the_live_file(tmp_path: Path) -> None:
    log = AuditLog(tmp_path)
    for n in range(5):
        log.write("step", n=n)
    path = tmp_path / "audit.jsonl"
    text = path.read_text().splitlines()
    text[2] = text[2].replace('"n": 2', '"n": 7')
    path.write_text("\n".join(text) + "\n")
    report = verify(tmp_path)
    assert not report.ok
    assert [(b.file.name, b.line) for b in report.broken] == [("audit.jsonl", 3)]


def test_editing_the_last_line_is_caught_by_the_head(tmp_path: Path) -> None:
    log = AuditLog(tmp_path)
    log.write("a")
    log.write("b")
    path = tmp_path / "audit.jsonl"
    path.write_text(path.read_text().replace('"event": "b"', '"event": "c"'))
    assert [(b.file.name, b.line) for b in verify(tmp_path).broken] == [("audit.jsonl", 2)]
    path.write_text(path.read_text().splitlines()[0] + "\n")  # the last line removed
    assert [(b.file.name, b.line) for b in verify(tmp_path).broken] == [("audit.jsonl", 1)]


def test_a_log_from_before_the_chain_is_read_and_continued(tmp_path: Path) -> None:
    old = ['{"ts": 1, "event": "round"}', '{"ts": 2, "event": "decision"}']
    (tmp_path / "audit.jsonl").write_text("\n".join(old) + "\n")
    AuditLog(tmp_path).write("run_start")
    report = verify(tmp_path)
    assert (report.ok, report.unchained, report.lines) == (True, 2, 3)
    assert lines(tmp_path / "audit.jsonl")[2]["prev"] == line_hash(old[1])


def test_healthy_rounds_are_counted_in_one_line(tmp_path: Path) -> None:
    clock = Clock()
    log = AuditLog(tmp_path, clock=clock)
    for _ in range(3):
        clock.t += 10
        healthy_round(log)
    assert not (tmp_path / "audit.jsonl").exists()  # counted, not yet written
    [pending] = list(log.read())
    assert (pending["event"], pending["count"], pending["last"] - pending["first"]) == \
        ("rounds", 3, 20)
    clock.t += 10
    failed_round(log)  # something changed: the count is written first, then the round
    events = [(e["event"], e.get("count")) for e in lines(tmp_path / "audit.jsonl")]
    assert events == [("rounds", 3), ("round", None), ("decision", None)]
    clock.t += 10
    healthy_round(log)
    clock.t += 10
    healthy_round(log, active="standby")  # a new active host starts a new count
    log.write("run_start")
    events = [(e["event"], e.get("count"), e.get("active")) for e in log.read()][3:]
    assert events == [("rounds", 1, "primary"), ("rounds", 1, "standby"),
                      ("run_start", None, None)]
    assert verify(tmp_path).ok


def test_a_count_is_written_at_least_hourly(tmp_path: Path) -> None:
    clock = Clock()
    log = AuditLog(tmp_path, clock=clock)
    for _ in range(721):  # two hours of 10 s rounds
        clock.t += 10
        healthy_round(log)
    written = lines(tmp_path / "audit.jsonl")
    assert [e["count"] for e in written] == [360, 360]
    assert sum(e["count"] for e in log.read() if e["event"] == "rounds") == 721


def test_rotation_keeps_the_chain_and_read_sees_every_file(tmp_path: Path) -> None:
    clock = Clock()
    log = AuditLog(tmp_path, clock=clock, max_bytes=2000)
    for n in range(60):
        clock.t += 1
        log.write("step", n=n, pad="x" * 100)
    rotated = sorted(tmp_path.glob("audit-*.jsonl.gz"))
    assert len(rotated) >= 2
    assert [e["n"] for e in log.read()] == list(range(60))
    assert verify(tmp_path).ok

    # one line edited inside a rotated (compressed) file: verify names that file and line
    victim = rotated[1]
    text = gzip.decompress(victim.read_bytes()).decode().splitlines()
    text[1] = text[1].replace('"pad": "x', '"pad": "y')
    victim.write_bytes(gzip.compress(("\n".join(text) + "\n").encode()))
    assert [(b.file.name, b.line) for b in verify(tmp_path).broken] == [(victim.name, 2)]


def test_a_removed_older_file_is_a_break(tmp_path: Path) -> None:
    log = AuditLog(tmp_path, max_bytes=500)
    for n in range(20):
        log.write("step", n=n, pad="x" * 100)
    first = sorted(tmp_path.glob("audit-*.jsonl.gz"))[0]
    first.unlink()
    [brk] = verify(tmp_path).broken
    assert "predecessor is missing" in brk.why


def _writer(state_dir: Path, who: int) -> None:
    log = AuditLog(state_dir)
    for n in range(50):
        log.write("step", who=who, n=n)


def test_concurrent_writers_never_fork_the_chain(tmp_path: Path) -> None:
    procs = [multiprocessing.Process(target=_writer, args=(tmp_path, w)) for w in range(3)]
    for p in procs:
        p.start()
    for p in procs:
        p.join(60)
    report = verify(tmp_path)
    assert (report.ok, report.lines) == (True, 150), report.broken
