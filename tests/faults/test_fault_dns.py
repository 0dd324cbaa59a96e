"""Fault rows: the DNS provider's API fails in the middle of a flip. A real HTTP proxy
(tests/rig/faultproxy.py) sits in front of the rig's real PowerDNS and answers 500, hangs, or
answers garbage on cue; everything else reaches PowerDNS."""

from __future__ import annotations

import json
import subprocess
from collections.abc import Iterator
from typing import Any

import pytest

from tests.faults.conftest import RowRecord
from tests.faults.ledger import Ledger
from tests.rig.dnsservers import DnsServers
from tests.rig.faultproxy import FaultProxy, Rule
from tests.site import BIND_ZONE, FAILOVER, ZONE, Site, at

SECOND = "shop2.test."


@pytest.fixture
def proxy(warm_site: Site) -> Iterator[FaultProxy]:
    """The site's PowerDNS API reached through a fault proxy; the zone's timeout is 1s."""
    with FaultProxy(warm_site.rig.pdns.api_url) as p:
        warm_site.env["PDNS_API_URL"] = p.url
        warm_site.edit(lambda inv: inv["dns"][0].update(timeout="1s"))
        yield p


def writes(method: str, path: str, body: bytes) -> bool:
    return method == "PATCH" and path.endswith(f"/zones/{ZONE}")


def reads(method: str, path: str, body: bytes) -> bool:
    return method == "GET" and path.endswith(f"/zones/{ZONE}")


class AfterTheWrite:
    """Matches the zone reads that follow the first write: the read that proves a change."""

    def __init__(self) -> None:
        self.written = False

    def __call__(self, method: str, path: str, body: bytes) -> bool:
        if writes(method, path, body):
            self.written = True
            return False
        return self.written and reads(method, path, body)


def failed_flip(site: Site, p: Any) -> None:
    """The run failed, put DNS back (or never changed it), and says so."""
    out = p.stdout + p.stderr
    assert p.returncode == 1, out
    assert "Traceback" not in out
    assert "running rescue" in p.stdout, out
    assert site.dns() == at(site.primary.address)
    assert site.state()["active"] == "primary"


@pytest.mark.fault("dns-500")
def test_an_api_answering_500_leaves_dns_as_it_was(warm_site: Site, proxy: FaultProxy,
                                                    row: RowRecord) -> None:
    site = warm_site
    ledger = Ledger(site)
    proxy.add_rule(Rule(writes, times=99, status=500, body=b'{"error": "database locked"}',
                        content_type="application/json"))
    p = site.run("failover", "--yes")
    failed_flip(site, p)
    assert proxy.count(writes) == 3  # three tries, then the run gives up
    assert "server error HTTP 500: database locked" in p.stdout, p.stdout
    row.see("3 PATCH tries answered 500; exit 1, rescue: DNS as it was")
    row.nothing_lost(ledger)


@pytest.mark.fault("dns-timeout")
def test_an_api_that_hangs_leaves_dns_as_it_was(warm_site: Site, proxy: FaultProxy,
                                                row: RowRecord) -> None:
    site = warm_site
    ledger = Ledger(site)
    proxy.add_rule(Rule(writes, times=99, status=504, delay=1.5))
    p = site.run("failover", "--yes")
    failed_flip(site, p)
    assert proxy.count(writes) >= 3, p.stdout  # and the restore's PATCHes, which hang too
    assert "no answer within 1s" in p.stdout, p.stdout
    row.see("every PATCH hung past the 1s timeout; exit 1, rescue: DNS as it was")
    row.nothing_lost(ledger)


@pytest.mark.fault("dns-garbage")
def test_an_api_answering_garbage_after_the_change_is_rescued(
        warm_site: Site, proxy: FaultProxy, row: RowRecord) -> None:
    """The PATCH goes through; the read after it answers invalid JSON: the outcome is unknown,
    so the run fails and the zone is put back."""
    site = warm_site
    ledger = Ledger(site)
    proxy.add_rule(Rule(AfterTheWrite(), times=1, status=200, body=b'{"rrsets": [',
                        content_type="application/json"))
    p = site.run("failover", "--yes")
    out = p.stdout + p.stderr
    assert "Traceback" not in out
    assert "answered something that is not JSON" in out, out
    assert p.returncode == 1, out
    assert site.dns() == at(site.primary.address)
    row.see("the read after the PATCH answered `{\"rrsets\": [`: `answered something that is "
            "not JSON`; the zone put back, exit 1")
    row.nothing_lost(ledger)


def retype(payload: bytes) -> bytes:
    zone = json.loads(payload)
    for rrset in zone.get("rrsets", []):
        if rrset["type"] == "A":
            rrset["type"] = "TXT"
            for r in rrset["records"]:
                r["content"] = json.dumps(r["content"])
    return json.dumps(zone).encode()


