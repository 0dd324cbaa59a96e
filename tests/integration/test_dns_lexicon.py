"""dns-lexicon (its powerdns provider) against the rig's PowerDNS, through a fault-injecting
proxy: a failure mid-way rolls back the records already changed."""

from __future__ import annotations

from typing import Any

import pytest

from failover.dns.flip import apply_flip, plan_flip
from failover.dns.registry import provider_for
from failover.errors import ProviderError
from tests.contract.dns_contract import MX, RECORDS, make_inventory
from tests.contract.test_dns_providers import rig_hosts
from tests.rig import Rig
from tests.rig.faultproxy import FaultProxy, Rule

ZONE = "lexicon-rollback.test."


def is_patch(method: str, path: str, body: bytes) -> bool:
    return method == "PATCH"


def setup_zone(rig: Rig) -> None:
    ip = rig.primary.address
    rig.pdns.create_zone(ZONE, {("@", "A"): (60, [ip]), ("www", "A"): (60, [ip]),
                                ("@", "MX"): (300, [MX["primary"]])})


def inventory(rig: Rig, url: str) -> Any:
    return make_inventory(rig_hosts(rig), [{
        "provider": "lexicon", "zone": ZONE, "records": RECORDS,
        "lexicon": {"provider": "powerdns", "auth_token": rig.pdns.api_key, "pdns_server": url}}])


def served(rig: Rig) -> list[list[str]]:
    return [rig.pdns.query(ZONE), rig.pdns.query("www." + ZONE), rig.pdns.query(ZONE, "MX")]


def test_the_provider_says_it_is_not_atomic(rig: Rig) -> None:
    setup_zone(rig)
    assert provider_for(inventory(rig, rig.pdns.api_url).dns[0]).ATOMIC is False


@pytest.mark.parametrize("fail_at", [1, 3, 5])
def test_a_failure_mid_way_rolls_back_what_was_changed(rig: Rig, fail_at: int) -> None:
    setup_zone(rig)
    before = served(rig)
    with FaultProxy(rig.pdns.api_url) as proxy:
        # the fail_at-th PATCH (one delete or one create of one record) gets a 500
        proxy.add_rule(Rule(is_patch, skip=fail_at - 1, status=500, content_type="text/plain",
                            body=b"backend exploded"))
        inv = inventory(rig, proxy.url)
        plans = plan_flip(inv, "standby")
        with pytest.raises(ProviderError) as caught:
            apply_flip(plans)
    message = str(caught.value)
    assert "every record already changed was put back" in message
    assert "Every zone is as it was before the flip" in message
    assert rig.pdns.api_key not in message
    assert served(rig) == before
