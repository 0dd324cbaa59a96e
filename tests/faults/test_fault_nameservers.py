"""Fault rows: a nameserver lags behind the flip, or never converges, while `dns_verify` waits
for every nameserver to answer with the new host. The second nameserver is a second real
PowerDNS (tests/rig/dnsservers.py) serving its own copy of the zone."""

from __future__ import annotations

import threading
import time

import pytest
import requests

from tests.faults.conftest import RowRecord
from tests.faults.ledger import Ledger
from tests.rig.dnsservers import DnsServers
from tests.scenarios.interrupting import running
from tests.site import ZONE, Site, at


def two_nameservers(site: Site, servers: DnsServers, verify_timeout: str) -> None:
    ip = site.primary.address
    servers.pdns2.create_zone(ZONE, {("@", "A"): (60, [ip]), ("www", "A"): (60, [ip])})
    second = f"{servers.pdns2.dns_address}:{servers.pdns2.dns_port}"
    site.edit(lambda inv: inv["dns"][0]["nameservers"].append(second))
    site.edit_playbook("failover", lambda pb: [s["dns_verify"].update(timeout=verify_timeout)
                                               for s in pb["steps"] if "dns_verify" in s])


def queries(servers: DnsServers) -> int:
    """Questions the second nameserver has answered so far (its statistics API)."""
    r = requests.get(f"{servers.pdns2.server_url}/statistics",
                     headers={"X-API-Key": servers.pdns2.api_key}, timeout=5)
    stats = {s["name"]: s.get("value") for s in r.json()}
    return int(stats["udp-queries"]) + int(stats["tcp-queries"])


def second(servers: DnsServers) -> dict[str, list[str]]:
    return {name: servers.pdns2.query(name, "A") for name in (ZONE, "www." + ZONE)}


@pytest.mark.fault("ns-lagging")
def test_verify_waits_for_a_lagging_nameserver(warm_site: Site, dns_servers: DnsServers,
                                               row: RowRecord) -> None:
    site = warm_site
    two_nameservers(site, dns_servers, "30s")
    ledger = Ledger(site)
    verifying = running(site, action="dns_verify")
    ip = site.standby.address

    def catch_up() -> None:
        """The secondary gets the change once verify has asked it and seen the old answer."""
        deadline = time.monotonic() + 60
        while not verifying() and time.monotonic() < deadline:
            time.sleep(0.02)
        asked = queries(dns_servers)
        while queries(dns_servers) <= asked and time.monotonic() < deadline:
            time.sleep(0.02)
        dns_servers.pdns2.set_records(ZONE, {("@", "A"): (60, [ip]), ("www", "A"): (60, [ip])})

    thread = threading.Thread(target=catch_up)
    thread.start()
    p = site.run("failover", "--yes")
    thread.join()
    assert p.returncode == 0, p.stdout + p.stderr
    assert "every nameserver answers with standby" in p.stdout, p.stdout
    assert second(dns_servers) == at(ip)
    assert site.dns() == at(ip)
    row.see("verify waited for the second nameserver, then passed; failover done (exit 0)")
    row.nothing_lost(ledger)


@pytest.mark.fault("ns-never")
def test_a_nameserver_that_never_converges_fails_the_run_and_dns_goes_back(
        warm_site: Site, dns_servers: DnsServers, row: RowRecord) -> None:
    site = warm_site
    two_nameservers(site, dns_servers, "3s")
    ledger = Ledger(site)
    p = site.run("failover", "--yes")
    out = p.stdout + p.stderr
    assert p.returncode == 1, out
    assert "Every nameserver answers with the standby: FAILED" in p.stdout, p.stdout
    assert f"{dns_servers.pdns2.dns_address}:{dns_servers.pdns2.dns_port}" in p.stdout
    assert "[rescue 1/2] Put DNS back: OK" in p.stdout, p.stdout
    assert site.dns() == at(site.primary.address)
    assert second(dns_servers) == at(site.primary.address)
    assert site.state()["active"] == "primary"
    row.see("verify gave up after 3s naming the second nameserver; rescue put DNS back (exit 1)")
    row.nothing_lost(ledger)


