"""Services: parts of one site that fail over on their own (web, mail), as views of the inventory.

    for name in service_names(inv):        # ["site"] without `services:`
        unit = view(inv, name)             # an Inventory holding only that service
        unit.service                       # "mail" (None for the implicit service)

The monitor, the policy and the runner work on one Inventory; a service is handed to them as an
Inventory narrowed to it, so they need no branch for services:
- `hosts`: the service's real hosts, in its priority order (`role: fallback` hosts are left out:
  engine/fallback.py is the only code that gives them records);
- `checks`, `dns` records, `sync` sets: those that say `service: NAME` (or say nothing, for the
  first service); a zone left without records is left out, so a flip of mail touches only MX;
  `services` stays (which service is first), `service` names the one this view covers;
- `policy`: the inventory's, with the keys the service changes; `playbooks`: the service's over
  the inventory's.
Without `services:` and without fallback hosts, `view` returns the inventory itself: behaviour is
exactly that of a site with one service. Pure: no I/O.
"""

from __future__ import annotations

import msgspec

from failover.model.inventory import Check, Host, Inventory

IMPLICIT = "site"  # the one service of an inventory without `services:`


def service_names(inv: Inventory) -> list[str]:
    """The services, in the inventory's order (the first owns whatever names no service)."""
    return list(inv.services) or [IMPLICIT]


def who(inv: Inventory) -> str:
    """The site, and the service with `services:`: what a page or message is about."""
    return f"{inv.site} {inv.service}" if inv.service else inv.site


def owner(inv: Inventory, declared: str | None) -> str:
    """The service a check, record or sync set with `service: declared` belongs to."""
    return declared or service_names(inv)[0]


def check_owner(inv: Inventory, check: Check) -> str:
    """The service a check judges: its `service:`, else the service listing it in `checks:`,
    else the first."""
    listing = (n for n, s in inv.services.items() if check.name in s.checks)
    return check.service or next(listing, None) or service_names(inv)[0]


def fallback_hosts(inv: Inventory, name: str) -> dict[str, Host]:
    """The `role: fallback` hosts service `name` may use as its last resort (of the full
    inventory): those in its `hosts:` list, or every one when it has none; only when one of
    its checks says `fallback: true` (how it knows the page is served)."""
    service = inv.services.get(name)
    listed = service.hosts if service is not None and service.hosts is not None else list(inv.hosts)
    if not any(c.fallback and check_owner(inv, c) == name for c in inv.checks):
        return {}
    return {h: inv.hosts[h] for h in listed if h in inv.hosts and inv.hosts[h].role == "fallback"}


def hosts_of(inv: Inventory, name: str, *, fallback: bool = True) -> list[str]:
    """The hosts service `name` may point its records at (its real hosts, then its fallback
    hosts unless fallback=False), by name; every host for a service the inventory lacks."""
    service = inv.services.get(name)
    listed = service.hosts if service is not None and service.hosts is not None else list(inv.hosts)
    real = [h for h in listed if h in inv.hosts and inv.hosts[h].role is None]
    return real + (list(fallback_hosts(inv, name)) if fallback else [])


def view(inv: Inventory, name: str) -> Inventory:
    """The inventory narrowed to service `name` (see the module docstring). Raises KeyError for
    a service the inventory does not have."""
    if inv.service is not None:  # already a view
        if name != inv.service:
            raise KeyError(name)
        return inv
    if name not in service_names(inv):
        raise KeyError(name)
    has_fallback = any(h.role == "fallback" for h in inv.hosts.values())
    if not inv.services and not has_fallback and not any(c.fallback for c in inv.checks):
        return inv
    service = inv.services.get(name)
    hosts = {h: inv.hosts[h] for h in hosts_of(inv, name, fallback=False)}
    zones = []
    for zone in inv.dns:
        records = [r for r in zone.records if owner(inv, r.service) == name]
        if records:
            zones.append(zone.replace(records=records))
    policy = inv.policy
    if service is not None and service.policy is not None:
        given = {k: v for k, v in msgspec.structs.asdict(service.policy).items() if v is not None}
        policy = policy.replace(**given)
    playbooks = {**inv.playbooks, **(service.playbooks if service is not None else {})}
    fence = service.fence if service is not None and service.fence is not None else inv.fence
    return inv.replace(
        hosts=hosts, dns=zones, policy=policy, playbooks=playbooks, fence=fence,
        checks=[c for c in inv.checks if check_owner(inv, c) == name and not c.fallback],
        sync=[s for s in inv.sync if owner(inv, s.service) == name],
        service=name if inv.services else None, whole=inv)


def fallback_view(inv: Inventory, name: str) -> Inventory:
    """Service `name` with its fallback hosts as its only hosts and its `fallback: true` checks
    as its only checks: what probes the "back soon" page and flips the records to it."""
    unit = view(inv, name)
    return unit.replace(
        hosts=fallback_hosts(inv, name),
        checks=[c for c in inv.checks if check_owner(inv, c) == name and c.fallback])
