"""The report's incidents and availability from hand-written audit records: single rounds, a
compacted `rounds` summary, a gap with no rounds, an offline round, an automatic failover and a
failback by hand."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest

from failover.report.availability import availability, interval
from failover.report.document import Chain, build, parse_since
from failover.report.html import render
from failover.report.incidents import incidents, run_timeline
from failover.report.records import read
from failover.report.text import markdown, timeline_lines

HOSTS = ["primary", "standby"]
CHECKS = ["storefront", "ssh"]


def rnd(ts: float, primary_ok: bool = True, *, active: str = "primary", online: bool = True,
        pid: int = 1) -> dict[str, Any]:
    results = [{"host": h, "check": c, "ok": primary_ok or h != "primary" or c == "ssh",
                "latency": 0.01, "detail": "" if primary_ok or h != "primary" else "timeout"}
               for h in HOSTS for c in CHECKS]
    return {"ts": ts, "event": "round", "pid": pid, "online": online, "active": active,
            "results": results, "control": []}


def decision(ts: float, status: str = "OK", action: str = "none", pid: int = 1,
             **kw: Any) -> dict[str, Any]:
    return {"ts": ts, "event": "decision", "pid": pid, "status": status, "action": action,
            "from": kw.get("frm"), "to": kw.get("to"), "reasons": kw.get("reasons", [])}


def summary(first: float, last: float, count: int, active: str = "primary") -> dict[str, Any]:
    return {"ts": last, "event": "rounds", "first": first, "last": last, "count": count,
            "active": active, "hosts": HOSTS}


def run(run_id: str, start: float, frm: str, to: str, pid: int, *, dns: float, verified: float,
        end: float, ttl: int = 60) -> list[dict[str, Any]]:
    return [
        {"ts": start, "event": "run_start", "run_id": run_id, "pid": pid, "who": "root@vm",
         "playbook": "playbooks/x.yaml", "variables": {"from": frm, "to": to}},
        {"ts": dns, "event": "dns_change", "pid": pid, "to": to,  # no run_id, as written
         "zones": [{"zone": "shop.test.", "provider": "powerdns",
                    "changes": [{"name": "@", "type": "A", "ttl_before": ttl, "ttl": ttl,
                                 "before": ["10.0.0.1"], "after": ["10.0.0.2"]}]}]},
        {"ts": dns + 0.1, "event": "step", "run_id": run_id, "pid": pid, "phase": "steps",
         "action": "dns", "status": "ok", "name": "DNS"},
        {"ts": verified, "event": "step", "run_id": run_id, "pid": pid, "phase": "steps",
         "action": "dns_verify", "status": "ok", "name": "verify", "data": {"ok": True}},
        {"ts": end, "event": "run_end", "run_id": run_id, "pid": pid, "status": "ok"},
    ]


def audit() -> list[dict[str, Any]]:
    """10 s rounds: a summary of 10 healthy ones (1000-1090), no rounds for 110 s, the primary
    fails from 1200, declared down at 1220, automatic failover (flip 1225, every nameserver
    1230); the primary fails twice more, one round offline, passes from 1270 (a summary of 5
    from 1280: recovered at 1310), failback by hand at 1400."""
    records = [summary(1000, 1090, 10)]
    for ts in (1200, 1210):
        records += [rnd(ts, False), decision(ts, "WARNING")]
    records += [rnd(1220, False, pid=77),
                decision(1220, "CRITICAL", "failover", pid=77, frm="primary", to="standby",
                         reasons=["active host primary is down (3 failed rounds in a row)"])]
    records += run("r1", 1221, "primary", "standby", 77, dns=1225, verified=1230, end=1232)
    for ts in (1240, 1250):
        records += [rnd(ts, False, active="standby"), decision(ts, "WARNING")]
    records += [rnd(1260, False, active="standby", online=False), decision(1260, "UNKNOWN")]
    records += [rnd(1270, True, active="standby"), decision(1270, "WARNING")]
    records += [summary(1280, 1320, 5, active="standby")]
    records += [{"ts": 1350, "event": "rehearsal", "readiness": "not ready", "to": "standby",
                 "findings": ["standby data 2h old (max_age 15m)"],
                 "rto": {"estimate": 95.0, "target": 60, "parts": {"detection": 30}}}]
    records += run("r2", 1400, "standby", "primary", 99, dns=1402, verified=1405, end=1406)
    records += [rnd(1410, True), decision(1410)]
    return records


def test_an_incident_has_its_timeline_downtime_and_failback() -> None:
    log = read(audit(), check_names=CHECKS)
    [inc] = incidents(log, recovery_threshold=5)
    assert (inc.run.id, inc.run.automatic, inc.failback and inc.failback.id) == ("r1", True, "r2")
    assert inc.downtime == 30.0  # first failed round 1200 -> every nameserver 1230
    assert inc.downtime_max == 140.0  # the last passed round: 1090, the summary's last one
    assert (inc.run.ttl_before, inc.caches_until) == (60, 1285.0)
    assert (inc.passes_again, inc.recovered) == (1270.0, 1310.0)
    assert [(e.key, e.ts) for e in inc.timeline()] == [
        ("first_failed", 1200), ("declared_down", 1220), ("run_started", 1221),
        ("run_dns_written", 1225), ("run_nameservers", 1230), ("run_finished", 1232),
        ("passes_again", 1270), ("caches_expire", 1285), ("recovered", 1310),
        ("failback_started", 1400), ("failback_dns_written", 1402),
        ("failback_nameservers", 1405), ("failback_finished", 1406)]
    assert inc.timeline()[0].detail == "storefront: timeout"
    assert "active host primary is down" in inc.timeline()[1].detail


def test_a_runs_timeline_is_its_part_of_the_incident() -> None:
    log = read(audit(), check_names=CHECKS)
    first = run_timeline(log, "r1", recovery_threshold=5)
    assert (first[0].key, first[-1].key) == ("first_failed", "caches_expire")
    back = run_timeline(log, "r2", recovery_threshold=5)
    assert [e.key for e in back] == ["passes_again", "recovered", "failback_started",
                                     "failback_dns_written", "failback_nameservers",
                                     "failback_finished"]
    lines = timeline_lines(first)
    assert lines[0] == "timeline (1970-01-01, UTC):"
    assert re.fullmatch(r"  00:20:25\.0 +\+4\.0s  DNS written: primary -> standby", lines[4])
    assert run_timeline(log, "nope", recovery_threshold=5) == []


def test_availability_counts_a_summary_as_its_rounds_and_skips_gaps() -> None:
    log = read(audit(), check_names=CHECKS)
    assert interval(log.rounds) == 10.0
    a = availability(log.rounds, 1000, 1410, HOSTS)
    # judged: 10 (summary) + 3 + 2 + 1 + 5 (summary) + 1 = 22; the offline round is not judged
    assert (a.judged, a.unjudged) == (22, 1)
    assert (a.hosts["primary"].passed, a.hosts["primary"].failed) == (17, 5)
    assert (a.hosts["standby"].passed, a.hosts["standby"].failed) == (22, 0)
    assert (a.checks[("primary", "ssh")].passed, a.checks[("primary", "storefront")].failed) \
        == (22, 5)
    gaps = [(g.start, g.end, g.why) for g in a.gaps]
    assert gaps == [(1090, 1200, "no rounds"), (1260, 1270, "rounds not judged (checker "
                                                            "offline)"),
                    (1320, 1410, "no rounds")]
    assert a.observed == pytest.approx(220 / 410)


def test_a_summary_spanning_more_time_than_its_rounds_is_a_gap() -> None:
    """The interval is the median spacing, so one summary that would hold 100 rounds but
    counts 10 (the checker stopped inside it) stands out against the others."""
    records = [summary(0, 90, 10), summary(100, 190, 10), summary(200, 1190, 10), rnd(1200)]
    log = read(records, check_names=CHECKS)
    a = availability(log.rounds, 0, 1200, HOSTS)
    assert (a.interval, a.hosts["primary"].passed) == (10.0, 31)
    assert [(g.start, g.end, g.seconds) for g in a.gaps] == [(200, 1190, 900.0)]


def test_the_report_renders_as_markdown_json_and_self_contained_html() -> None:
    doc = build(audit(), site="shop.test", hosts=HOSTS, check_names=CHECKS, warning_checks=[],
                recovery_threshold=5, start=0, now=1500, chain=Chain(None, True))
    data = json.loads(json.dumps(doc.to_json()))
    assert data["incidents"][0]["downtime"] == 30.0
    assert data["incidents"][0]["ttl"] == 60
    assert data["audit_chain"]["text"].startswith("audit chain head: unchained")
    assert data["rehearsals"][0]["readiness"] == "not ready"
    assert data["availability"]["hosts"]["primary"]["availability"] == pytest.approx(
        100 * 17 / 22, abs=1e-3)
    md = markdown(doc)
    assert "downtime as customers saw it: 30.0s (first failed round of primary -> every " \
           "nameserver answers with standby)" in md
    assert "| primary | 77.273% | 17 | 5 | 50.0s |" in md
    assert "standby data 2h old (max_age 15m)" in md
    page = render(doc)
    assert page.count("<svg") == 2  # the failover phase, and the recovery with the failback
    assert [tag for tag in ("<script", "<link", "<img", "://") if tag in page] == []
    assert 'name=viewport' in page


def test_incident_option_picks_one_and_names_the_others_when_unknown() -> None:
    chain = Chain(None, True)
    doc = build(audit(), site="s", hosts=HOSTS, check_names=CHECKS, warning_checks=[],
                recovery_threshold=5, start=0, now=1500, chain=chain, incident="r2")
    assert [i.run.id for i in doc.incidents] == ["r1"]
    with pytest.raises(LookupError, match="no incident with run id 'r9'; incidents: r1"):
        build(audit(), site="s", hosts=HOSTS, check_names=CHECKS, warning_checks=[],
              recovery_threshold=5, start=0, now=1500, chain=chain, incident="r9")


def test_a_move_by_hand_of_a_healthy_host_has_no_downtime() -> None:
    records = [rnd(0), rnd(10), *run("r", 15, "primary", "standby", 5, dns=16, verified=17,
                                     end=18)]
    [inc] = incidents(read(records, check_names=CHECKS), recovery_threshold=5)
    assert (inc.first_failed, inc.downtime, inc.run.automatic) == (None, None, False)


@pytest.mark.parametrize(("text", "back"), [("30d", 30 * 86400), ("12h", 43200), ("90m", 5400),
                                            ("45", 45)])
def test_since_takes_durations(text: str, back: float) -> None:
    assert parse_since(text, 1e9) == 1e9 - back


def test_since_takes_a_date_and_says_what_is_valid() -> None:
    assert parse_since("2026-11-01", 0) == 1793491200
    with pytest.raises(ValueError, match="'last week' is neither a duration"):
        parse_since("last week", 0)


def test_records_the_report_cannot_read_are_counted_not_guessed() -> None:
    records = [*audit(), {"event": "round"}, {"ts": "yesterday", "event": "round"},
               {"ts": 1500, "event": "rounds", "first": 1490, "count": "many", "hosts": HOSTS}]
    doc = build(records, site="s", hosts=HOSTS, check_names=CHECKS, warning_checks=[],
                recovery_threshold=5, start=0, now=1600, chain=Chain(None, True))
    assert doc.skipped == 3
    assert doc.incidents[0].downtime == 30.0
    assert "3 audit records could not be read and are not counted." in markdown(doc)


def test_one_round_is_counted_with_the_inventorys_interval() -> None:
    log = read([rnd(100)], check_names=CHECKS)
    a = availability(log.rounds, 100, 130, HOSTS, expected=60.0)
    assert (a.interval, a.judged, a.gaps) == (60.0, 1, [])
    assert availability(log.rounds, 100, 130, HOSTS).interval is None
