"""TTL-only plans: lower the TTL of every managed rrset ahead of planned work, or put back the
inventory's TTLs afterwards. Values are never touched: an rrset keeps whatever it holds now.

Lowering never raises a TTL that is already lower. Absent rrsets are left absent. The plans go
through the same `apply_flip` as a flip: one transaction per zone, all zones or none.
"""

from __future__ import annotations

import logging

from failover.dns.base import DnsProvider
from failover.dns.records import RecordChange, ZonePlan, record_fqdn
from failover.dns.registry import provider_for
from failover.model.inventory import Inventory

log = logging.getLogger(__name__)


def plan_ttl(inventory: Inventory, ttl: int | None) -> list[tuple[DnsProvider, ZonePlan]]:
    """Per zone: set each present managed rrset's TTL to `ttl` where it is higher (lower), or to
    the inventory's `ttl` for that record (`ttl` None: restore). Reads every zone; changes
    nothing. Raises ProviderError when a zone cannot be read."""
    plans: list[tuple[DnsProvider, ZonePlan]] = []
    for zone in inventory.dns:
        provider = provider_for(zone)
        current = provider.read()
        wanted: dict[tuple[str, str], int] = {
            (record_fqdn(zone.zone, r.name), r.type): r.ttl for r in zone.records}
        changes = []
        for key, rrset in current.items():
            target = wanted[key] if ttl is None else min(ttl, rrset.ttl)
            if target != rrset.ttl:
                changes.append(RecordChange(rrset.name, rrset.type, rrset.ttl, rrset.values,
                                            target, rrset.values))
        plan = ZonePlan(provider.zone_name, provider.name, tuple(changes))
        log.info("planned_ttl: zone=%s ttl=%s changes=%d", plan.zone,
                 "restore" if ttl is None else ttl, len(changes))
        plans.append((provider, plan))
    return plans
