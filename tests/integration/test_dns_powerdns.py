"""The PowerDNS provider and DNS flips against a real PowerDNS (the rig), and, through the fault
proxy in front of it, answers a healthy PowerDNS never gives (HTML, garbage, 5xx, slowness)."""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Iterator
from typing import Any

import pytest

from failover.dns.base import ApplyUncertain
from failover.dns.flip import apply_flip, plan_flip
from failover.dns.plan import active_host, desired_for, diff
from failover.dns.registry import provider_for
from failover.errors import ProviderError, UnsafePlan
from failover.model.inventory import Inventory
from tests.rig import Rig
from tests.rig.faultproxy import FaultProxy, Rule

MX = {"primary": "10 mx.primary.example.", "standby": "10 mx.standby.example."}


def make_inventory(hosts: dict[str, str], zones: list[dict[str, Any]]) -> Inventory:
    return Inventory.parse({
        "site": "shop.test", "path": "/nonexistent/inventory.yaml", "state_dir": "/nonexistent",
        "hosts": {name: {"address": address} for name, address in hosts.items()},
        "ssh": {"known_hosts": "/nonexistent/known_hosts"},
        "dns": zones, "checks": [{"name": "web", "type": "tcp", "port": 80}],
    })


def pdns_zone(rig: Rig, zone: str, **extra: Any) -> dict[str, Any]:
    return {"provider": "powerdns", "zone": zone, "api_url": rig.pdns.api_url,
            "api_key": rig.pdns.api_key, "timeout": 5,
            "records": [{"name": "@", "type": "A", "ttl": 60}, {"name": "www", "type": "A"},
                        {"name": "@", "type": "MX", "ttl": 300, "values": MX}]} | extra


def rig_hosts(rig: Rig) -> dict[str, str]:
    return {"primary": rig.primary.address, "standby": rig.standby.address}


@pytest.fixture
def zone_name(request: pytest.FixtureRequest) -> str:
    label = re.sub(r"[^a-z0-9]+", "-", request.node.name.lower()).strip("-")[:50].strip("-")
    return f"{label}.test."


def create_primary_zone(rig: Rig, zone: str) -> None:
    ip = rig.primary.address
    rig.pdns.create_zone(zone, {("@", "A"): (60, [ip]), ("www", "A"): (60, [ip]),
                                ("@", "MX"): (300, [MX["primary"]]),
                                ("other", "A"): (60, ["10.203.0.99"])})


def served(rig: Rig, zone: str) -> dict[str, list[str]]:
    return {"apex": rig.pdns.query(zone, "A"), "www": rig.pdns.query(f"www.{zone}", "A"),
            "mx": rig.pdns.query(zone, "MX"), "other": rig.pdns.query(f"other.{zone}", "A")}


def count_requests(plans: list[Any]) -> list[str]:
    seen: list[str] = []
    for provider, _ in plans:
        provider._session.hooks["response"].append(
            lambda r, *args, **kwargs: seen.append(r.request.method))
    return seen


def test_read_plan_flip_replan_and_flip_back(rig: Rig, zone_name: str) -> None:
    create_primary_zone(rig, zone_name)
    inv = make_inventory(rig_hosts(rig), [pdns_zone(rig, zone_name)])
    primary, standby = rig.primary.address, rig.standby.address
    provider = provider_for(inv.dns[0])
    assert provider.name == "powerdns"
    assert provider.ATOMIC
    current = provider.read()
    assert set(current) == {(zone_name, "A"), (f"www.{zone_name}", "A"), (zone_name, "MX")}
    assert current[(zone_name, "MX")].values == (MX["primary"],)
    assert provider.nameserver_names() == [f"ns1.{zone_name}"]
    assert active_host(inv, [current]) == "primary"

    plans = plan_flip(inv, "standby")
    assert [line for _, plan in plans for line in plan.lines()] == [
        f"{zone_name} A 60: {primary} -> {standby}",
        f"www.{zone_name} A 60: {primary} -> {standby}",
        f"{zone_name} MX 300: {MX['primary']} -> {MX['standby']}",
    ]
    requests_seen = count_requests(plans)
    apply_flip(plans)
    assert requests_seen.count("PATCH") == 1  # one transaction for the whole zone
    assert served(rig, zone_name) == {"apex": [standby], "www": [standby],
                                      "mx": [MX["standby"]], "other": ["10.203.0.99"]}
    assert all(plan.empty for _, plan in plan_flip(inv, "standby"))
    assert active_host(inv, [provider.read()]) == "standby"

    apply_flip(plan_flip(inv, "primary"))
    assert served(rig, zone_name) == {"apex": [primary], "www": [primary],
                                      "mx": [MX["primary"]], "other": ["10.203.0.99"]}
    assert all(plan.empty for _, plan in plan_flip(inv, "primary"))


