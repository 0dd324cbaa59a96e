"""DNS stories through the real `failover` executable: two zones on two providers (BIND over
RFC 2136 and PowerDNS), `dns show` / `dns diff`, the dns_ttl step, and validate's blast radius."""

from __future__ import annotations

import json
from typing import Any

import pytest

from tests.rig.dnsservers import DnsServers
from tests.rig.faultproxy import FaultProxy, Rule
from tests.site import BIND_ZONE, ZONE, Site


@pytest.fixture
def two_zones(site: Site, dns_servers: DnsServers) -> Site:
    """The site with a second zone first in line: two.test. on BIND (RFC 2136 + TSIG)."""
    site.add_bind_zone(dns_servers.bind)
    return site


def bind_values(dns_servers: DnsServers) -> list[list[str]]:
    return [dns_servers.bind.query(BIND_ZONE), dns_servers.bind.query("www." + BIND_ZONE)]


def test_second_zone_failing_restores_the_first_and_the_audit_says_so(
        two_zones: Site, dns_servers: DnsServers) -> None:
    site = two_zones
    with FaultProxy(site.rig.pdns.api_url) as proxy:
        # PowerDNS answers reads, then its API falls over when the change is sent
        proxy.add_rule(Rule(lambda m, p, b: m == "PATCH", times=1000, status=503,
                            content_type="text/html", body=b"<html>503 Service Unavailable</html>"))
        site.edit(lambda inv: inv["dns"][1].update(api_url=proxy.url))
        p = site.run("failover", "--to", "standby", "--yes")
    out = p.stdout + p.stderr
    assert p.returncode == 1, out
    primary = site.primary.address
    assert bind_values(dns_servers) == [[primary], [primary]]  # first zone put back
    assert site.dns() == {ZONE: [primary], "www." + ZONE: [primary]}
    assert "DNS flip failed at zone shop.test." in out
    assert "Zones changed before the failure: two.test." in out
    assert "Every zone is as it was before the flip" in out
    assert site.rig.pdns.api_key not in out
    assert dns_servers.bind.secret not in out
    audit = site.audit()
    failed = [e for e in audit if e["event"] == "step" and e["action"] == "dns"
              and e["status"] == "failed"]
    assert failed, audit
    assert "two.test." in failed[0]["detail"]
    assert "shop.test." in failed[0]["detail"]
    text = (site.state_dir / "audit.jsonl").read_text()
    assert dns_servers.bind.secret not in text
    assert site.rig.pdns.api_key not in text


def test_second_zone_unreachable_changes_no_zone(two_zones: Site,
                                                 dns_servers: DnsServers) -> None:
    site = two_zones
    site.rig.pdns.stop()  # host_reset starts it again
    p = site.run("failover", "--to", "standby", "--yes")
    assert p.returncode == 1, p.stdout + p.stderr
    assert "shop.test." in p.stdout + p.stderr
    assert "connection refused" in p.stdout + p.stderr
    assert bind_values(dns_servers) == [[site.primary.address]] * 2
    assert not [e for e in site.audit() if e["event"] == "dns_change"]


def test_two_zones_flip_together(two_zones: Site, dns_servers: DnsServers) -> None:
    site = two_zones
    p = site.run("failover", "--to", "standby", "--yes")
    assert p.returncode == 0, p.stdout + p.stderr
    standby = site.standby.address
    assert bind_values(dns_servers) == [[standby], [standby]]
    assert site.dns() == {ZONE: [standby], "www." + ZONE: [standby]}
    assert f"{dns_servers.bind.server}: ok" in p.stdout  # dns_verify asked BIND directly too
    assert "resolvers may serve cached old answers until" in p.stdout
    changes = [e for e in site.audit() if e["event"] == "dns_change"]
    assert [z["zone"] for z in changes[0]["zones"]] == [BIND_ZONE, ZONE]


def test_dns_show_and_diff(two_zones: Site, dns_servers: DnsServers) -> None:
    site = two_zones
    show = site.run("dns", "show")
    assert show.returncode == 0, show.stderr
    assert "two.test. (rfc2136): points at primary" in show.stdout
    assert "shop.test. (powerdns): points at primary" in show.stdout
    assert "DNS points at: primary" in show.stdout
    doc = json.loads(site.run("--json", "dns", "show").stdout)
    assert doc["points_at"] == "primary"
    assert [z["provider"] for z in doc["zones"]] == ["rfc2136", "powerdns"]
    diff = site.run("dns", "diff", "--to", "standby")
    assert diff.returncode == 0, diff.stderr
    assert f"www.two.test. A 60: {site.primary.address} -> {site.standby.address}" in diff.stdout
    assert "4 change(s) to point DNS at standby" in diff.stdout
    for p in (show, diff):
        assert dns_servers.bind.secret not in p.stdout + p.stderr
        assert site.rig.pdns.api_key not in p.stdout + p.stderr
    assert bind_values(dns_servers) == [[site.primary.address]] * 2  # diff changed nothing
    unknown = site.run("dns", "diff", "--to", "nowhere")
    assert unknown.returncode == 2
    assert "unknown host 'nowhere'" in unknown.stderr


def test_dns_ttl_lowers_then_restores(two_zones: Site, dns_servers: DnsServers) -> None:
    site = two_zones
    (site.dir / "playbooks" / "lower.yaml").write_text(
        "name: Lower TTLs before planned work\nsteps:\n  - dns_ttl: {ttl: 30}\n")
    (site.dir / "playbooks" / "restore.yaml").write_text(
        "name: Restore TTLs\nsteps:\n  - dns_ttl: {restore: true}\n")
    site.edit(lambda inv: inv["playbooks"].update(lower="playbooks/lower.yaml",
                                                  restore="playbooks/restore.yaml"))
    p = site.run("run", "lower", "--to", "standby", "--yes")
    assert p.returncode == 0, p.stdout + p.stderr
    ttls = {r["name"]: r["ttl"] for z in json.loads(site.run("--json", "dns", "show").stdout)
            ["zones"] for r in z["records"]}
    assert set(ttls.values()) == {30}
    assert site.run("dns", "show").stdout.count("points at primary") == 2  # values untouched
    p = site.run("run", "restore", "--to", "standby", "--yes")
    assert p.returncode == 0, p.stdout + p.stderr
    ttls = {r["name"]: r["ttl"] for z in json.loads(site.run("--json", "dns", "show").stdout)
            ["zones"] for r in z["records"]}
    assert set(ttls.values()) == {60}


def test_validate_flags_nameservers_on_the_primarys_network(site: Site) -> None:
    net = site.primary.address.rsplit(".", 1)[0]

    def on_primary_net(inv: dict[str, Any]) -> None:
        inv["dns"][0]["nameservers"] = [f"{net}.53:53", "dns101.hoster-a.example"]

    site.edit(on_primary_net)
    p = site.run("validate")
    assert p.returncode == 0, p.stderr
    assert (f"nameserver {net}.53:53 shares fate with host primary ({net}.53 is in {net}.0/24)"
            in p.stdout)
    assert ("nameserver dns101.hoster-a.example shares fate with host primary (its name carries "
            "the provider label 'hoster-a')") in p.stdout
