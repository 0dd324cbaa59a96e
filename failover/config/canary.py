"""The inventory's `canary:` record (rehearse --canary flips it): it must live in one of the
managed zones, so the zone's provider can write it, and it must not be a managed record, so the
drill never moves customer traffic.

Contract: like config/validate.py, pure: a list of Reasons with the file, line and key.
"""

from __future__ import annotations

from failover.config.yamlmarks import Document
from failover.errors import Reason
from failover.model.coerce import one_of
from failover.model.inventory import Inventory


def check_canary(inv: Inventory, doc: Document) -> list[Reason]:
    """The canary belongs to a configured zone and is none of its managed records."""
    if inv.canary is None:
        return []
    from failover.dns.records import record_fqdn  # only for an inventory with a canary

    index = inv.zone_of(inv.canary)
    if index is None:
        zones = [z.zone for z in inv.dns]
        return [doc.reason(("canary",), f"{inv.canary} is in none of the managed zones "
                           f"({one_of(zones)}); name a record in one of them, e.g. "
                           f"failover-drill.{zones[0]}")]
    zone = inv.dns[index]
    if any(record_fqdn(zone.zone, r.name) == inv.canary for r in zone.records):
        return [doc.reason(("canary",), f"{inv.canary} is a managed record of zone {zone.zone}: "
                           "a drill must never move customer traffic; name a record no "
                           "customer uses, e.g. failover-drill." + zone.zone)]
    return []
