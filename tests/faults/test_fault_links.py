"""Fault rows: the primary's link goes down or loses packets; two rounds or runs at once."""

from __future__ import annotations

import re
from typing import Any

import pytest

from tests.faults.conftest import RowRecord
from tests.faults.ledger import Ledger
from tests.scenarios.interrupting import processes
from tests.site import Site, at


def events(site: Site, name: str, **match: Any) -> list[dict[str, Any]]:
    return [e for e in site.audit() if e["event"] == name
            and all(e.get(k) == v for k, v in match.items())]


def ssh_masters(site: Site) -> list[str]:
    """Command lines of ssh connection masters to this rig's standby still running."""
    return [text for _, text in processes()
            if "ControlMaster=yes" in text and f"@{site.standby.address}" in text]


@pytest.mark.fault("link-down")
def test_primary_link_down_fails_over_after_threshold(warm_site: Site, row: RowRecord) -> None:
    site = warm_site
    ledger = Ledger(site)
    (site.standby.webroot / "orders.txt").unlink()  # the standby drifted; the mirror has it
    assert site.run("check").returncode == 0
    site.primary.link_down()

    first, second = site.run("check"), site.run("check")
    assert (first.returncode, second.returncode) == (1, 1), first.stdout + second.stdout
    assert "active host primary failing: 2 of 3 rounds" in second.stdout
    assert site.dns() == at(site.primary.address)

    third = site.run("-v", "check")
    assert third.returncode == 2, third.stdout + third.stderr
    assert "CRITICAL: active host primary is down (3 failed rounds in a row)" in third.stdout
    assert "failover done" in third.stdout
    status = third.stdout.splitlines()[0]  # the monitoring-plugin status line: what happened
    assert status.startswith("FAILOVER CRITICAL - active host primary is down (3 failed rounds "
                             "in a row); failed over to standby (run "), status
    assert " | 'primary_up'=0 'standby_up'=1 " in status
    # the round saw the primary's SSH port time out: the run does not wait for it again
    assert "warm-up: host=standby ssh=handed to the run" in third.stderr
    sync = events(site, "step", action="sync")[-1]
    assert (sync["status"], sync["data"]["pull"], sync["data"]["push"]["created"]) == \
        ("warning", None, ["orders.txt"])
    assert re.fullmatch(r"pull from primary skipped: its SSH port 22 did not answer in this "
                        r"round \(ssh: timeout after 2s\); pushed the last good mirror "
                        r"\(\d+ min old\)", sync["detail"]), sync["detail"]
    assert "pull primary -> mirror: skipped" in third.stdout
    assert not ssh_masters(site)
    assert site.dns() == at(site.standby.address)
    status, body = site.standby.get("/")
    assert status == 200
    assert "v2" in body.decode()
    assert (site.standby.webroot / "orders.txt").read_text() == "order 1001\norder 1002\n"
    assert site.state()["active"] == "standby"

    # the healthy round is counted in a `rounds` line; the failing ones are written in full
    assert [e["count"] for e in events(site, "rounds")] == [1]
    assert len(events(site, "round")) == 3
    assert [e["action"] for e in events(site, "decision")] == ["none", "none", "failover"]
    steps = [(e["action"], e["status"]) for e in events(site, "step")]
    assert ("sync", "warning") in steps  # pull from the dead primary failed; mirror pushed
    assert ("dns", "ok") in steps
    assert ("dns_verify", "ok") in steps
    assert len(events(site, "dns_change")) == 1
    assert any("moved from primary to standby" in m for m in site.hook.messages())

    again = site.run("check")
    assert again.returncode == 1, again.stdout  # WARNING: the old primary, now a standby, is down
    assert "standby primary unhealthy" in again.stdout
    assert len(events(site, "dns_change")) == 1
    assert site.dns() == at(site.standby.address)
    row.see("WARNING x2, CRITICAL on round 3: failed over; orders.txt pushed from the mirror")
    row.nothing_lost(ledger)


@pytest.mark.fault("two-runs")
def test_two_rounds_acting_at_once_change_dns_once(warm_site: Site, row: RowRecord) -> None:
    site = warm_site
    ledger = Ledger(site)
    site.primary.stop_http()
    assert [site.run("check").returncode for _ in range(2)] == [1, 1]
    a, b = site.popen("check"), site.popen("check")
    outs = [p.communicate(timeout=180) for p in (a, b)]
    codes = sorted(p.returncode for p in (a, b))
    # one round takes the lock and fails over (CRITICAL); the other waits for it (60s at most),
    # then sees the standby active and the old primary down (WARNING)
    assert codes == [1, 2], (codes, outs)
    done = [out for out, _ in outs if "failover done" in out]
    assert len(done) == 1, outs
    assert len(events(site, "dns_change")) == 1
    assert len(events(site, "run_start")) == 2  # the warm run and one failover
    assert site.dns() == at(site.standby.address)
    row.see(f"exit codes {codes}: one failover run, DNS changed once")
    row.nothing_lost(ledger)


@pytest.mark.fault("cron-and-manual")
def test_a_cron_round_and_a_manual_failover_at_once_never_interleave(
        warm_site: Site, row: RowRecord) -> None:
    site = warm_site
    ledger = Ledger(site)
    site.primary.stop_http()
    assert [site.run("check").returncode for _ in range(2)] == [1, 1]
    manual, cron = site.popen("failover", "--yes"), site.popen("check")
    outs = {name: (*p.communicate(timeout=180), p.returncode)
            for name, p in (("manual", manual), ("cron", cron))}
    # whichever takes the lock first moves the site; the other waits for it, then finds the
    # standby active: the round sees only the old primary down (WARNING); the manual command
    # says the site moved while it waited and does nothing (exit 1), never moving it back
    codes = (outs["manual"][2], outs["cron"][2])
    assert codes in ((0, 1), (1, 2)), outs
    waited = "the site moved from primary to standby while this command waited for the lock " \
        "(run " in outs["manual"][1]
    if codes == (1, 2) and not waited:  # the round had moved the site before the person asked:
        # then failover means the old primary, which fails its check step
        assert "Standby serves the shop: FAILED" in outs["manual"][0], outs
    assert len(events(site, "dns_change")) == 1, outs
    assert len(events(site, "run_start")) == (2 if waited or codes == (0, 1) else 3)
    assert site.dns() == at(site.standby.address)
    assert site.state()["active"] == "standby"
    # the runs never overlap: each run's records lie between its start and its end
    records = site.audit()
    begun = [i for i, e in enumerate(records) if e["event"] == "run_start"]
    ended = [i for i, e in enumerate(records) if e["event"] == "run_end"]
    assert all(e < s2 for e, s2 in zip(ended, begun[1:], strict=False)), records
    row.see(f"manual exit {outs['manual'][2]}, cron exit {outs['cron'][2]}: one run moved the "
            "site, the other found it moved")
    row.nothing_lost(ledger)
