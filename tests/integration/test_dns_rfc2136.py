"""RFC 2136 against a real BIND: TSIG refusals, concurrent edits caught by prerequisites, rcodes."""

from __future__ import annotations

from typing import Any

import pytest

from failover.dns.plan import desired_for, diff
from failover.dns.registry import provider_for
from failover.dns.rfc2136 import ConcurrentEdit, Rfc2136Provider, Rfc2136Zone
from failover.errors import ProviderError
from tests.contract.dns_contract import MX, RECORDS, make_inventory
from tests.contract.test_dns_providers import rig_hosts
from tests.rig import Rig
from tests.rig.bind import BindController
from tests.rig.dnsservers import DnsServers

ZONE = "rfc.test."


@pytest.fixture
def bind(rig: Rig, dns_servers: DnsServers) -> BindController:
    ip = rig.primary.address
    dns_servers.bind.set_records(ZONE, {("@", "A"): (60, [ip]), ("www", "A"): (60, [ip]),
                                        ("@", "MX"): (300, [MX["primary"]])})
    return dns_servers.bind


def inventory(rig: Rig, bind: BindController, **tsig: Any) -> Any:
    key = {"name": bind.key_name, "algorithm": bind.algorithm, "secret": bind.secret} | tsig
    return make_inventory(rig_hosts(rig), [{"provider": "rfc2136", "zone": ZONE,
                                            "server": bind.server, "timeout": 3, "tsig": key,
                                            "records": RECORDS}])


def test_a_wrong_tsig_secret_is_refused_with_a_clear_message(rig: Rig,
                                                             bind: BindController) -> None:
    good = inventory(rig, bind)
    plan = diff(ZONE, "rfc2136", provider_for(good.dns[0]).read(),
                desired_for(good, good.dns[0], "standby"))
    bad = inventory(rig, bind, secret="d3Jvbmcgc2VjcmV0IHdyb25nIHNlY3JldCB3cm9uZyE=")
    with pytest.raises(ProviderError) as caught:
        provider_for(bad.dns[0]).apply(plan)
    message = str(caught.value)
    assert "rfc.test." in message
    assert "BADSIG" in message
    assert bind.secret not in message
    assert bind.query("www." + ZONE) == [rig.primary.address]


def test_an_unknown_key_name_is_refused(rig: Rig, bind: BindController) -> None:
    bad = inventory(rig, bind, name="nobody-key")
    with pytest.raises(ProviderError, match=r"rfc\.test\..*BADKEY"):
        provider_for(bad.dns[0]).read()


def test_a_zone_the_server_does_not_serve_names_zone_and_rcode(rig: Rig,
                                                              bind: BindController) -> None:
    inv = make_inventory(rig_hosts(rig), [{
        "provider": "rfc2136", "zone": "not-here.test.", "server": bind.server, "timeout": 3,
        "tsig": {"name": bind.key_name, "secret": bind.secret}, "records": RECORDS}])
    with pytest.raises(ProviderError, match=r"not-here\.test\..*REFUSED"):
        provider_for(inv.dns[0]).read()


def test_the_secret_can_come_from_a_tsig_keygen_file(rig: Rig, bind: BindController,
                                                     tmp_path: Any) -> None:
    keyfile = tmp_path / "tsig.key"
    keyfile.write_text(f'key "{bind.key_name}" {{\n\talgorithm hmac-sha256;\n'
                       f'\tsecret "{bind.secret}";\n}};\n')
    inv = make_inventory(rig_hosts(rig), [{
        "provider": "rfc2136", "zone": ZONE, "server": bind.server,
        "tsig": {"name": bind.key_name, "secret_file": str(keyfile)}, "records": RECORDS}])
    assert provider_for(inv.dns[0]).read()[(ZONE, "A")].values == (rig.primary.address,)


class EditedBehindOurBack(Rfc2136Provider):
    """Someone else changes www between our read and our UPDATE (a real second update)."""

    bind: BindController
    value: str

    def _apply(self, plan: Any) -> None:
        self.bind.set_records(ZONE, {("www", "A"): (60, [self.value])})
        super()._apply(plan)


def test_a_concurrent_edit_is_detected_and_never_overwritten(rig: Rig,
                                                            bind: BindController) -> None:
    inv = inventory(rig, bind)
    zone = inv.dns[0]
    assert isinstance(zone, Rfc2136Zone)
    provider = EditedBehindOurBack(zone)
    provider.bind, provider.value = bind, rig_hosts(rig)["elsewhere"]
    plan = diff(ZONE, "rfc2136", provider.read(), desired_for(inv, zone, "standby"))
    with pytest.raises(ConcurrentEdit) as caught:
        provider.apply(plan)
    assert "changed since they were read" in str(caught.value)
    assert "NXRRSET" in str(caught.value)
    # the other editor's value stands, and nothing else moved (one atomic UPDATE)
    assert bind.query("www." + ZONE) == [rig_hosts(rig)["elsewhere"]]
    assert bind.query(ZONE) == [rig.primary.address]
    assert bind.query(ZONE, "MX") == [MX["primary"]]
