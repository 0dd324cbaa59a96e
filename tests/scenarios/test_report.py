"""`failover report` and the timeline at the end of a run, through the real executable on the
rig: a real outage (the primary's link down, cron's rounds until the automatic failover, link
up, rounds until it recovered, failback by hand), its report in JSON, Markdown and HTML, the
HTML rendered by headless Chromium."""

from __future__ import annotations

import json
import re
import subprocess
import time
from pathlib import Path

from tests.png import colours
from tests.site import Site

INTERVAL = 4.0  # seconds between the rounds' starts, as cron (every minute) would, faster
CHECK_TIMEOUT = "1s"  # each check's, in this test's site: a failed round fits its slot
RED = (0xD9, 0x2D, 0x20)  # failover/report/html.py: the outage band of an incident's timeline


class Cron:
    """`failover check` started every INTERVAL seconds on a fixed schedule (a round that
    overruns its slot skips the slots it missed, as a busy cron job would)."""

    def __init__(self, site: Site) -> None:
        self.site = site
        self.origin = time.time()
        self.slot = 0

    def round(self) -> subprocess.CompletedProcess[str]:
        self.slot += 1
        start = self.origin + self.slot * INTERVAL
        now = time.time()
        if now > start + 1:  # the last round overran this slot: the next one
            self.slot += int((now - start) // INTERVAL) + 1
            start = self.origin + self.slot * INTERVAL
        time.sleep(max(0.0, start - now))
        return self.site.run("check")

    def now(self) -> None:
        """The next round starts at once (and the schedule continues from here)."""
        self.origin, self.slot = time.time() - INTERVAL, 0


def answers(site: Site) -> str | None:
    """The host every managed record answers with, or None while they disagree."""
    seen = {tuple(v) for v in site.dns().values()}
    by_address = {h.address: name for name, h in site.rig.hosts.items()}
    return by_address.get(seen.pop()[0]) if len(seen) == 1 and len(next(iter(seen))) == 1 \
        else None


def report(site: Site, *args: str) -> subprocess.CompletedProcess[str]:
    p = site.run("report", *args)
    assert p.returncode == 0, p.stdout + p.stderr
    return p


def test_a_real_outage_reported_with_downtime_timeline_and_availability(warm_site: Site) -> None:
    site, cron = warm_site, Cron(warm_site)
    site.edit(lambda inv: [c.update(timeout=CHECK_TIMEOUT) for c in inv["checks"]])
    for _ in range(2):
        assert cron.round().returncode == 0
    cron.now()
    site.primary.link_down()
    down_at = time.time()
    outage_rounds, failed_over = 0, None
    while failed_over is None:
        p = cron.round()
        outage_rounds += 1
        assert outage_rounds <= 5, p.stdout + p.stderr
        if answers(site) == "standby":
            standby_at, failed_over = time.time(), p
    # the run's own timeline closes check's output
    assert failed_over.returncode == 2, failed_over.stdout
    out = failed_over.stdout
    assert "failover done" in out
    timeline = out[out.index("timeline ("):out.index("failover done")].splitlines()
    assert [re.sub(r"^\s+\S+\s+(\+\S+\s+)?", "", line).split(" (")[0]
            for line in timeline[1:]][:2] == ["first failed round of primary",
                                              "primary declared down"]
    assert re.search(r"\+\S+s  every nameserver answers with standby", out), out
    assert "caches expire: the old answers' TTL (60s) has passed" in out

    for _ in range(2):  # the primary is still down: rounds go on failing
        cron.round()
        outage_rounds += 1
    site.primary.link_up()
    up_at = time.time()
    for _ in range(5):  # policy.recovery_threshold rounds in a row
        cron.round()
    assert site.state()["hosts"]["primary"]["ok"] == 5
    back = site.run("failback", "--yes", "--json")
    assert back.returncode == 0, back.stdout + back.stderr
    back_at = time.time()
    doc = json.loads(back.stdout)
    assert [e["event"] for e in doc["timeline"]] == [
        "passes_again", "recovered", "failback_started", "failback_dns_written",
        "failback_nameservers", "failback_finished"]
    assert answers(site) == "primary"

    data = json.loads(report(site, "--format", "json").stdout)
    assert json.loads(report(site, "--json").stdout)["incidents"] == data["incidents"]
    [incident] = data["incidents"]
    assert (incident["from"], incident["to"], incident["automatic"]) == ("primary", "standby",
                                                                          True)
    assert incident["failback_run_id"] == doc["run"]["id"]
    measured = standby_at - down_at
    assert abs(incident["downtime"] - measured) <= INTERVAL, (incident["downtime"], measured)
    # the checker saw the outage after it began and the test saw DNS after it moved
    assert incident["downtime"] < measured
    assert incident["downtime"] < incident["downtime_max"]
    assert incident["ttl"] == 60
    events = {e["event"]: e["at"] for e in incident["timeline"]}
    order = [down_at, events["first_failed"], events["declared_down"], events["run_started"],
             events["run_dns_written"], events["run_nameservers"], standby_at]
    assert order == sorted(order), incident["timeline"]
    order = [up_at, events["passes_again"], events["recovered"], events["failback_started"],
             events["failback_dns_written"], events["failback_nameservers"],
             events["failback_finished"], back_at]
    assert order == sorted(order), incident["timeline"]
    assert events["caches_expire"] == events["run_dns_written"] + 60
    stamps = [e["at"] for e in incident["timeline"]]
    assert stamps == sorted(stamps)

    hosts = data["availability"]["hosts"]
    assert hosts["primary"]["failed"] == outage_rounds, (hosts, outage_rounds)
    assert hosts["standby"]["failed"] == 0
    assert data["availability"]["interval"] >= INTERVAL * 0.9
    md = report(site).stdout
    assert f"downtime as customers saw it: {incident['downtime']:.1f}s" in md
    one = report(site, "--incident", doc["run"]["id"]).stdout  # by its failback's run id too
    assert f"### 1. primary -> standby: run {incident['run_id']} (automatic, ok)" in one
    assert "## Availability" not in one
    assert re.search(rf"\| primary \| \d+\.\d{{3}}% \| \d+ \| {outage_rounds} \|", md), md


def external(page: str) -> list[str]:
    """Anything in an HTML page that would make a browser fetch something."""
    pattern = (r"(?i)https?:|//[a-z0-9]|<link|<script|<img|<iframe|<object|<embed|\bsrc=|"
               r"\bhref=|url\(|@import")
    return re.findall(pattern, page)


def test_the_html_report_renders_in_chromium_with_its_timeline(site: Site,
                                                               tmp_path: Path) -> None:
    with site.primary.link_down():
        codes = [site.run("check").returncode for _ in range(2)]
        third = site.run("check", "--json")  # cron's round that fails over, as JSON
    assert (*codes, third.returncode) == (1, 1, 2)
    assert answers(site) == "standby"
    assert [e["event"] for e in json.loads(third.stdout)["timeline"]] == [
        "first_failed", "declared_down", "run_started", "run_dns_written", "run_nameservers",
        "run_finished", "caches_expire"]
    out = tmp_path / "report.html"
    p = report(site, "--format", "html", "-o", str(out))
    assert p.stdout == ""
    assert p.stderr == f"report written to {out}\n"
    page = out.read_text()
    assert external(page) == []
    assert '<meta name=viewport content="width=device-width, initial-scale=1">' in page
    assert page.count("<svg") == 1
    assert "Downtime as customers saw it" in page
    assert out.stat().st_mode & 0o777 == 0o644

    shot = tmp_path / "phone.png"
    # no network at all for the browser (its own namespace): a page that fetched anything
    # would show it broken; and the browser cannot call anywhere
    r = subprocess.run(["unshare", "--net", "chromium", "--headless", "--no-sandbox",
                        "--disable-gpu", "--no-first-run", f"--user-data-dir={tmp_path / 'c'}",
                        f"--screenshot={shot}", "--window-size=390,1100", out.as_uri()],
                       capture_output=True, text=True, timeout=120, check=False)
    assert r.returncode == 0, r.stderr
    seen = colours(shot)
    assert len(seen) > 50, "a blank page"
    assert seen[(255, 255, 255)] < sum(seen.values()) * 0.95
    assert sum(n for c, n in seen.items() if near(c, RED)) > 200, "no outage band drawn"


def near(a: tuple[int, int, int], b: tuple[int, int, int]) -> bool:
    return all(abs(x - y) <= 12 for x, y in zip(a, b, strict=True))


def test_bad_options_say_what_is_valid(site: Site) -> None:
    p = site.run("report", "--since", "last week")
    assert p.returncode == 2
    assert p.stderr == ("failover: --since: 'last week' is neither a duration (30d, 12h, 90m, "
                        "seconds) nor a date (2026-11-01, 2026-11-01T08:00:00Z)\n")
    p = site.run("report", "--incident", "20260101T000000Z-abcd")
    assert p.returncode == 2
    assert p.stderr == ("failover: --incident: no incident with run id "
                        "'20260101T000000Z-abcd'; incidents: none in this audit log\n")
    p = site.run("report", "--format", "pdf")
    assert p.returncode == 2
    assert "'pdf' is not one of 'md', 'html', 'json'" in p.stderr
    assert "Traceback" not in p.stderr


def test_a_report_of_a_quiet_site(site: Site) -> None:
    assert site.run("check").returncode == 0
    md = report(site).stdout
    assert md.startswith("# failover report: shop.test\n")
    assert "No run moved DNS in this period." in md
    assert re.search(r"\| primary \| 100\.000% \| 1 \| 0 \|", md), md


def test_verify_names_the_edited_line_of_the_audit_log(site: Site) -> None:
    with site.primary.link_down():
        assert [site.run("check").returncode for _ in range(3)] == [1, 1, 2]
    intact = site.run("report", "--verify")
    assert intact.returncode == 0, intact.stdout + intact.stderr
    head = re.fullmatch(r"audit chain intact: (\d+) lines\naudit chain head: ([0-9a-f]{64})\n",
                        intact.stdout)
    assert head, intact.stdout
    assert f"audit chain head: {head[2]}\n" in report(site).stdout

    log = site.state_dir / "audit.jsonl"
    lines = log.read_text().splitlines(keepends=True)
    n = next(k for k, line in enumerate(lines, 1) if '"event": "round"' in line)
    lines[n - 1] = lines[n - 1].replace('"ok": false', '"ok": true', 1)
    assert "".join(lines) != log.read_text()  # the round said primary failed; now it passed
    log.write_text("".join(lines))
    broken = site.run("report", "--verify")
    assert broken.returncode == 1, broken.stdout + broken.stderr
    assert broken.stdout.startswith(f"audit chain BROKEN: {log}:{n}: "), broken.stdout
    doc = json.loads(site.run("report", "--verify", "--json").stdout)
    assert doc["ok"] is False
    assert doc["broken"][0].startswith(f"{log}:{n}: ")
    md = report(site).stdout  # the report still reads, and says the chain is broken
    assert f"(BROKEN: {log}:{n}: " in md


def test_a_failover_by_hand_ends_with_its_timeline_a_dry_run_does_not(site: Site) -> None:
    assert site.run("check").returncode == 0
    dry = site.run("failover", "--dry-run")
    assert dry.returncode == 0, dry.stdout + dry.stderr
    assert "timeline" not in dry.stdout
    p = site.run("failover", "--yes")
    assert p.returncode == 0, p.stdout + p.stderr
    out = p.stdout
    steps_end = max(m.start() for m in re.finditer(r"^\[\d+/\d+\] ", out, re.MULTILINE))
    timeline_at, verdict_at = out.index("timeline ("), out.index("done: run ")
    assert steps_end < timeline_at < verdict_at  # after the step lines, before the verdict
    events = [re.sub(r"^\s+\d\d:\d\d:\d\d\.\d\s+(\+\S+\s+)?", "", line)
              for line in out[timeline_at:verdict_at].splitlines()[1:]]
    assert re.fullmatch(r"failover run \S+ started, by hand \(\S+@\S+\)", events[0]), events
    assert events[1:4] == ["DNS written: primary -> standby",
                           "every nameserver answers with standby", "run finished: ok"]
    assert events[4] == "caches expire: the old answers' TTL (60s) has passed"
    assert len(events) == 5  # a planned move: no failed round, nobody declared down
    assert "- downtime: none seen by the checks (primary passed its last round before the run: " \
           "a planned move)" in report(site).stdout


def test_rehearsals_are_in_the_report(site: Site) -> None:
    site.edit(lambda inv: inv["policy"].update(rto_target="2m"))
    drill = site.run("rehearse", "--yes", "--json")
    assert drill.returncode == 1, drill.stdout + drill.stderr  # over target: not ready
    findings = [f["text"] for f in json.loads(drill.stdout)["findings"]]
    [shown] = json.loads(report(site, "--json").stdout)["rehearsals"]
    assert (shown["readiness"], shown["to"], shown["rto"]["target"]) == ("not ready", "standby",
                                                                         120)
    assert len(shown["findings"]) == len(findings)
    assert all(f.startswith(text) for f, text in zip(shown["findings"], findings, strict=True))
    md = report(site).stdout
    assert "## Rehearsals (1)" in md
    assert re.search(r"\| \S+ \S+ UTC \| standby \| not ready \| \S+ \(detection 3m00s, .*\) \| "
                     r"2m00s \| .*RTO estimate \d+s is over policy\.rto_target 120s", md), md
