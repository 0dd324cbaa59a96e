"""The DnsProvider contract bound to live servers: PowerDNS (HTTP API), BIND (RFC 2136 + TSIG),
moto's Route 53 over HTTP, and dns-lexicon's powerdns provider against the rig's PowerDNS."""

from __future__ import annotations

from typing import Any

import pytest

from failover.dns.registry import PROVIDERS
from tests.contract.dns_contract import DnsProviderContract
from tests.rig import Rig
from tests.rig.dnsservers import DnsServers

Records = dict[tuple[str, str], tuple[int, list[str]]]


def rig_hosts(rig: Rig) -> dict[str, str]:
    net = rig.primary.address.rsplit(".", 1)[0]
    return {"primary": rig.primary.address, "standby": rig.standby.address,
            "elsewhere": f"{net}.99"}  # record data only, never contacted


def test_every_registered_provider_is_bound_to_the_contract() -> None:
    bound = {cls.PROVIDER for cls in DnsProviderContract.__subclasses__()}
    assert bound == set(PROVIDERS)


class TestPowerDns(DnsProviderContract):
    ZONE = "contract-pdns.test."
    PROVIDER = "powerdns"

    @pytest.fixture(autouse=True)
    def _bind(self, rig: Rig) -> None:
        self.rig, self.hosts = rig, rig_hosts(rig)

    def zone_config(self) -> dict[str, Any]:
        return {"api_url": self.rig.pdns.api_url, "api_key": self.rig.pdns.api_key, "timeout": 5}

    def seed(self, records: Records) -> None:
        self.rig.pdns.create_zone(self.ZONE, records)

    def served(self, name: str, rtype: str) -> list[str]:
        return self.rig.pdns.query(name, rtype)


class TestRfc2136(DnsProviderContract):
    ZONE = "rfc.test."
    PROVIDER = "rfc2136"

    @pytest.fixture(autouse=True)
    def _bind(self, rig: Rig, dns_servers: DnsServers) -> None:
        self.bind, self.hosts = dns_servers.bind, rig_hosts(rig)

    def zone_config(self) -> dict[str, Any]:
        return {"server": self.bind.server, "timeout": 5,
                "tsig": {"name": self.bind.key_name, "algorithm": self.bind.algorithm,
                         "secret": self.bind.secret}}

    def seed(self, records: Records) -> None:
        self.bind.set_records(self.ZONE, records)

    def served(self, name: str, rtype: str) -> list[str]:
        return self.bind.query(name, rtype)


class TestRoute53(DnsProviderContract):
    ZONE = "r53.test."
    PROVIDER = "route53"

    @pytest.fixture(autouse=True)
    def _bind(self, rig: Rig, dns_servers: DnsServers) -> None:
        self.moto, self.hosts = dns_servers.moto, rig_hosts(rig)

    def zone_config(self) -> dict[str, Any]:
        return {"endpoint_url": self.moto.url, "region": "us-east-1", "timeout": 5}

    def seed(self, records: Records) -> None:
        self.zone_id = self.moto.create_zone(self.ZONE, records, fresh=False)

    def served(self, name: str, rtype: str) -> list[str]:
        return self.moto.values(self.zone_id, name, rtype)


class TestLexiconPowerDns(DnsProviderContract):
    ZONE = "contract-lexicon.test."
    PROVIDER = "lexicon"
    WRITES_PER_ZONE = None

    @pytest.fixture(autouse=True)
    def _bind(self, rig: Rig) -> None:
        self.rig, self.hosts = rig, rig_hosts(rig)

    def zone_config(self) -> dict[str, Any]:
        return {"lexicon": {"provider": "powerdns", "auth_token": self.rig.pdns.api_key,
                            "pdns_server": self.rig.pdns.api_url}}

    def seed(self, records: Records) -> None:
        self.rig.pdns.create_zone(self.ZONE, records)

    def served(self, name: str, rtype: str) -> list[str]:
        return self.rig.pdns.query(name, rtype)
