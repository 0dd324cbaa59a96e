"""A flip: every managed rrset of every zone, from whatever it is now to the target host's values.

Each zone changes in one provider transaction (for atomic providers). Zones are changed one after
the other, so a flip over several zones is made all-or-nothing here: when a zone fails, the zones
already changed get their reverse plan applied, and the error says which zones were changed and
restored. Plans are read fresh from every zone before anything changes.
"""

from __future__ import annotations

import logging
from collections.abc import Collection, Sequence

from failover.dns.base import ApplyUncertain, DnsProvider
from failover.dns.plan import desired_for, diff
from failover.dns.records import ZonePlan
from failover.dns.registry import provider_for
from failover.errors import FailoverError, ProviderError, UnsafePlan
from failover.model.inventory import Inventory

log = logging.getLogger(__name__)

ZoneChange = tuple[DnsProvider, ZonePlan]  # one zone: its provider and the plan for it
FlipPlans = Sequence[ZoneChange]


def plan_flip(inventory: Inventory, target_host: str,
              drop: Collection[str] = ()) -> list[tuple[DnsProvider, ZonePlan]]:
    """Read every zone and plan the changes that point it at `target_host` (inventory order);
    the records of the families in `drop` are removed (dns/plan.py `desired_or_reason`).

    Changes nothing. Zones that already point at the target get an empty plan. Raises
    ProviderError when a zone cannot be read, UsageError/ConfigError for a bad target or record.
    """
    plans: list[tuple[DnsProvider, ZonePlan]] = []
    for zone in inventory.dns:
        desired = desired_for(inventory, zone, target_host, drop)
        provider = provider_for(zone)
        plan = diff(zone.zone, provider.name, provider.read(), desired)
        log.info("planned: zone=%s provider=%s to=%s changes=%d",
                 plan.zone, plan.provider, target_host, len(plan.changes))
        plans.append((provider, plan))
    return plans


def apply_flip(plans: FlipPlans,
               changed: list[tuple[DnsProvider, ZonePlan]] | None = None) -> list[ZonePlan]:
    """Apply each zone's plan in order; all zones change, or none stays changed.

    When a zone fails, every zone already changed (and the failing one, if its provider is not
    atomic or the outcome is uncertain) gets its reverse plan, then ProviderError (UnsafePlan if
    the failing zone's safety gate stopped it) says what was changed and restored. If a restore
    fails too, the message says so and lists the values to set by hand. Returns the plans.

    `changed`, the caller's record of the zones it has changed, is kept exact as this goes: a zone
    is added once its provider applied the plan and removed once it is put back, and a zone whose
    put-back failed stays in it (its values are uncertain). So after Ctrl-C or SIGTERM, whenever
    it lands, the caller knows what DNS holds.
    """
    record = changed if changed is not None else []
    applied: list[tuple[DnsProvider, ZonePlan]] = []
    for index, (provider, plan) in enumerate(plans):
        if plan.empty:
            continue
        try:
            provider.apply(plan)
        except FailoverError as exc:
            touched = list(applied)
            if isinstance(exc, ApplyUncertain) or not provider.ATOMIC:
                touched.append((provider, plan))
                record.append((provider, plan))
            problems = _restore(touched, record)
            message = _failure(plan, exc, applied, touched, problems, plans[index + 1:])
            log.error("flip_failed: zone=%s restored=%d restore_failed=%d",
                      plan.zone, len(touched) - len(problems), len(problems))
            error = UnsafePlan if isinstance(exc, UnsafePlan) else ProviderError
            raise error(message) from exc
        except BaseException:
            # A bug or Ctrl-C half-way: put the changed zones back before letting it through.
            log.error("flip_interrupted: zone=%s restoring=%d", plan.zone, len(applied) + 1)
            record.append((provider, plan))  # it may have landed
            _restore([*applied, (provider, plan)], record)
            raise
        applied.append((provider, plan))
        record.append((provider, plan))
    return [plan for _, plan in plans]


def _restore(touched: list[tuple[DnsProvider, ZonePlan]],
             record: list[tuple[DnsProvider, ZonePlan]]) -> dict[str, str]:
    """Apply the reverse plans, newest first, dropping each restored zone from `record`.

    Returns zone -> error for those that failed.
    """
    problems: dict[str, str] = {}
    for provider, plan in reversed(touched):
        try:
            provider.apply(plan.reverse())
        except FailoverError as exc:
            log.error("restore_failed: zone=%s", plan.zone)
            problems[plan.zone] = str(exc)
        else:
            log.warning("restored: zone=%s changes=%d", plan.zone, len(plan.changes))
            if (provider, plan) in record:
                record.remove((provider, plan))
    return problems


def _failure(plan: ZonePlan, exc: FailoverError, applied: list[tuple[DnsProvider, ZonePlan]],
             touched: list[tuple[DnsProvider, ZonePlan]], problems: dict[str, str],
             rest: FlipPlans) -> str:
    parts = [f"DNS flip failed at zone {plan.zone} ({plan.provider}): {exc}."]
    changed = [p.zone for _, p in applied]
    restored = [p.zone for _, p in touched if p.zone not in problems]
    if changed:
        parts.append(f"Zones changed before the failure: {', '.join(changed)}.")
    if restored:
        parts.append(f"Restored to their previous values: {', '.join(restored)}.")
    untouched = [p.zone for _, p in rest if not p.empty]
    if untouched:
        parts.append(f"Not touched: {', '.join(untouched)}.")
    for _, p in touched:
        if p.zone in problems:
            by_hand = "; ".join(p.reverse().lines())
            parts.append(f"RESTORE FAILED for zone {p.zone}: {problems[p.zone]}. DNS is split "
                         f"between hosts; set by hand: {by_hand}.")
    if not problems:
        parts.append("Every zone is as it was before the flip.")
    return " ".join(parts)
