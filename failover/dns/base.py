"""The DnsProvider contract, and the values that travel between plan, apply and verify.

A provider reads and writes the *managed* rrsets of one zone (the inventory's `records`). The base
class keeps the safety in one place (octoDNS `apply()` -> `_apply()`): it refuses plans for other
zones or unmanaged records, checks that the zone still looks like the plan expected, skips work that
is already done, and re-reads after the change to prove it landed. A back-end writes `_fetch()` and
`_apply()` only.
"""

from __future__ import annotations

import importlib
import logging
import pkgutil
from abc import ABC, abstractmethod
from collections import Counter
from dataclasses import dataclass
from typing import Any, ClassVar

import dns.exception
import dns.name
import dns.rdata

from failover.errors import ProviderError, UnsafePlan
from failover.model.inventory import ZoneBase

log = logging.getLogger(__name__)

RRKey = tuple[str, str]  # (absolute lower-case fqdn with trailing dot, type)

# Modules of this package that are not providers.
_NOT_PROVIDERS = frozenset({"base", "plan", "flip", "verify", "ttl"})


class ApplyUncertain(ProviderError):
    """The change request may have reached the provider (e.g. a timeout after sending it)."""


@dataclass(frozen=True)
class RRset:
    """One rrset as served: `values` are canonical text, sorted, without duplicates."""

    name: str
    type: str
    ttl: int
    values: tuple[str, ...]

    @property
    def key(self) -> RRKey:
        return (self.name, self.type)


@dataclass(frozen=True)
class RecordChange:
    """One rrset before and after. An empty `before` means absent; an empty `after` means delete."""

    name: str
    type: str
    ttl_before: int | None
    before: tuple[str, ...]
    ttl: int
    after: tuple[str, ...]

    @property
    def key(self) -> RRKey:
        return (self.name, self.type)

    def reverse(self) -> RecordChange:
        return RecordChange(self.name, self.type, self.ttl, self.after,
                            self.ttl_before if self.ttl_before is not None else self.ttl,
                            self.before)

    def line(self) -> str:
        same = self.ttl_before in (None, self.ttl)
        ttl = str(self.ttl) if same else f"{self.ttl_before} -> {self.ttl}"
        return f"{self.name} {self.type} {ttl}: {_show(self.before)} -> {_show(self.after)}"

    def to_json(self) -> dict[str, Any]:
        return {"name": self.name, "type": self.type, "ttl_before": self.ttl_before,
                "before": list(self.before), "ttl": self.ttl, "after": list(self.after)}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> RecordChange:
        return cls(data["name"], data["type"], data["ttl_before"], tuple(data["before"]),
                   data["ttl"], tuple(data["after"]))


def _show(values: tuple[str, ...]) -> str:
    return ", ".join(values) if values else "(absent)"


@dataclass(frozen=True)
class ZonePlan:
    """The changes one zone needs. A value: printable, JSON-able, reversible."""

    zone: str
    provider: str
    changes: tuple[RecordChange, ...]

    @property
    def empty(self) -> bool:
        return not self.changes

    def reverse(self) -> ZonePlan:
        """The plan that puts every changed rrset back as it was before this one."""
        return ZonePlan(self.zone, self.provider, tuple(c.reverse() for c in self.changes))

    def lines(self) -> list[str]:
        if self.empty:
            return [f"{self.zone} ({self.provider}): no change"]
        return [c.line() for c in self.changes]

    def to_json(self) -> dict[str, Any]:
        return {"zone": self.zone, "provider": self.provider,
                "changes": [c.to_json() for c in self.changes]}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> ZonePlan:
        """The plan `to_json` wrote (a journal's dns step: what a resumed run's rescue undoes)."""
        return cls(data["zone"], data["provider"],
                   tuple(RecordChange.from_json(c) for c in data["changes"]))


def record_fqdn(zone: str, name: str) -> str:
    """`@` -> the apex, `www` -> `www.<zone>`, an absolute name stays; always lower case."""
    zone = zone.lower() if zone.endswith(".") else zone.lower() + "."
    if name == "@":
        return zone
    if name.endswith("."):
        return name.lower()
    return f"{name.lower()}.{zone}"


def canonical_value(rtype: str, text: str) -> str:
    """Canonical text of one record value, as compared everywhere (plan, read-back, verify).

    Names are absolute (a missing trailing dot is added, never the zone appended) and lower case;
    a TXT value not already in quotes is one string (split at 255 bytes). Raises ValueError.
    """
    if rtype == "TXT" and not text.lstrip().startswith('"'):
        raw = text.encode()
        chunks = [raw[i:i + 255] for i in range(0, len(raw), 255)] or [b""]
        text = " ".join('"' + c.decode(errors="replace").replace("\\", "\\\\").replace('"', '\\"')
                        + '"' for c in chunks)
    try:
        rdata = dns.rdata.from_text("IN", rtype, text, origin=dns.name.root, relativize=False)
    except (dns.exception.DNSException, ValueError) as exc:
        raise ValueError(f"{text!r} is not a valid {rtype} value ({exc})") from None
    out = rdata.to_text()
    return out if rtype == "TXT" else out.lower()


def canonical_values(rtype: str, values: list[str] | tuple[str, ...]) -> tuple[str, ...]:
    return tuple(sorted({canonical_value(rtype, v) for v in values}))


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
        zone iff `ATOMIC`. Raises ProviderError when the provider fails or the read-back differs.
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
                            f"{_show(c.before)}" for c in stale)
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
        after = self.read()
        wrong = [c for c in todo if not _matches(after.get(c.key), c.ttl, c.after)]
        if wrong:
            raise ProviderError("; ".join(
                f"zone {self.zone_name} ({self.name}): after the change {c.name} {c.type} is "
                f"{_describe(after.get(c.key))}, the plan said {_show(c.after)} (ttl {c.ttl})"
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
    return f"{_show(rrset.values)} (ttl {rrset.ttl})"


EXTRAS = ("lexicon",)  # providers whose library is an extra (pyproject.toml), not a dependency


def available_providers() -> list[str]:
    import failover.dns as package

    return sorted(m.name for m in pkgutil.iter_modules(package.__path__)
                  if m.name not in _NOT_PROVIDERS and not m.name.startswith("_"))


def provider_for(zone: ZoneBase) -> DnsProvider:
    """The provider plug-in for `zone`: module `failover.dns.<zone.provider>`, imported lazily."""
    name = str(getattr(zone, "provider", ""))
    available = available_providers()
    if name not in available:
        raise ProviderError(f"zone {zone.zone}: unknown DNS provider {name!r} "
                            f"(available: {', '.join(available)})")
    try:
        module = importlib.import_module(f"failover.dns.{name}")
    except ImportError as exc:
        how = (f"install it with: pip install 'failover[{name}]'" if name in EXTRAS else
               "it is a dependency of failover: reinstall failover (pip install "
               "--force-reinstall failover)")
        raise ProviderError(f"zone {zone.zone}: DNS provider {name!r} cannot load ({exc}); "
                            f"{how}") from None
    for value in vars(module).values():
        if (isinstance(value, type) and issubclass(value, DnsProvider)
                and value is not DnsProvider and getattr(value, "name", None) == name):
            return value(zone)
    raise ProviderError(f"zone {zone.zone}: module failover.dns.{name} has no provider class "
                        f"(available: {', '.join(available)})")
