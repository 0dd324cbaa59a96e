"""Issue 20, dual stack, through the real executable on the rig: both hosts have an IPv6 address
on their link (a ULA of the rig's own), two zones on two nameservers (PowerDNS over its API, BIND
over RFC 2136) hold A and AAAA records, every check runs over both families, and a flip moves each
family only where its checks passed.

One site for the module (a fresh state dir, zones and inventory per test)."""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.rig import Rig
from tests.rig.dnsservers import DnsServers
from tests.site import ZONE, Site, WebhookReceiver

BIND_ZONE = "dual.test."
NAMES = (ZONE, "www." + ZONE)
RECORDS = [{"name": "@", "type": "A", "ttl": 60}, {"name": "www", "type": "A", "ttl": 60},
           {"name": "@", "type": "AAAA", "ttl": 60}, {"name": "www", "type": "AAAA", "ttl": 60}]


class DualSite:
    def __init__(self, site: Site, servers: DnsServers) -> None:
        self.site = site
        self.bind = bind = servers.bind
        p, s = site.primary, site.standby
        site.env["TSIG_SECRET"] = bind.secret
        site.edit(lambda inv: (
            inv["hosts"]["primary"].update(address6=p.address6),
            inv["hosts"]["standby"].update(address6=s.address6),
            inv["dns"][0].update(records=RECORDS),
            inv["dns"].append({
                "provider": "rfc2136", "zone": BIND_ZONE, "server": bind.server,
                "timeout": "3s", "nameservers": [bind.server], "records": RECORDS,
                "tsig": {"name": bind.key_name, "algorithm": "hmac-sha256",
                         "secret": "${TSIG_SECRET}"}}),
            [c.update(timeout="1s") for c in inv["checks"]]))
        self.base = site.inventory.read_text()

    def reset(self) -> None:
        site = self.site
        site.inventory.write_text(self.base)
        shutil.rmtree(site.state_dir, ignore_errors=True)
        p = site.primary
        records = {("@", "A"): (60, [p.address]), ("www", "A"): (60, [p.address]),
                   ("@", "AAAA"): (60, [p.address6]), ("www", "AAAA"): (60, [p.address6])}
        site.rig.pdns.create_zone(ZONE, records)
        self.bind.set_records(BIND_ZONE, records)
        site.seed()

    def policy(self, **values: str) -> None:
        self.site.edit(lambda inv: inv["policy"].update(values))

    def dns(self) -> dict[str, list[str]]:
        """What both zones' nameservers answer: A and AAAA of the apex and www (`type name`)."""
        pdns = self.site.rig.pdns
        found = {f"{t} {n}": pdns.query(n, t) for n in NAMES for t in ("A", "AAAA")}
        return found | {f"{t} {n}": self.bind.query(n, t)
                        for n in (BIND_ZONE, "www." + BIND_ZONE) for t in ("A", "AAAA")}

    def at(self, host: str, *, aaaa: bool = True) -> dict[str, list[str]]:
        h = self.site.rig.hosts[host]
        return {f"{t} {n}": [h.address] if t == "A" else [h.address6] if aaaa else []
                for n in (*NAMES, BIND_ZONE, "www." + BIND_ZONE) for t in ("A", "AAAA")}


@pytest.fixture(scope="module")
def dual_module(rig: Rig, dns_servers: DnsServers,
                tmp_path_factory: pytest.TempPathFactory) -> Iterator[DualSite]:
    hook = WebhookReceiver()
    try:
        yield DualSite(Site(rig, tmp_path_factory.mktemp("dualstack"), hook), dns_servers)
    finally:
        hook.close()


@pytest.fixture
def dual(dual_module: DualSite) -> Iterator[DualSite]:
    dual_module.reset()
    yield dual_module
    for h in dual_module.site.rig.hosts.values():
        h.reset()


def test_every_check_runs_over_both_families_and_every_output_says_which(
        dual: DualSite, tmp_path: Path) -> None:
    site = dual.site
    prom = tmp_path / "failover.prom"
    p = site.run("check", "--prom-file", str(prom))
    assert p.returncode == 0, p.stdout + p.stderr
    first, *table = p.stdout.splitlines()
    assert first.startswith("FAILOVER OK - active host primary healthy | ")
    for perf in ("'primary_ipv4_up'=1", "'primary_ipv6_up'=1", "'standby_ipv6_up'=1",
                 "'primary_storefront_ipv6_seconds'="):
        assert perf in first
    rows = [line.split()[:3] for line in table if line.startswith(("primary", "standby"))]
    assert ["primary", "(active)", "storefront/ipv6"] in rows
    assert ["standby", "ssh/ipv6", "ok"] in rows
    assert len(rows) == 8
    text = prom.read_text()
    assert 'failover_check_up{check="storefront",family="ipv6",host="standby"} 1.0' in text
    s = site.run("status")
    assert "primary by family: IPv4 ok x1, IPv6 ok x1" in s.stdout, s.stdout


