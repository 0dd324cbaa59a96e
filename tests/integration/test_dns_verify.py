"""verify(): every nameserver answers the target's values, asked directly; the rig's PowerDNS."""

from __future__ import annotations

import re
import socket
import time
from collections.abc import Iterator
from typing import Any

import pytest

from failover.dns.flip import apply_flip, plan_flip
from failover.dns.verify import VerifyReport, parse_nameserver, verify
from failover.model.inventory import Inventory
from tests.rig import Rig

TXT = "v=spf1 a mx -all"


@pytest.fixture
def zone_name(request: pytest.FixtureRequest) -> str:
    label = re.sub(r"[^a-z0-9]+", "-", request.node.name.lower()).strip("-")[:50].strip("-")
    return f"{label}.test."


@pytest.fixture
def silent_nameserver() -> Iterator[str]:
    """127.0.0.1:PORT where a UDP socket is bound but never answers."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.bind(("127.0.0.1", 0))
    yield f"127.0.0.1:{sock.getsockname()[1]}"
    sock.close()


def make_inventory(rig: Rig, zone: str, nameservers: list[str]) -> Inventory:
    zone_config: dict[str, Any] = {
        "provider": "powerdns", "zone": zone, "api_url": rig.pdns.api_url,
        "api_key": rig.pdns.api_key, "nameservers": nameservers,
        "records": [{"name": "@", "type": "A", "ttl": 60}, {"name": "www", "type": "A", "ttl": 60},
                    {"name": "@", "type": "TXT", "ttl": 300,
                     "values": {"primary": TXT, "standby": TXT}}]}
    return Inventory.parse({
        "site": "shop.test", "path": "/nonexistent/inventory.yaml", "state_dir": "/nonexistent",
        "hosts": {"primary": {"address": rig.primary.address},
                  "standby": {"address": rig.standby.address}},
        "ssh": {"known_hosts": "/nonexistent/known_hosts"},
        "dns": [zone_config], "checks": [{"name": "web", "type": "tcp", "port": 80}],
    })


def pdns_at(rig: Rig) -> str:
    return f"{rig.pdns.dns_address}:{rig.pdns.dns_port}"


def create_zone(rig: Rig, zone: str) -> None:
    ip = rig.primary.address
    rig.pdns.create_zone(zone, {("@", "A"): (60, [ip]), ("www", "A"): (60, [ip]),
                                ("@", "TXT"): (300, [f'"{TXT}"'])})


def test_verify_passes_when_every_nameserver_answers(rig: Rig, zone_name: str) -> None:
    create_zone(rig, zone_name)
    inv = make_inventory(rig, zone_name, [pdns_at(rig)])
    apply_flip(plan_flip(inv, "standby"))
    rounds: list[VerifyReport] = []
    before = time.time()
    report = verify(inv, "standby", timeout=10, interval=0.2, on_progress=rounds.append)
    assert report.ok, report.lines()
    assert [(ns.address, ns.port, ns.ok, ns.mismatches) for ns in report.nameservers] == [
        (rig.pdns.dns_address, rig.pdns.dns_port, True, [])]
    assert rounds
    assert rounds[-1] is report
    assert before + 300 <= report.caches_until <= time.time() + 300  # largest managed TTL
    assert report.lines()[0] == f"{pdns_at(rig)}: ok"
    assert report.to_json()["nameservers"][0]["ok"] is True


def test_verify_reports_old_answers_per_record(rig: Rig, zone_name: str) -> None:
    create_zone(rig, zone_name)
    inv = make_inventory(rig, zone_name, [pdns_at(rig)])
    report = verify(inv, "standby", timeout=0.5, interval=0.2)  # not flipped yet
    assert not report.ok
    [ns] = report.nameservers
    old, new = rig.primary.address, rig.standby.address
    assert ns.mismatches == [f"{zone_name} A: got {old}, want {new}",
                             f"www.{zone_name} A: got {old}, want {new}"]
    assert report.lines()[-1].startswith("not every nameserver answers")


def test_verify_times_out_with_a_report_per_nameserver(
        rig: Rig, zone_name: str, silent_nameserver: str) -> None:
    create_zone(rig, zone_name)
    inv = make_inventory(rig, zone_name, [pdns_at(rig), silent_nameserver])
    apply_flip(plan_flip(inv, "standby"))
    rounds: list[VerifyReport] = []
    report = verify(inv, "standby", timeout=1.0, interval=0.2, on_progress=rounds.append)
    assert not report.ok
    good, silent = report.nameservers
    assert (good.address, good.port, good.ok) == (rig.pdns.dns_address, rig.pdns.dns_port, True)
    host, port = parse_nameserver(silent_nameserver)
    assert (silent.address, silent.port, silent.ok) == (host, port, False)
    assert silent.mismatches == [f"{zone_name} A: no answer: timeout",
                                 f"www.{zone_name} A: no answer: timeout",
                                 f"{zone_name} TXT: no answer: timeout"]
    assert rounds[-1] is report
    assert report.to_json()["nameservers"][1]["mismatches"][0].endswith("no answer: timeout")
    assert f"{silent_nameserver}: www.{zone_name} A: no answer: timeout" in report.lines()


def test_verify_waits_for_a_late_change(rig: Rig, zone_name: str) -> None:
    create_zone(rig, zone_name)
    inv = make_inventory(rig, zone_name, [pdns_at(rig)])
    plans = plan_flip(inv, "standby")
    seen: list[bool] = []

    def flip_after_first_round(report: VerifyReport) -> None:
        seen.append(report.ok)
        if len(seen) == 1:
            apply_flip(plans)

    report = verify(inv, "standby", timeout=10, interval=0.1, on_progress=flip_after_first_round)
    assert report.ok
    assert seen[0] is False
    assert seen[-1] is True


def test_nameserver_names_come_from_the_provider(rig: Rig, zone_name: str) -> None:
    # Only the listing: resolving ns1.<zone> would ask the system resolver (network rule).
    from failover.dns.registry import provider_for

    create_zone(rig, zone_name)
    inv = make_inventory(rig, zone_name, [])
    assert provider_for(inv.dns[0]).nameserver_names() == [f"ns1.{zone_name}"]


@pytest.mark.parametrize(("text", "parsed"), [
    ("127.0.0.1", ("127.0.0.1", 53)), ("127.0.0.1:5353", ("127.0.0.1", 5353)),
    ("::1", ("::1", 53)), ("[::1]:5353", ("::1", 5353)), ("ns1.example.", ("ns1.example.", 53)),
])
def test_parse_nameserver(text: str, parsed: tuple[str, int]) -> None:
    assert parse_nameserver(text) == parsed
