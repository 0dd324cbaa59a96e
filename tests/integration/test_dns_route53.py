"""Route 53 against moto's standalone server over HTTP, through a real fault-injecting proxy for
what moto never does (PENDING changes, throttling)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from failover.dns.base import ApplyUncertain
from failover.dns.plan import desired_for, diff
from failover.dns.registry import provider_for
from failover.errors import ProviderError
from tests.contract.dns_contract import make_inventory
from tests.contract.test_dns_providers import rig_hosts
from tests.rig import Rig
from tests.rig.dnsservers import DnsServers
from tests.rig.faultproxy import FaultProxy, Rule

ZONE = "fifty.test."
N = 50


def _error(code: str) -> bytes:
    return (b'<?xml version="1.0"?>\n<ErrorResponse xmlns="https://route53.amazonaws.com/doc/'
            b'2013-04-01/"><Error><Type>Sender</Type><Code>' + code.encode()
            + b"</Code><Message>Rate exceeded</Message></Error><RequestId>r1</RequestId>"
            b"</ErrorResponse>")


def is_change(method: str, path: str, body: bytes) -> bool:
    return method == "POST" and path.rstrip("/").endswith("/rrset")


def is_get_change(method: str, path: str, body: bytes) -> bool:
    return method == "GET" and "/change/" in path


def is_list(method: str, path: str, body: bytes) -> bool:
    return method == "GET" and "/rrset" in path


def pending(body: bytes) -> bytes:
    return body.replace(b"<Status>INSYNC</Status>", b"<Status>PENDING</Status>")


@pytest.fixture
def proxy(rig: Rig, dns_servers: DnsServers) -> Iterator[FaultProxy]:
    """Zone with 50 managed A records at the primary among 80 unmanaged ones (> 100 sets)."""
    ip = rig.primary.address
    records = {(f"host{i:02d}", "A"): (60, [ip]) for i in range(N)}
    records |= {(f"filler{i:03d}", "A"): (60, [ip]) for i in range(80)}
    dns_servers.moto.create_zone(ZONE, records)
    with FaultProxy(dns_servers.moto.url) as p:
        yield p


def inventory(rig: Rig, url: str, **extra: Any) -> Any:
    records = [{"name": f"host{i:02d}", "type": "A", "ttl": 60} for i in range(N)]
    return make_inventory(rig_hosts(rig), [{"provider": "route53", "zone": ZONE, "records": records,
                                            "endpoint_url": url, "timeout": 5} | extra])


def plan_for(inv: Any, provider: Any, host: str) -> Any:
    return diff(ZONE, "route53", provider.read(), desired_for(inv, inv.dns[0], host))


def test_fifty_records_in_one_change_batch_then_waits_for_insync(
        rig: Rig, dns_servers: DnsServers, proxy: FaultProxy) -> None:
    # moto always says INSYNC; the proxy makes the change and the first GetChange say PENDING
    proxy.add_rule(Rule(is_change, status=None, rewrite=pending))
    proxy.add_rule(Rule(is_get_change, status=None, rewrite=pending))
    inv = inventory(rig, proxy.url)
    provider = provider_for(inv.dns[0])
    current = provider.read()
    assert len(current) == N  # found past the first page of 100 record sets
    assert proxy.count(is_list) >= 2
    plan = plan_for(inv, provider, "standby")
    assert len(plan.changes) == N
    provider.apply(plan)
    assert proxy.count(is_change) == 1
    assert provider.calls["write"] == 1
    assert proxy.count(is_get_change) == 2  # PENDING, then INSYNC
    zid = provider.zone_id()  # type: ignore[attr-defined]
    assert dns_servers.moto.values(zid, f"host49.{ZONE}") == [rig.standby.address]
    assert plan_for(inv, provider_for(inv.dns[0]), "standby").empty


def test_a_change_that_never_gets_insync_times_out_as_uncertain(
        rig: Rig, proxy: FaultProxy) -> None:
    proxy.add_rule(Rule(is_change, status=None, rewrite=pending))
    proxy.add_rule(Rule(is_get_change, times=1000, status=None, rewrite=pending))
    inv = inventory(rig, proxy.url, sync_timeout=1)
    provider = provider_for(inv.dns[0])
    with pytest.raises(ApplyUncertain, match="still PENDING after 1s"):
        provider.apply(plan_for(inv, provider, "standby"))
    assert proxy.count(is_change) == 1  # sent once, never again while it stays PENDING
    assert proxy.count(is_get_change) >= 1  # polled until the deadline (how often: the clock)


@pytest.mark.parametrize("code", ["Throttling", "PriorRequestNotComplete"])
def test_throttling_is_retried_with_backoff(rig: Rig, proxy: FaultProxy, code: str) -> None:
    proxy.add_rule(Rule(is_change, times=2, status=400, body=_error(code)))
    inv = inventory(rig, proxy.url)
    provider = provider_for(inv.dns[0])
    provider.apply(plan_for(inv, provider, "standby"))
    assert proxy.count(is_change) == 3  # two refused, the third applied
    assert plan_for(inv, provider_for(inv.dns[0]), "standby").empty


def test_an_html_error_page_is_a_clear_error_and_changes_nothing(
        rig: Rig, proxy: FaultProxy) -> None:
    proxy.add_rule(Rule(is_change, times=1000, status=502, content_type="text/html",
                        body=b"<html><body>Bad gateway</body></html>"))
    inv = inventory(rig, proxy.url)
    provider = provider_for(inv.dns[0])
    plan = plan_for(inv, provider, "standby")
    with pytest.raises(ProviderError, match=r"fifty\.test\..*change_resource_record_sets"):
        provider.apply(plan)
    assert plan_for(inv, provider_for(inv.dns[0]), "standby") == plan


def test_unknown_zone_name_says_so(rig: Rig, dns_servers: DnsServers) -> None:
    inv = make_inventory(rig_hosts(rig), [{"provider": "route53", "zone": "nowhere.test.",
                                           "endpoint_url": dns_servers.moto.url,
                                           "records": [{"name": "@", "type": "A"}]}])
    with pytest.raises(ProviderError, match=r"nowhere\.test\..*no hosted zone with this name"):
        provider_for(inv.dns[0]).read()