def test_standby_serving_ipv4_only_is_refused_and_dns_stays(dual: DualSite) -> None:
    site = dual.site
    with site.standby.http_ipv4_only():
        p = site.run("failover", "--to", "standby", "--yes")
        assert p.returncode == 1, p.stdout + p.stderr
        out = p.stdout + p.stderr
        assert ("standby passes its checks over IPv4 only (IPv6: storefront: connection "
                "refused); policy.partial_family is refuse") in out
        assert dual.dns() == dual.at("primary")  # A and AAAA, on the zone's nameserver
        c = site.run("check", "--no-act")
        assert c.returncode == 1, c.stdout
        assert ("WARNING: standby standby unhealthy over IPv6 (storefront: connection refused); "
                "healthy over IPv4") in c.stdout


def test_partial_family_allow_moves_a_and_removes_aaaa_audited(dual: DualSite) -> None:
    site = dual.site
    dual.policy(partial_family="allow")
    with site.standby.http_ipv4_only():
        p = site.run("failover", "--to", "standby", "--yes")
    assert p.returncode == 0, p.stdout + p.stderr
    assert "policy.partial_family: allow: a flip to it removes its AAAA records" in p.stdout
    assert "every nameserver answers with standby (its AAAA records removed)" in p.stdout
    assert dual.dns() == dual.at("standby", aaaa=False)
    shown = site.run("dns", "show", "--json")
    assert json.loads(shown.stdout)["points_at"] == "standby", shown.stdout + shown.stderr
    [event] = [e for e in site.audit() if e["event"] == "partial_family"]
    assert (event["host"], event["serves"], event["dropped"]) == ("standby", ["ipv4"], ["ipv6"])


def test_primary_losing_ipv6_warns_then_fails_over_flipping_a_and_aaaa(dual: DualSite) -> None:
    site = dual.site
    with site.primary.remove_address6():
        for n in (1, 2):
            p = site.run("check")
            assert p.returncode == 1, p.stdout + p.stderr
            assert p.stdout.startswith(
                "FAILOVER WARNING - active host primary degraded: IPv6 failing for "
                f"{n} round(s) (storefront: timeout after 1s; ssh: timeout after 1s) while IPv4 "
                f"serves; {n} of 3 rounds before failover (policy.failover_on: any_family)")
        assert "primary  active, degraded" in site.run("status").stdout
        p = site.run("check")
    assert p.returncode == 2, p.stdout + p.stderr
    assert "failed over to standby" in p.stdout.splitlines()[0]
    assert dual.dns() == dual.at("standby")  # A and AAAA together
    pdns = site.rig.pdns
    for line in ("shop.test. AAAA 60: {p} -> {s}", "dual.test. AAAA 60: {p} -> {s}",
                 "[5/7] Every nameserver answers with the standby: OK",
                 f"{pdns.dns_address}:{pdns.dns_port}: ok", f"{dual.bind.server}: ok",
                 "[6/7] Fence the old host (best effort; it stays demoted either way): OK"):
        assert line.format(p=site.primary.address6, s=site.standby.address6) in p.stdout, p.stdout


def test_all_families_keeps_the_primary_that_still_serves_ipv4(dual: DualSite) -> None:
    site = dual.site
    dual.policy(failover_on="all_families")
    with site.primary.remove_address6():
        for _ in range(3):  # policy.failure_threshold rounds: any_family would fail over now
            p = site.run("check")
            assert p.returncode == 1, p.stdout + p.stderr
    assert "no failover while IPv4 serves (policy.failover_on: all_families)" in p.stdout
    assert dual.dns() == dual.at("primary")


def test_a_checker_without_ipv6_says_so_once_and_judges_ipv4_only(dual: DualSite) -> None:
    """Its IPv6 control target fails (a closed port on ::1 stands for a dead IPv6 uplink): the
    IPv6 results are UNKNOWN, said once, and a standby refusing IPv6 is not marked unhealthy."""
    site = dual.site
    site.edit(lambda inv: inv["control_targets"].append("tcp://[::1]:9"))
    with site.standby.http_ipv4_only():
        p = site.run("check")
    assert p.returncode == 0, p.stdout + p.stderr
    note = ("checker has no IPv6 connectivity: no IPv6 control target answers: tcp://[::1]:9 "
            "(connection refused); IPv6 results are UNKNOWN and mark no host down")
    assert p.stdout.count(note) == 2  # the status line and the reasons: one line each
    assert ["standby", "storefront/ipv6", "UNKNOWN"] in [
        line.split()[:3] for line in p.stdout.splitlines()]
    assert "unhealthy" not in p.stdout
    assert site.state()["hosts"]["standby"]["fail"] == 0
