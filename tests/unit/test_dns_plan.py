"""Pure DNS planning: desired values per host, diffs, reversal, and which host DNS points at."""

from __future__ import annotations

from typing import Any

import pytest

from failover.dns.plan import (
    active_host,
    apply_to,
    desired_for,
    desired_or_reason,
    diff,
    hosts_matching,
    points_at,
)
from failover.dns.records import RRset, ZonePlan, canonical_value, record_fqdn
from failover.errors import ConfigError, Reason, UsageError
from failover.model.inventory import Inventory

ZONE = "shop.test."


def make_inventory(*zones: dict[str, Any]) -> Inventory:
    records = [
        {"name": "@", "type": "A", "ttl": 60},
        {"name": "www", "type": "A", "ttl": 60},
        {"name": "@", "type": "AAAA", "ttl": 60},
        {"name": "@", "type": "MX", "ttl": 300,
         "values": {"primary": "10 MX.Primary.shop.test", "secondary": ["20 b.shop.test.",
                                                                        "10 a.shop.test."]}},
        {"name": "@", "type": "TXT", "ttl": 300,
         "values": {"primary": "v=spf1 a -all", "secondary": "v=spf1 a -all"}},
    ]
    default_zone = {"provider": "powerdns", "zone": "Shop.Test", "api_url": "http://127.0.0.1:1",
                    "api_key": "k", "records": records}
    return Inventory.parse({
        "site": "shop.test", "path": "/nonexistent/inventory.yaml", "state_dir": "/nonexistent",
        "hosts": {"primary": {"address": "10.203.0.11", "address6": "2001:DB8:0::11"},
                  "secondary": {"address": "10.203.0.12"}},
        "ssh": {"known_hosts": "/nonexistent/known_hosts"},
        "dns": list(zones) or [default_zone],
        "checks": [{"name": "web", "type": "tcp", "port": 80}],
    })


def as_current(desired: dict[tuple[str, str], tuple[int, tuple[str, ...]]]) -> dict[
        tuple[str, str], RRset]:
    return {k: RRset(k[0], k[1], ttl, values) for k, (ttl, values) in desired.items() if values}


def test_record_names_resolve_to_absolute_lower_case_fqdns() -> None:
    assert record_fqdn("Shop.Test.", "@") == "shop.test."
    assert record_fqdn("shop.test.", "WWW") == "www.shop.test."
    assert record_fqdn("shop.test", "www") == "www.shop.test."
    assert record_fqdn("shop.test.", "Other.Example.") == "other.example."


def test_desired_for_follows_host_addresses_and_values() -> None:
    inv = make_inventory()
    zone = inv.dns[0]
    primary = desired_for(inv, zone, "primary")
    assert list(primary) == [("shop.test.", "A"), ("www.shop.test.", "A"), ("shop.test.", "AAAA"),
                             ("shop.test.", "MX"), ("shop.test.", "TXT")]
    assert primary[("shop.test.", "A")] == (60, ("10.203.0.11",))
    assert primary[("www.shop.test.", "A")] == (60, ("10.203.0.11",))
    assert primary[("shop.test.", "AAAA")] == (60, ("2001:db8::11",))
    # names lower-cased, made absolute with a trailing dot
    assert primary[("shop.test.", "MX")] == (300, ("10 mx.primary.shop.test.",))
    # an unquoted TXT value is one string, quoted
    assert primary[("shop.test.", "TXT")] == (300, ('"v=spf1 a -all"',))

    secondary = desired_for(inv, zone, "secondary")
    assert secondary[("www.shop.test.", "A")] == (60, ("10.203.0.12",))
    assert secondary[("shop.test.", "AAAA")] == (60, ())  # no address6: the AAAA goes away
    assert secondary[("shop.test.", "MX")] == (300, ("10 a.shop.test.", "20 b.shop.test."))


