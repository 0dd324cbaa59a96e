"""Fault rows: the hosts fail (link, hung server, flapping), the checker is offline, the standby
is unhealthy. Each row causes its fault on the rig and runs the real `failover` executable."""

from __future__ import annotations

import socket
from typing import Any

import pytest

from tests.faults.conftest import RowRecord
from tests.faults.ledger import Ledger
from tests.rig import faults
from tests.site import Site, at


def events(site: Site, name: str, **match: Any) -> list[dict[str, Any]]:
    return [e for e in site.audit() if e["event"] == name
            and all(e.get(k) == v for k, v in match.items())]


def status_line(p: Any) -> str:
    return str(p.stdout).splitlines()[0] if p.stdout else ""


@pytest.mark.fault("http-hung")
def test_a_hung_web_server_is_cut_off_by_the_timeout_and_fails_over(warm_site: Site,
                                                                    row: RowRecord) -> None:
    site = warm_site
    ledger = Ledger(site)
    with faults.freeze(site.primary.http):
        codes = [site.run("check") for _ in range(3)]
    assert [p.returncode for p in codes] == [1, 1, 2], [p.stdout for p in codes]
    [storefront] = [line for line in codes[0].stdout.splitlines()
                    if line.startswith("primary (active)  storefront")]
    assert storefront.split()[-3:] == ["timeout", "after", "2s"], storefront
    assert "failover done" in codes[2].stdout
    assert site.dns() == at(site.standby.address)
    row.see("probe cut off: storefront `timeout after 2s`; CRITICAL, failed over on round 3")
    row.nothing_lost(ledger)


def flaps(site: Site, pattern: str) -> list[int]:
    """One `check` per letter: D with the primary's web server stopped, U with it running."""
    codes = []
    for state in pattern:
        if state == "D":
            site.primary.stop_http()
        else:
            site.primary.start_http()
        codes.append(site.run("check").returncode)
    site.primary.start_http()
    return codes


@pytest.mark.fault("flap-every-round")
def test_a_primary_flapping_every_round_is_never_failed_over(site: Site, row: RowRecord) -> None:
    ledger = Ledger(site)
    codes = flaps(site, "DUDUDUDU")
    assert codes == [1, 0] * 4
    assert site.dns() == at(site.primary.address)
    assert not events(site, "run_start")
    assert [e["action"] for e in events(site, "decision")] == ["none"] * 4
    row.see(f"exit codes {codes}: WARNING then OK; no run started")
    row.nothing_lost(ledger)


@pytest.mark.fault("flap-every-other")
def test_a_primary_flapping_every_other_round_is_never_failed_over(site: Site,
                                                                    row: RowRecord) -> None:
    ledger = Ledger(site)
    codes = flaps(site, "DDUUDDUU")
    assert codes == [1, 1, 0, 0] * 2
    assert site.dns() == at(site.primary.address)
    assert not events(site, "run_start")
    row.see(f"exit codes {codes}: streak of 2 of 3 never reached; no run started")
    row.nothing_lost(ledger)


@pytest.mark.fault("checker-offline")
def test_an_offline_checker_never_acts(site: Site, row: RowRecord) -> None:
    ledger = Ledger(site)
    # the control target: a real listener on loopback, closed when the checker "goes offline"
    listener = socket.create_server(("127.0.0.1", 0))
    port = listener.getsockname()[1]
    site.edit(lambda inv: inv.update(control_targets=[f"tcp://127.0.0.1:{port}"]))
    site.primary.stop_http()
    assert site.run("check").returncode == 1  # online: the round counts
    listener.close()
    for _ in range(3):
        p = site.run("check")
        assert p.returncode == 3, p.stdout + p.stderr
        assert status_line(p).startswith(
            "FAILOVER UNKNOWN - checker offline: no control target answers"), p.stdout
    assert site.state()["hosts"]["primary"]["fail"] == 1  # offline rounds count nothing
    assert site.dns() == at(site.primary.address)
    assert not events(site, "dns_change")
    row.see("UNKNOWN (exit 3) x3, `checker offline: no control target answers`; streak held at 1")
    row.nothing_lost(ledger)


@pytest.mark.fault("all-hosts-down")
def test_every_host_failing_blocks_the_failover(site: Site, row: RowRecord) -> None:
    ledger = Ledger(site)
    site.primary.stop_http()
    site.standby.stop_http()
    codes = [site.run("check") for _ in range(4)]
    assert [p.returncode for p in codes] == [1, 1, 2, 2], [p.stdout for p in codes]
    assert "failover blocked: no standby passed its checks this round" in codes[-1].stdout
    assert site.dns() == at(site.primary.address)
    assert site.state()["active"] == "primary"
    assert not events(site, "run_start")
    row.see("CRITICAL (exit 2) `failover blocked: no standby passed its checks`; no run")
    row.nothing_lost(ledger)


@pytest.mark.fault("standby-unhealthy")
def test_a_standby_that_fails_at_failover_time_is_not_made_active(warm_site: Site,
                                                                  row: RowRecord) -> None:
    site = warm_site
    ledger = Ledger(site)
    site.primary.stop_http()
    assert [site.run("check").returncode for _ in range(2)] == [1, 1]  # standby healthy so far
    with faults.freeze(site.standby.http):  # and hung when the failover needs it
        p = site.run("check")
    assert p.returncode == 2, p.stdout + p.stderr
    assert "failover blocked: no standby passed its checks this round" in p.stdout, p.stdout
    manual = None
    with faults.freeze(site.standby.http):
        manual = site.run("failover", "--yes")
    assert manual.returncode == 1, manual.stdout + manual.stderr
    assert "Standby serves the shop: FAILED" in manual.stdout, manual.stdout
    assert "this run changed no DNS; nothing to put back" in manual.stdout
    assert site.dns() == at(site.primary.address)
    assert site.state()["active"] == "primary"
    row.see("round: CRITICAL, failover blocked; by hand: stopped at its check step, exit 1")
    row.nothing_lost(ledger)


@pytest.mark.fault("down-and-standby-flaky")
def test_primary_down_and_the_standby_failing_once_fails_over_on_the_next_round(
        warm_site: Site, row: RowRecord) -> None:
    site = warm_site
    ledger = Ledger(site)
    site.primary.stop_http()
    assert [site.run("check").returncode for _ in range(2)] == [1, 1]
    with site.standby.stop_http():  # the round where the primary is due: the standby fails
        blocked = site.run("check")
    assert blocked.returncode == 2, blocked.stdout
    assert "failover blocked: no standby passed its checks this round" in blocked.stdout
    assert site.dns() == at(site.primary.address)
    done = site.run("check")
    assert done.returncode == 2, done.stdout + done.stderr
    assert "failover done" in done.stdout, done.stdout
    assert site.dns() == at(site.standby.address)
    assert len(events(site, "dns_change")) == 1
    row.see("round 3 blocked (standby failing), round 4: failover done")
    row.nothing_lost(ledger)