def test_absent_record_is_created_and_apply_is_idempotent(rig: Rig, zone_name: str) -> None:
    rig.pdns.create_zone(zone_name, {("@", "A"): (60, [rig.primary.address])})
    inv = make_inventory(rig_hosts(rig), [pdns_zone(rig, zone_name)])
    [(provider, plan)] = plan_flip(inv, "standby")
    assert plan.changes[1].before == ()
    assert plan.changes[1].ttl_before is None
    seen = count_requests([(provider, plan)])
    provider.apply(plan)
    provider.apply(plan)  # already applied: nothing is sent again
    assert seen.count("PATCH") == 1
    assert rig.pdns.query(f"www.{zone_name}", "A") == [rig.standby.address]
    provider.apply(plan.reverse())  # the record that did not exist is deleted again
    assert rig.pdns.query(f"www.{zone_name}", "A") == []


def test_stale_plan_is_refused(rig: Rig, zone_name: str) -> None:
    create_primary_zone(rig, zone_name)
    inv = make_inventory(rig_hosts(rig), [pdns_zone(rig, zone_name)])
    [(provider, plan)] = plan_flip(inv, "standby")
    rig.pdns.set_records(zone_name, {("www", "A"): (60, ["10.203.0.77"])})  # someone else
    with pytest.raises(UnsafePlan, match=rf"www\.{re.escape(zone_name)} A is 10\.203\.0\.77 "
                                         r"\(ttl 60\), plan expected .*plan again"):
        provider.apply(plan)
    assert rig.pdns.query(zone_name, "A") == [rig.primary.address]  # nothing changed