def test_desired_for_unknown_host_and_missing_values() -> None:
    inv = make_inventory()
    with pytest.raises(UsageError, match=r"unknown host 'nope'; hosts: primary, secondary"):
        desired_for(inv, inv.dns[0], "nope")
    inv = make_inventory({"provider": "powerdns", "zone": ZONE, "api_url": "http://127.0.0.1:1",
                          "api_key": "k", "records": [
                              {"name": "@", "type": "MX", "values": {"primary": "10 mx.a."}}]})
    with pytest.raises(ConfigError, match=r"dns\[0\]\.records\[0\]\.values: has no value for host "
                                          r"'secondary'"):
        desired_for(inv, inv.dns[0], "secondary")
    inv = make_inventory({"provider": "powerdns", "zone": ZONE, "api_url": "http://127.0.0.1:1",
                          "api_key": "k", "records": [
                              {"name": "@", "type": "A", "values": {"primary": "10.0.0.x",
                                                                    "secondary": "10.0.0.2"}}]})
    with pytest.raises(ConfigError, match=r"inventory.yaml dns\[0\]\.records\[0\]\.values\.primary"
                                          r": '10.0.0.x' is not a valid A value"):
        desired_for(inv, inv.dns[0], "primary")


def test_diff_lists_only_what_changes_in_stable_order() -> None:
    inv = make_inventory()
    zone = inv.dns[0]
    current = as_current(desired_for(inv, zone, "primary"))
    plan = diff(zone.zone, "powerdns", current, desired_for(inv, zone, "secondary"))
    assert plan.zone == "shop.test."
    assert [(c.name, c.type) for c in plan.changes] == [
        ("shop.test.", "A"), ("www.shop.test.", "A"), ("shop.test.", "AAAA"), ("shop.test.", "MX")]
    assert plan.lines() == [
        "shop.test. A 60: 10.203.0.11 -> 10.203.0.12",
        "www.shop.test. A 60: 10.203.0.11 -> 10.203.0.12",
        "shop.test. AAAA 60: 2001:db8::11 -> (absent)",
        "shop.test. MX 300: 10 mx.primary.shop.test. -> 10 a.shop.test., 20 b.shop.test.",
    ]
    assert plan.to_json()["changes"][1] == {
        "name": "www.shop.test.", "type": "A", "ttl_before": 60, "before": ["10.203.0.11"],
        "ttl": 60, "after": ["10.203.0.12"]}


def test_diff_sees_ttl_changes_and_absent_rrsets() -> None:
    desired = {("www.shop.test.", "A"): (60, ("10.203.0.12",)),
               ("shop.test.", "AAAA"): (60, ())}
    current = {("www.shop.test.", "A"): RRset("www.shop.test.", "A", 3600, ("10.203.0.12",))}
    plan = diff(ZONE, "powerdns", current, desired)
    assert plan.lines() == ["www.shop.test. A 3600 -> 60: 10.203.0.12 -> 10.203.0.12"]
    created = diff(ZONE, "powerdns", {}, desired)
    assert created.changes[0].ttl_before is None
    assert created.lines() == ["www.shop.test. A 60: (absent) -> 10.203.0.12"]


def test_replan_after_apply_is_empty_and_reverse_restores() -> None:
    inv = make_inventory()
    zone = inv.dns[0]
    before = as_current(desired_for(inv, zone, "primary"))
    plan = diff(zone.zone, "powerdns", before, desired_for(inv, zone, "secondary"))
    after = apply_to(before, plan)
    replan = diff(zone.zone, "powerdns", after, desired_for(inv, zone, "secondary"))
    assert replan.empty
    assert replan.lines() == ["shop.test. (powerdns): no change"]
    assert apply_to(after, plan.reverse()) == before
    assert diff(zone.zone, "powerdns", apply_to(after, plan.reverse()),
                desired_for(inv, zone, "primary")).empty


