"""Fault rows: an unknown or changed host key on either host. A key that is not the one we know
stops the whole run, `ignore_errors` or not (DESIGN: invariants), and nothing changes."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.faults.conftest import RowRecord
from tests.faults.ledger import Ledger
from tests.site import PAGE, Site, at


def events(site: Site, name: str, **match: Any) -> list[dict[str, Any]]:
    return [e for e in site.audit() if e["event"] == name
            and all(e.get(k) == v for k, v in match.items())]


def last_run(site: Site) -> list[dict[str, Any]]:
    """The audit records of the newest run, from its run_start on."""
    records = site.audit()
    start = max(i for i, e in enumerate(records) if e["event"] == "run_start")
    return records[start:]


def without(site: Site, host: str) -> Path:
    """A known_hosts file without `host`'s line."""
    address = site.rig.hosts[host].address
    known = site.dir / f"known_hosts-without-{host}"
    known.write_text("".join(line for line in site.rig.known_hosts.read_text().splitlines(True)
                             if not line.startswith(address + " ")))
    return known


@pytest.mark.fault("hostkey-standby-changed")
def test_a_changed_key_on_the_standby_stops_the_run_and_names_the_host(
        warm_site: Site, row: RowRecord) -> None:
    site = warm_site
    (site.primary.webroot / "index.html").write_text(PAGE.format("v3"))
    ledger = Ledger(site)
    with site.standby.wrong_host_key():
        p = site.run("failover", "--yes")
    assert p.returncode == 1, p.stdout + p.stderr
    out = p.stdout + p.stderr
    assert f"host key of standby ({site.standby.address} port 22) has CHANGED" in out, out
    assert site.dns() == at(site.primary.address)
    assert "v3" not in (site.standby.webroot / "index.html").read_text()  # nothing pushed
    assert site.state()["active"] == "primary"
    assert not events(site, "dns_change")
    row.see("exit 1, `host key of standby (...) has CHANGED`; nothing pushed, DNS untouched")
    row.nothing_lost(ledger)


@pytest.mark.fault("hostkey-standby-unknown")
def test_an_unknown_key_on_the_standby_stops_the_run_before_it_starts(
        site: Site, row: RowRecord) -> None:
    ledger = Ledger(site)
    known = without(site, "standby")
    p = site.run("failover", "--yes", FAILOVER_KNOWN_HOSTS=str(known))
    assert p.returncode == 2, p.stdout + p.stderr  # the inventory cannot work: refused up front
    assert f"no host key for standby ({site.standby.address}) in {known}" in p.stderr
    assert site.dns() == at(site.primary.address)
    assert not list(site.state_dir.glob("runs/*.json"))
    row.see("exit 2 before any step: `no host key for standby (...) in KNOWN_HOSTS`")
    row.nothing_lost(ledger)


@pytest.mark.fault("hostkey-primary-unknown")
def test_an_unknown_key_on_the_primary_stops_the_run_before_it_starts(
        site: Site, row: RowRecord) -> None:
    ledger = Ledger(site)
    known = without(site, "primary")
    p = site.run("failover", "--yes", FAILOVER_KNOWN_HOSTS=str(known))
    assert p.returncode == 2, p.stdout + p.stderr
    assert f"no host key for primary ({site.primary.address}) in {known}" in p.stderr
    assert site.dns() == at(site.primary.address)
    assert not list(site.state_dir.glob("runs/*.json"))
    row.see("exit 2 before any step: `no host key for primary (...) in KNOWN_HOSTS`")
    row.nothing_lost(ledger)


@pytest.mark.fault("hostkey-primary-changed")
def test_a_changed_key_on_the_old_primary_stops_the_run_despite_ignore_errors(
        warm_site: Site, row: RowRecord) -> None:
    """The only step that meets the wrong key is the best-effort sync (`ignore_errors: true`)
    and every later step would pass: only the host-key rule (engine/runner.py) stops the run.
    The fence, which would also reach the primary, is left out so it cannot be what stops it."""
    site = warm_site
    ledger = Ledger(site)
    site.edit_playbook("failover", lambda pb: pb["steps"].__delitem__(
        next(i for i, s in enumerate(pb["steps"]) if "fence" in s)))
    (site.primary.webroot / "orders.txt").write_text("order 1001\norder 1002\norder 1003\n")
    with site.primary.wrong_host_key():
        p = site.run("failover", "--yes")
    out = p.stdout + p.stderr
    assert p.returncode == 1, out
    assert f"host key of primary ({site.primary.address} port 22) has CHANGED" in out, out
    steps = [e for e in last_run(site) if e["event"] == "step" and e["phase"] == "steps"]
    assert [(e["action"], e["status"]) for e in steps] == [("check", "ok"), ("sync", "failed")]
    # "failed", not "ignored": the rule overrides ignore_errors, and no later step ran
    assert site.dns() == at(site.primary.address)
    assert site.state()["active"] == "primary"
    assert "order 1003" not in (site.standby.webroot / "orders.txt").read_text()
    row.see("exit 1 at the ignore_errors sync: `host key of primary (...) has CHANGED`; "
            "no later step ran, DNS untouched")
    ledger.mark()
    row.nothing_lost(ledger)
