"""Pure planning: what each managed rrset should hold for a host, and the diff to get there.

`diff(zone, provider, current, desired)` is the one function that answers "what will change in
DNS?": a ZonePlan from what a provider holds now and what `desired_for` says a host needs.

No I/O. Values are canonical text (see `canonical_value`), so what the inventory says, what a
provider reads back and what a nameserver answers compare equal when they mean the same thing.
An empty tuple of values means "absent": an AAAA record for a host without `address6` is deleted
on a flip rather than left pointing at the old host, and so are a host's A or AAAA records that a
flip `drop`s (a standby that passed its checks over one family only, `policy.partial_family:
allow`: families.py).
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence

from failover.dns.records import (
    RecordChange,
    RRKey,
    RRset,
    ZonePlan,
    canonical_values,
    record_fqdn,
)
from failover.errors import ConfigError, Reason, UsageError
from failover.model.inventory import Inventory, Record, ZoneBase

Desired = dict[RRKey, tuple[int, tuple[str, ...]]]


def _reason(inventory: Inventory, key: str, message: str) -> Reason:
    return Reason(str(inventory.path), None, None, key, message)


def _record_key(zone_index: int | None, record_index: int) -> str:
    return f"dns[{'?' if zone_index is None else zone_index}].records[{record_index}]"


def _record_values(inventory: Inventory, zone_index: int | None, record_index: int,
                   record: Record, host_name: str) -> tuple[str, ...] | Reason:
    """The record's values when `host_name` is active, or the Reason it has none."""
    key = _record_key(zone_index, record_index)
    host = inventory.hosts[host_name]
    raw: list[str]
    if record.values is not None:
        if host_name not in record.values:
            return _reason(inventory, f"{key}.values", f"has no value for host {host_name!r} "
                           f"(hosts with values: {', '.join(record.values) or 'none'})")
        value = record.values[host_name]
        raw = [value] if isinstance(value, str) else list(value)
    elif record.type == "A":
        raw = [host.address]
    elif record.type == "AAAA":
        raw = [host.address6] if host.address6 else []
    else:
        return _reason(inventory, f"{key}.values", f"a {record.type} record needs `values` "
                       "(one per host); only A and AAAA default to the host's address")
    try:
        return canonical_values(record.type, raw)
    except ValueError as exc:
        return _reason(inventory, f"{key}.values.{host_name}", str(exc))


DROPPED_TYPE = {"ipv4": "A", "ipv6": "AAAA"}  # a dropped family takes these records away


def desired_or_reason(inventory: Inventory, zone: ZoneBase, host_name: str,
                      drop: Collection[str] = ()) -> Desired | Reason:
    """Every managed rrset of `zone` as it must be when `host_name` is active, in inventory
    order; or the Reason the inventory cannot say (a record without a usable value for the host,
    a name and type listed twice). Records of the families in `drop` ("ipv4": A, "ipv6": AAAA)
    are absent. Raises UsageError for an unknown host."""
    dropped = {DROPPED_TYPE[f] for f in drop if f in DROPPED_TYPE}
    if host_name not in inventory.hosts:
        raise UsageError(f"unknown host {host_name!r}; hosts: {', '.join(inventory.hosts)}")
    zone_index = next((i for i, z in enumerate(inventory.dns) if z is zone or z == zone), None)
    desired: Desired = {}
    for record_index, record in enumerate(zone.records):
        key = (record_fqdn(zone.zone, record.name), record.type)
        if key in desired:
            return _reason(inventory, _record_key(zone_index, record_index),
                           f"{key[0]} {key[1]} is listed twice; list each name and type once")
        values = () if record.type in dropped else _record_values(
            inventory, zone_index, record_index, record, host_name)
        if isinstance(values, Reason):
            return values
        desired[key] = (record.ttl, values)
    return desired


def desired_for(inventory: Inventory, zone: ZoneBase, host_name: str,
                drop: Collection[str] = ()) -> Desired:
    """desired_or_reason for a flip that must happen: ConfigError when the inventory cannot
    say, UsageError for an unknown host."""
    desired = desired_or_reason(inventory, zone, host_name, drop)
    if isinstance(desired, Reason):
        raise ConfigError([desired])
    return desired


def diff(zone: str, provider_name: str, current: Mapping[RRKey, RRset],
         desired: Mapping[RRKey, tuple[int, tuple[str, ...]]]) -> ZonePlan:
    """The changes that turn `current` into `desired`: only rrsets whose ttl or values differ.

    Order follows `desired`. An rrset that is absent and should be absent is no change.
    """
    changes: list[RecordChange] = []
    for (name, rtype), (ttl, values) in desired.items():
        have = current.get((name, rtype))
        before = have.values if have else ()
        ttl_before = have.ttl if have and have.values else None
        if before == values and (not values or ttl_before == ttl):
            continue
        changes.append(RecordChange(name, rtype, ttl_before, before, ttl, values))
    return ZonePlan(record_fqdn(zone, "@"), provider_name, tuple(changes))


def apply_to(current: Mapping[RRKey, RRset], plan: ZonePlan) -> dict[RRKey, RRset]:
    """What `current` becomes once `plan` is applied (for dry-runs and tests)."""
    result = dict(current)
    for change in plan.changes:
        if change.after:
            result[change.key] = RRset(change.name, change.type, change.ttl, change.after)
        else:
            result.pop(change.key, None)
    return result


def hosts_matching(inventory: Inventory, zone: ZoneBase,
                   current: Mapping[RRKey, RRset]) -> list[str]:
    """Every host (priority order) whose values all managed rrsets of `zone` hold; also with
    one family's records removed (a flip that moved one family only, `policy.partial_family`).

    TTLs are ignored: they do not change where traffic goes.
    """
    matching = []
    for host_name in inventory.hosts:
        for drop in ((), ("ipv6",), ("ipv4",)):
            desired = desired_or_reason(inventory, zone, host_name, drop)
            if isinstance(desired, Reason):  # a host the zone cannot point at
                break
            if drop and not any(values for _, values in desired.values()):
                continue  # nothing of the host's left to recognise it by
            if all((current[k].values if k in current else ()) == values
                   for k, (_, values) in desired.items()):
                matching.append(host_name)
                break
    return matching


def points_at(inventory: Inventory, zone: ZoneBase, current: Mapping[RRKey, RRset]) -> str | None:
    """The first host (priority order) whose values every managed rrset of `zone` holds, or None."""
    matching = hosts_matching(inventory, zone, current)
    return matching[0] if matching else None


def active_host(inventory: Inventory, currents: Sequence[Mapping[RRKey, RRset]]) -> str | None:
    """The host every zone points at (`currents` in `inventory.dns` order), or None if they differ.

    Raises ValueError when `currents` does not have one entry per zone.
    """
    if len(currents) != len(inventory.dns):
        raise ValueError(f"{len(currents)} zone states given for {len(inventory.dns)} zones")
    candidates = list(inventory.hosts)
    for zone, current in zip(inventory.dns, currents, strict=True):
        matching = hosts_matching(inventory, zone, current)
        candidates = [h for h in candidates if h in matching]
    return candidates[0] if candidates else None