def test_a_host_without_a_value_is_a_result_not_an_exception() -> None:
    inv = make_inventory({"provider": "powerdns", "zone": ZONE, "api_url": "http://127.0.0.1:1",
                          "api_key": "k", "records": [
                              {"name": "@", "type": "MX", "values": {"primary": "10 mx.a."}}]})
    zone = inv.dns[0]
    missing = desired_or_reason(inv, zone, "secondary")
    assert isinstance(missing, Reason)
    assert missing.key == "dns[0].records[0].values"
    assert missing.message == "has no value for host 'secondary' (hosts with values: primary)"
    current = as_current(desired_for(inv, zone, "primary"))
    assert hosts_matching(inv, zone, current) == ["primary"]  # secondary skipped, not an error


def test_points_at_and_active_host() -> None:
    inv = make_inventory()
    zone = inv.dns[0]
    primary = as_current(desired_for(inv, zone, "primary"))
    secondary = as_current(desired_for(inv, zone, "secondary"))
    assert points_at(inv, zone, primary) == "primary"
    assert points_at(inv, zone, secondary) == "secondary"
    # TTLs do not change where traffic goes
    slow = {k: RRset(r.name, r.type, 86400, r.values) for k, r in secondary.items()}
    assert points_at(inv, zone, slow) == "secondary"
    # half flipped: neither host
    mixed = dict(primary)
    mixed[("www.shop.test.", "A")] = secondary[("www.shop.test.", "A")]
    assert points_at(inv, zone, mixed) is None
    assert points_at(inv, zone, {}) is None
    assert active_host(inv, [secondary]) == "secondary"
    assert active_host(inv, [mixed]) is None


def test_active_host_needs_every_zone_to_agree() -> None:
    second_zone = {"provider": "powerdns", "zone": "other.test.", "api_url": "http://127.0.0.1:1",
                   "api_key": "k", "records": [
                       {"name": "@", "type": "MX",
                        "values": {"primary": "10 mx.same.", "secondary": "10 mx.same."}},
                       {"name": "shop", "type": "A"}]}
    first_zone = {"provider": "powerdns", "zone": ZONE, "api_url": "http://127.0.0.1:1",
                  "api_key": "k", "records": [
                      {"name": "@", "type": "MX",
                       "values": {"primary": "10 mx.same.", "secondary": "10 mx.same."}}]}
    inv = make_inventory(first_zone, second_zone)
    first = as_current(desired_for(inv, inv.dns[0], "secondary"))  # both hosts match here
    second = as_current(desired_for(inv, inv.dns[1], "secondary"))
    assert points_at(inv, inv.dns[0], first) == "primary"  # first in priority order
    assert active_host(inv, [first, second]) == "secondary"
    third = as_current(desired_for(inv, inv.dns[1], "primary"))
    assert active_host(inv, [first, third]) == "primary"
    with pytest.raises(ValueError, match="1 zone states given for 2 zones"):
        active_host(inv, [first])


def test_zone_plan_reverse_and_empty() -> None:
    plan = ZonePlan(ZONE, "powerdns", ())
    assert plan.empty
    assert plan.to_json() == {"zone": ZONE, "provider": "powerdns", "changes": []}
    desired = {("www.shop.test.", "A"): (60, ("10.203.0.12",))}
    created = diff(ZONE, "powerdns", {}, desired)
    undo = created.reverse()
    assert undo.lines() == ["www.shop.test. A 60: 10.203.0.12 -> (absent)"]
    assert apply_to(apply_to({}, created), undo) == {}


@pytest.mark.parametrize(("rtype", "text", "canonical"), [
    ("A", "10.203.0.11", "10.203.0.11"),
    ("AAAA", "2001:0DB8:0:0::1", "2001:db8::1"),
    ("MX", "10 Mail.Example", "10 mail.example."),
    ("CNAME", "Shop.Example.", "shop.example."),
    ("TXT", 'say "hi"', '"say \\"hi\\""'),
    ("TXT", '"already" "split"', '"already" "split"'),
])
def test_canonical_value(rtype: str, text: str, canonical: str) -> None:
    assert canonical_value(rtype, text) == canonical