def test_wrong_api_key_is_reported_without_the_key(
        rig: Rig, zone_name: str, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    create_primary_zone(rig, zone_name)
    secret = "wrong-key-0123456789abcdef"
    inv = make_inventory(rig_hosts(rig), [pdns_zone(rig, zone_name, api_key=secret)])
    with pytest.raises(ProviderError) as info:
        plan_flip(inv, "standby")
    message = str(info.value)
    assert message == (f"powerdns zone {zone_name} at {rig.pdns.api_url}: API key rejected "
                       "(HTTP 401); check api_key")
    assert secret not in message
    assert secret not in caplog.text
    assert rig.pdns.api_key not in caplog.text


def test_unknown_zone_is_reported(rig: Rig, zone_name: str) -> None:
    inv = make_inventory(rig_hosts(rig), [pdns_zone(rig, zone_name)])
    with pytest.raises(ProviderError, match=rf"zone {re.escape(zone_name)} at .*: zone not found "
                                            r"\(HTTP 404; check the zone name and server_id"):
        provider_for(inv.dns[0]).read()


def test_refused_change_gives_the_server_text_and_changes_nothing(rig: Rig, zone_name: str) -> None:
    # A CNAME next to an existing A record: PowerDNS refuses the whole PATCH with 422.
    create_primary_zone(rig, zone_name)
    zone = pdns_zone(rig, zone_name, records=[
        {"name": "@", "type": "A"},
        {"name": "other", "type": "CNAME",
         "values": {"primary": "a.example.", "standby": "b.example."}},
    ])
    inv = make_inventory(rig_hosts(rig), [zone])
    plans = plan_flip(inv, "standby")
    with pytest.raises(ProviderError, match=r"PATCH refused \(HTTP 422\): .*[Cc]onflicts"):
        apply_flip(plans)
    assert served(rig, zone_name)["apex"] == [rig.primary.address]  # one transaction: none of it
    assert served(rig, zone_name)["other"] == ["10.203.0.99"]


def test_failed_second_zone_restores_the_first(rig: Rig, zone_name: str) -> None:
    first, second = f"a-{zone_name}", f"b-{zone_name}"
    create_primary_zone(rig, first)
    create_primary_zone(rig, second)
    inv = make_inventory(rig_hosts(rig), [pdns_zone(rig, first), pdns_zone(rig, second)])
    plans = plan_flip(inv, "standby")
    rig.pdns.delete_zone(second)  # the second zone disappears between plan and apply
    with pytest.raises(ProviderError) as info:
        apply_flip(plans)
    message = str(info.value)
    assert f"DNS flip failed at zone {second} (powerdns)" in message
    assert "zone not found (HTTP 404" in message
    assert f"Zones changed before the failure: {first}." in message
    assert f"Restored to their previous values: {first}." in message
    assert "Every zone is as it was before the flip." in message
    assert served(rig, first)["apex"] == [rig.primary.address]
    assert served(rig, first)["mx"] == [MX["primary"]]


def test_pdns_down_fails_after_retries_and_changes_nothing(rig: Rig, zone_name: str) -> None:
    create_primary_zone(rig, zone_name)
    inv = make_inventory(rig_hosts(rig), [pdns_zone(rig, zone_name)])
    plans = plan_flip(inv, "standby")
    rig.pdns.stop()
    try:
        with pytest.raises(ProviderError, match=r"connection refused \(3 tries\)") as info:
            apply_flip(plans)
        assert not isinstance(info.value.__cause__, ApplyUncertain)
        with pytest.raises(ProviderError, match=rf"powerdns zone {re.escape(zone_name)} at "
                                                r"http://127\.0\.0\.1:\d+: connection refused"):
            plan_flip(inv, "standby")
    finally:
        rig.pdns.start()
    assert served(rig, zone_name)["apex"] == [rig.primary.address]
    assert served(rig, zone_name)["www"] == [rig.primary.address]


# -- answers a healthy PowerDNS never gives: the fault proxy in front of the real one ----------

@pytest.fixture
def proxied(rig: Rig, zone_name: str) -> Iterator[tuple[FaultProxy, Inventory]]:
    """The zone on the rig's PowerDNS, reached through a FaultProxy (tests/rig/faultproxy.py)
    that answers in its place on cue; what no rule answers reaches PowerDNS."""
    create_primary_zone(rig, zone_name)
    with FaultProxy(rig.pdns.api_url) as proxy:
        yield proxy, make_inventory(rig_hosts(rig), [pdns_zone(rig, zone_name,
                                                               api_url=proxy.url)])


def zone_path(zone: str) -> Any:
    return lambda method, path, body: path.endswith(f"/zones/{zone}")


def methods(proxy: FaultProxy) -> list[str]:
    return [method for method, _, _ in proxy.requests]


@pytest.mark.parametrize(("status", "ctype", "body", "expected"), [
    (200, "text/html", "<html><body>Welcome</body></html>",
     "answered with an HTML page, not the API"),
    (200, "text/plain", "hello", "answered something that is not JSON (text/plain)"),
    (200, "application/json", "[1, 2]", "unexpected answer (no 'rrsets' list in the zone)"),
    (200, "application/json", json.dumps({"rrsets": [{"name": "www.ZONE", "type": "A"}]}),
     "unexpected answer (rrset 0 lacks or has a bad field: 'ttl')"),
    (200, "application/json", json.dumps({"rrsets": [{"name": "www.ZONE", "type": "A",
                                                     "ttl": 60, "records": [{"content": "x"}]}]}),
     "unexpected answer for www.ZONE A: 'x' is not a valid A value"),
    (403, "text/plain", "Forbidden", "API key rejected (HTTP 403); check api_key"),
    (418, "application/json", '{"error": "short and stout"}',
     "GET failed (HTTP 418): short and stout"),
])
def test_bad_answers_become_clear_provider_errors(
        rig: Rig, proxied: tuple[FaultProxy, Inventory], zone_name: str, status: int,
        ctype: str, body: str, expected: str) -> None:
    proxy, inv = proxied
    proxy.add_rule(Rule(zone_path(zone_name), times=99, status=status,
                        body=body.replace("ZONE", zone_name).encode(), content_type=ctype))
    provider = provider_for(inv.dns[0])
    with pytest.raises(ProviderError) as info:
        provider.read()
    assert str(info.value).startswith(
        f"powerdns zone {zone_name} at {proxy.url}: {expected.replace('ZONE', zone_name)}")
    assert methods(proxy) == ["GET"]  # 4xx and bad bodies are never retried
    assert rig.pdns.api_key not in str(info.value)


def test_server_errors_are_retried_then_reported(proxied: tuple[FaultProxy, Inventory],
                                                 zone_name: str) -> None:
    proxy, inv = proxied
    proxy.add_rule(Rule(zone_path(zone_name), times=99, status=503, body=b"<h1>down</h1>",
                        content_type="text/html"))
    provider = provider_for(inv.dns[0])
    with pytest.raises(ProviderError, match=r"server error HTTP 503 \(an HTML page\) \(3 tries\)$"):
        provider.read()
    assert methods(proxy) == ["GET"] * 3


def test_patch_without_answer_is_uncertain(rig: Rig, proxied: tuple[FaultProxy, Inventory],
                                           zone_name: str) -> None:
    proxy, _ = proxied
    proxy.add_rule(Rule(lambda m, p, b: m == "PATCH", times=99, status=504, delay=0.5))
    inv = make_inventory(rig_hosts(rig), [pdns_zone(rig, zone_name, api_url=proxy.url,
                                                    timeout=0.2)])
    provider = provider_for(inv.dns[0])
    plan = diff(zone_name, "powerdns", provider.read(), desired_for(inv, inv.dns[0], "standby"))
    with pytest.raises(ApplyUncertain, match=r"no answer within 0\.2s \(3 tries\); the change may "
                                             r"or may not have been applied"):
        provider._apply(plan)
    assert methods(proxy) == ["GET", "PATCH", "PATCH", "PATCH"]
    assert served(rig, zone_name)["www"] == [rig.primary.address]  # it never reached PowerDNS


def test_unknown_provider_lists_the_available_ones() -> None:
    class Zone:
        zone = "x.test."
        provider = "nosuch"

    with pytest.raises(ProviderError,
                       match=r"unknown DNS provider 'nosuch' \(available: .*powerdns"):
        provider_for(Zone())  # type: ignore[arg-type]

