"""dns_verify against a zone served by two real nameservers (the rig's PowerDNS and a second
PowerDNS), one of them lagging behind the flip."""

from __future__ import annotations

from typing import Any

from failover.dns.flip import apply_flip, plan_flip
from failover.dns.verify import VerifyReport, verify
from tests.contract.dns_contract import make_inventory
from tests.contract.test_dns_providers import rig_hosts
from tests.rig import Rig
from tests.rig.dnsservers import DnsServers

ZONE = "lagging.test."


def setup(rig: Rig, servers: DnsServers) -> Any:
    ip = rig.primary.address
    records = {("@", "A"): (60, [ip]), ("www", "A"): (60, [ip])}
    rig.pdns.create_zone(ZONE, records)
    servers.pdns2.create_zone(ZONE, records)
    inv = make_inventory(rig_hosts(rig), [{
        "provider": "powerdns", "zone": ZONE, "api_url": rig.pdns.api_url,
        "api_key": rig.pdns.api_key,
        "nameservers": [f"{rig.pdns.dns_address}:{rig.pdns.dns_port}",
                        f"{servers.pdns2.dns_address}:{servers.pdns2.dns_port}"],
        "records": [{"name": "@", "type": "A", "ttl": 60}, {"name": "www", "type": "A"}]}])
    apply_flip(plan_flip(inv, "standby"))  # the first nameserver has it now, the second not
    return inv


def test_waits_for_the_lagging_nameserver_then_passes(rig: Rig, dns_servers: DnsServers) -> None:
    inv = setup(rig, dns_servers)
    rounds: list[VerifyReport] = []

    def progress(report: VerifyReport) -> None:
        rounds.append(report)
        if len(rounds) == 1:  # the secondary catches up only after we saw it lag
            ip = rig.standby.address
            dns_servers.pdns2.set_records(ZONE, {("@", "A"): (60, [ip]), ("www", "A"): (60, [ip])})

    report = verify(inv, "standby", timeout=20, interval=0.2, on_progress=progress)
    assert report.ok, report.lines()
    assert len(rounds) >= 2
    first = {ns.port: ns.ok for ns in rounds[0].nameservers}
    assert first == {rig.pdns.dns_port: True, dns_servers.pdns2.dns_port: False}
    assert all(ns.ok for ns in report.nameservers)


def test_times_out_with_a_per_nameserver_report(rig: Rig, dns_servers: DnsServers) -> None:
    inv = setup(rig, dns_servers)
    report = verify(inv, "standby", timeout=1.0, interval=0.2)
    assert not report.ok
    lines = report.lines()
    lagging = f"127.0.0.1:{dns_servers.pdns2.dns_port}"
    assert f"127.0.0.1:{rig.pdns.dns_port}: ok" in lines
    assert (f"{lagging}: www.{ZONE} A: got {rig.primary.address}, want {rig.standby.address}"
            in lines)
    assert "not every nameserver answers" in lines[-1]
    assert "resolvers may serve cached old answers until" in lines[-1]
