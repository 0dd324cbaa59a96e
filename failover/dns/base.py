"""The DnsProvider contract: what every DNS back-end implements, and the safety kept in one place.

A provider reads and writes the *managed* rrsets of one zone (the inventory's `records`). The base
class keeps the safety in one place (octoDNS `apply()` -> `_apply()`): it refuses plans for other
zones or unmanaged records, checks that the zone still looks like the plan expected, skips work that
is already done, and re-reads after the change to prove it landed. A back-end writes `_fetch()` and
`_apply()` only, in `failover/dns/<name>.py` beside its settings model, and is listed in
dns/registry.py. The values it reads and writes (RRset, ZonePlan) are in dns/records.py.
"""

from __future__ import annotations

import logging
from abc import ABC, abstractmethod
from collections import Counter
from typing import ClassVar

from failover.dns.records import RRKey, RRset, ZonePlan, record_fqdn, show
from failover.errors import ProviderError, UnsafePlan
from failover.model.inventory import ZoneBase

log = logging.getLogger(__name__)


class ApplyUncertain(ProviderError):
    """The change request may have reached the provider (e.g. a timeout after sending it)."""


class DnsProvider(ABC):
    """Reads and changes the managed rrsets of one zone through a DNS provider's API.

    Contract for back-ends:
    - `_fetch(keys)` returns the rrsets among `keys` that exist now (absent ones omitted), values
      canonical (use `canonical_values`). It never changes anything. Raises ProviderError.
    - `_apply(plan)` makes the zone match `plan` (each change: replace the rrset with `ttl`/`after`,
      or delete it when `after` is empty). It must be idempotent (sending the same plan twice is
      harmless). When `ATOMIC` is true it is one provider transaction: on error nothing changed,
      unless it raises `ApplyUncertain` (the request may have landed). Raises ProviderError.
    """

    name: ClassVar[str]
    ATOMIC: ClassVar[bool]

    def __init__(self, zone: ZoneBase) -> None:
        self.zone = zone
        self.zone_name = record_fqdn(zone.zone, "@")
        self.managed: tuple[RRKey, ...] = tuple(dict.fromkeys(
            (record_fqdn(self.zone_name, r.name), r.type) for r in zone.records))
        # API requests sent, by "read"/"write" (bench/dns.py reports them; nothing acts on them)
        self.calls: Counter[str] = Counter()

    def __repr__(self) -> str:
        return f"{type(self).__name__}(zone={self.zone_name!r})"

    # -- the public template -------------------------------------------------------------------

    def read(self) -> dict[RRKey, RRset]:
        """The managed rrsets as they are now; absent ones omitted. Raises ProviderError."""
        fetched = self._fetch(set(self.managed))
        return {k: fetched[k] for k in self.managed if k in fetched}

    def list_zone(self) -> list[RRset]:
        """Every rrset the zone holds now, managed or not (`failover init` proposes the managed
        records from them). Raises ProviderError, also when the back-end cannot list a zone."""
        raise ProviderError(f"{self.name}: listing a whole zone is not supported by this "
                            "provider yet; write the zone's records in the inventory by hand")

    def nameserver_names(self) -> list[str]:
        """The NS names of the zone apex, as the provider holds them. Raises ProviderError."""
        key = (self.zone_name, "NS")
        rrset = self._fetch({key}).get(key)
        return list(rrset.values) if rrset else []

    def apply(self, plan: ZonePlan, *, dry_run: bool = False) -> None:
        """Make the zone match `plan`; afterwards re-read and prove every change landed.

        Empty plans do nothing. Refuses (UnsafePlan) a plan for another zone or provider, one that
        touches unmanaged rrsets, or one whose `before` no longer matches the zone (re-plan).
        Changes already in place are skipped, so applying a plan twice is harmless. Atomic per
        zone iff `ATOMIC`. Raises ProviderError when the provider fails, ApplyUncertain when the
        change was sent but reading it back fails or differs (the zone may have changed).
        """
        if plan.empty:
            log.debug("apply: zone=%s provider=%s changes=0", self.zone_name, self.name)
            return
        self._check_plan(plan)
        current = self.read()
        todo = tuple(c for c in plan.changes if not _matches(current.get(c.key), c.ttl, c.after))
        stale = [c for c in todo if not _matches(current.get(c.key), c.ttl_before, c.before)]
        if stale:
            now = "; ".join(f"{c.name} {c.type} is {_describe(current.get(c.key))}, plan expected "
                            f"{show(c.before)}" for c in stale)
            raise UnsafePlan(f"zone {self.zone_name} ({self.name}) changed since the plan was "
                             f"made: {now}. Nothing was changed; plan again to see the current "
                             "values.")
        if not todo:
            log.info("apply: zone=%s provider=%s already=applied", self.zone_name, self.name)
            return
        if dry_run:
            log.info("apply: zone=%s provider=%s changes=%d dry_run=yes",
                     self.zone_name, self.name, len(todo))
            return
        log.info("apply: zone=%s provider=%s changes=%d", self.zone_name, self.name, len(todo))
        self._apply(ZonePlan(plan.zone, plan.provider, todo))
        # the provider took the change: from here on a failure to prove it means the zone may be
        # changed (ApplyUncertain), so a flip puts it back instead of calling it untouched
        try:
            after = self.read()
        except ProviderError as exc:
            raise ApplyUncertain(f"the change was sent, but reading it back failed: {exc}") \
                from exc
        wrong = [c for c in todo if not _matches(after.get(c.key), c.ttl, c.after)]
        if wrong:
            raise ApplyUncertain("; ".join(
                f"zone {self.zone_name} ({self.name}): after the change {c.name} {c.type} is "
                f"{_describe(after.get(c.key))}, the plan said {show(c.after)} (ttl {c.ttl})"
                for c in wrong))
        log.info("applied: zone=%s provider=%s changes=%d", self.zone_name, self.name, len(todo))

    def _check_plan(self, plan: ZonePlan) -> None:
        if record_fqdn(plan.zone, "@") != self.zone_name or plan.provider != self.name:
            raise UnsafePlan(f"a plan for zone {plan.zone} ({plan.provider}) was given to the "
                             f"{self.name} provider of zone {self.zone_name}; nothing was changed")
        unmanaged = [f"{c.name} {c.type}" for c in plan.changes if c.key not in self.managed]
        if unmanaged:
            raise UnsafePlan(f"zone {self.zone_name}: the plan touches rrsets the inventory does "
                             f"not manage ({', '.join(unmanaged)}); nothing was changed")

    # -- what a back-end writes ----------------------------------------------------------------

    @abstractmethod
    def _fetch(self, keys: set[RRKey]) -> dict[RRKey, RRset]:
        """The rrsets among `keys` that exist now (see the class docstring)."""

    @abstractmethod
    def _apply(self, plan: ZonePlan) -> None:
        """Send every change of `plan` (see the class docstring)."""


def _matches(rrset: RRset | None, ttl: int | None, values: tuple[str, ...]) -> bool:
    if not values:
        return rrset is None or not rrset.values
    return rrset is not None and rrset.values == values and (ttl is None or rrset.ttl == ttl)


def _describe(rrset: RRset | None) -> str:
    if rrset is None or not rrset.values:
        return "(absent)"
    return f"{show(rrset.values)} (ttl {rrset.ttl})"