@pytest.mark.fault("dns-wrong-types")
def test_an_api_answering_the_wrong_record_types_changes_nothing_half_way(
        warm_site: Site, proxy: FaultProxy, row: RowRecord) -> None:
    site = warm_site
    ledger = Ledger(site)
    proxy.add_rule(Rule(AfterTheWrite(), times=1, status=None, rewrite=retype))
    p = site.run("failover", "--yes")
    out = p.stdout + p.stderr
    assert "Traceback" not in out
    assert p.returncode == 1, out
    assert site.dns() == at(site.primary.address), out
    row.see("the read after the PATCH answered the A records as TXT: the zone put back, exit 1")
    row.nothing_lost(ledger)


def second_zone(site: Site, proxy: FaultProxy) -> None:
    """A second zone, shop2.test., on the same PowerDNS behind the proxy: a flip changes both."""
    ip = site.primary.address
    site.rig.pdns.create_zone(SECOND, {("@", "A"): (60, [ip]), ("www", "A"): (60, [ip])})

    def add(inv: dict[str, Any]) -> None:
        zone = json.loads(json.dumps(inv["dns"][0]))
        zone["zone"] = SECOND
        inv["dns"].append(zone)

    site.edit(add)


def second_dns(site: Site) -> dict[str, list[str]]:
    return {name: site.rig.pdns.query(name, "A") for name in (SECOND, "www." + SECOND)}


@pytest.mark.fault("dns-second-zone")
def test_the_second_zone_failing_puts_the_first_back(warm_site: Site, proxy: FaultProxy,
                                                     row: RowRecord) -> None:
    site = warm_site
    second_zone(site, proxy)
    ledger = Ledger(site, zones=(ZONE, SECOND))
    before = second_dns(site)
    proxy.add_rule(Rule(lambda m, p, b: m == "PATCH" and p.endswith(f"/zones/{SECOND}"),
                        times=99, status=422, body=b'{"error": "RRset www.shop2.test. IN A: '
                        b'Conflicts with pre-existing RRset"}', content_type="application/json"))
    p = site.run("failover", "--yes")
    failed_flip(site, p)
    assert proxy.count(writes) == 2, p.stdout  # zone 1 changed, then put back
    assert "Restored to their previous values: shop.test." in p.stdout, p.stdout
    assert second_dns(site) == before
    row.see("zone 2 refused (422): zone 1 changed and put back; both as they were, exit 1")
    row.nothing_lost(ledger)


@pytest.mark.fault("down-and-dns-flaky")
def test_primary_down_and_the_api_failing_twice_still_fails_over(
        warm_site: Site, proxy: FaultProxy, row: RowRecord) -> None:
    site = warm_site
    ledger = Ledger(site)
    proxy.add_rule(Rule(writes, times=2, status=503, body=b"busy", content_type="text/plain"))
    site.primary.stop_http()
    codes = [site.run("check") for _ in range(3)]
    assert [p.returncode for p in codes] == [1, 1, 2], [p.stdout for p in codes]
    assert "failover done" in codes[-1].stdout, codes[-1].stdout + codes[-1].stderr
    assert proxy.count(writes) == 3  # two 503s, then the write that landed
    assert site.dns() == at(site.standby.address)
    assert site.state()["active"] == "standby"
    row.see("PATCH answered 503 twice, landed on the third try: failover done in round 3")
    row.nothing_lost(ledger)


@pytest.mark.fault("tsig-badtime")
def test_a_skewed_clock_is_refused_by_tsig_and_changes_nothing(
        warm_site: Site, dns_servers: DnsServers, row: RowRecord) -> None:
    """The orchestrator's clock 10 minutes ahead (libfaketime; BIND allows 5): the signed
    UPDATE to BIND is refused with BADTIME before any zone changed."""
    site = warm_site
    bind = dns_servers.bind
    ip = site.primary.address
    site.add_bind_zone(bind)
    ledger = Ledger(site)
    p = subprocess.run(["faketime", "-f", "+600s", FAILOVER, "-i", str(site.inventory),
                        "failover", "--yes"], env=site.env, capture_output=True, text=True,
                       timeout=180, stdin=subprocess.DEVNULL, check=False)
    out = p.stdout + p.stderr
    assert p.returncode == 1, out
    assert "Traceback" not in out
    assert "BADTIME (clocks differ too much)" in out, out
    assert bind.query(BIND_ZONE) == [ip]
    assert bind.query("www." + BIND_ZONE) == [ip]
    assert site.dns() == at(ip)
    assert bind.secret not in out
    row.see("UPDATE refused: `BADTIME (clocks differ too much)`; both zones as they were, exit 1")
    row.nothing_lost(ledger)
