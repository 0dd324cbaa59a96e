"""The DnsProvider contract, written once (as dns-lexicon does) and bound to each back-end's live
server in test_dns_providers.py: show, plan, flip, re-plan empty, flip back, stale plans refused."""

from __future__ import annotations

from typing import Any, ClassVar

import pytest

from failover.dns.base import DnsProvider
from failover.dns.plan import desired_for, diff, points_at
from failover.dns.registry import provider_for
from failover.errors import UnsafePlan
from failover.model.inventory import Inventory

MX = {"primary": "10 mx.primary.example.", "standby": "10 mx.standby.example."}
RECORDS = [{"name": "@", "type": "A", "ttl": 60}, {"name": "www", "type": "A", "ttl": 60},
           {"name": "@", "type": "MX", "ttl": 300, "values": MX}]


def make_inventory(hosts: dict[str, str], zones: list[dict[str, Any]]) -> Inventory:
    return Inventory.parse({
        "site": "shop.test", "path": "/nonexistent/inventory.yaml", "state_dir": "/nonexistent",
        "hosts": {name: {"address": address} for name, address in hosts.items()},
        "ssh": {"known_hosts": "/nonexistent/known_hosts"},
        "dns": zones, "checks": [{"name": "web", "type": "tcp", "port": 80}],
    })


class DnsProviderContract:
    """Subclass per back-end: set ZONE/PROVIDER, implement `zone_config`, `seed` and `served`."""

    ZONE: ClassVar[str]
    PROVIDER: ClassVar[str]
    WRITES_PER_ZONE: ClassVar[int | None] = 1  # None: not atomic, record by record

    hosts: dict[str, str]

    def zone_config(self) -> dict[str, Any]:
        raise NotImplementedError

    def seed(self, records: dict[tuple[str, str], tuple[int, list[str]]]) -> None:
        """Make the live zone hold exactly `records` among the managed ones (+ an unmanaged)."""
        raise NotImplementedError

    def served(self, name: str, rtype: str) -> list[str]:
        """What the provider's own API (or server) holds for (name, rtype) now."""
        raise NotImplementedError

    # -- helpers ---------------------------------------------------------------------------------

    def at_primary(self) -> None:
        ip = self.hosts["primary"]
        self.seed({("@", "A"): (60, [ip]), ("www", "A"): (60, [ip]),
                   ("@", "MX"): (300, [MX["primary"]]), ("other", "A"): (60, [ip])})

    def inventory(self) -> Inventory:
        return make_inventory(self.hosts, [{"provider": self.PROVIDER, "zone": self.ZONE,
                                            "records": RECORDS, **self.zone_config()}])

    def provider(self, inv: Inventory) -> DnsProvider:
        provider = provider_for(inv.dns[0])
        assert provider.name == self.PROVIDER
        return provider

    def plan_to(self, inv: Inventory, provider: DnsProvider, host: str) -> Any:
        return diff(self.ZONE, provider.name, provider.read(), desired_for(inv, inv.dns[0], host))

    def assert_serves(self, host: str) -> None:
        ip = self.hosts[host]
        assert self.served(self.ZONE, "A") == [ip]
        assert self.served("www." + self.ZONE, "A") == [ip]
        assert self.served(self.ZONE, "MX") == [MX[host]]
        assert self.served("other." + self.ZONE, "A") == [self.hosts["primary"]]  # unmanaged

    # -- the contract ----------------------------------------------------------------------------

    def test_show_reads_managed_rrsets_and_the_host_they_point_at(self) -> None:
        self.at_primary()
        inv = self.inventory()
        current = self.provider(inv).read()
        ip = self.hosts["primary"]
        assert {k: (r.ttl, r.values) for k, r in current.items()} == {
            (self.ZONE, "A"): (60, (ip,)), ("www." + self.ZONE, "A"): (60, (ip,)),
            (self.ZONE, "MX"): (300, (MX["primary"],))}
        assert points_at(inv, inv.dns[0], current) == "primary"

    def test_plan_flip_replan_empty_and_flip_back(self) -> None:
        self.at_primary()
        inv = self.inventory()
        provider = self.provider(inv)
        plan = self.plan_to(inv, provider, "standby")
        assert [(c.name, c.type) for c in plan.changes] == [
            (self.ZONE, "A"), ("www." + self.ZONE, "A"), (self.ZONE, "MX")]
        provider.apply(plan)
        if self.WRITES_PER_ZONE is not None:
            assert provider.calls["write"] == self.WRITES_PER_ZONE
        self.assert_serves("standby")
        fresh = self.provider(inv)
        assert self.plan_to(inv, fresh, "standby").empty
        assert points_at(inv, inv.dns[0], fresh.read()) == "standby"
        fresh.apply(self.plan_to(inv, fresh, "primary"))
        self.assert_serves("primary")
        assert self.plan_to(inv, self.provider(inv), "primary").empty

    def test_applying_the_same_plan_twice_is_harmless(self) -> None:
        self.at_primary()
        inv = self.inventory()
        provider = self.provider(inv)
        plan = self.plan_to(inv, provider, "standby")
        provider.apply(plan)
        writes = provider.calls["write"]
        provider.apply(plan)
        assert provider.calls["write"] == writes
        self.assert_serves("standby")

    def test_a_plan_gone_stale_is_refused_and_nothing_changes(self) -> None:
        self.at_primary()
        inv = self.inventory()
        provider = self.provider(inv)
        plan = self.plan_to(inv, provider, "standby")
        ip, elsewhere = self.hosts["primary"], self.hosts["elsewhere"]
        self.seed({("@", "A"): (60, [ip]), ("www", "A"): (60, [elsewhere]),
                   ("@", "MX"): (300, [MX["primary"]]), ("other", "A"): (60, [ip])})
        with pytest.raises(UnsafePlan, match="changed since the plan was made"):
            provider.apply(plan)
        assert self.served(self.ZONE, "A") == [ip]
        assert self.served("www." + self.ZONE, "A") == [elsewhere]
