"""The canary: one record no customer uses (inventory `canary:`), really flipped to the standby
through the zone's provider, verified on every nameserver, then put back. It measures what a
failover's `dns` and `dns_verify` steps would take on the real path, without touching traffic.

Implementation notes:
- The canary gets a zone of its own: a copy of its managed zone's settings whose `records` are
  the canary's A (and AAAA when the standby has address6). The provider built for that copy
  manages those rrsets only, so DnsProvider.apply refuses anything else: no other record can
  change, whatever happens (dns/base.py `_check_plan`).
- The flip is planned and applied as a real one is (dns/plan.py `diff`, DnsProvider.apply with
  its read-back), and verified by dns/verify.py against an inventory holding that zone alone.
- Putting it back applies the plan's reverse: the old values, or a delete when the record did
  not exist before. It runs whatever happened in between, Ctrl-C included; a write that Ctrl-C
  cut short may still land after that, so it is put back once more a moment later (applying
  a reverse plan that is already in place changes nothing).
- A failure is a result (`error`), so the drill can report it; only Ctrl-C goes through.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field
from typing import Any

import msgspec

from failover.dns.base import DnsProvider
from failover.dns.plan import desired_for, diff
from failover.dns.records import ZonePlan, record_fqdn, show
from failover.dns.registry import provider_for
from failover.dns.verify import verify
from failover.errors import FailoverError
from failover.model.inventory import Inventory, Record, ZoneBase
from failover.rehearse.estimate import seconds_text

log = logging.getLogger(__name__)

DEFAULT_TTL = 60  # for a canary that does not exist yet
LATE_WRITE = 1.0  # seconds: how long a write cut short by Ctrl-C is given to land or not


@dataclass
class CanaryResult:
    """What the canary flip did; times in seconds (None: that part did not happen)."""

    name: str
    zone: str
    to: str
    changes: list[str] = field(default_factory=list)
    write: float | None = None
    propagation: float | None = None
    verified: bool = False
    restored: bool = False
    restore: str = ""
    error: str | None = None
    nameservers: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return self.error is None and self.verified and self.restored

    def lines(self) -> list[str]:
        out = [f"canary {self.name} (zone {self.zone}) -> {self.to}:"]
        out += [f"  {c}" for c in self.changes]
        if self.write is not None:
            out.append(f"  written in {seconds_text(self.write)}")
        if self.propagation is not None:
            verdict = "every nameserver answered" if self.verified else \
                "NOT every nameserver answered"
            out.append(f"  {verdict} after {seconds_text(self.propagation)}")
        out += [f"  {line}" for line in self.nameservers if not self.verified]
        if self.error:
            out.append(f"  FAILED: {self.error}")
        out.append(f"  {self.restore}")
        return out

    def to_json(self) -> dict[str, Any]:
        return {"name": self.name, "zone": self.zone, "to": self.to, "ok": self.ok,
                "changes": self.changes,
                "write_seconds": None if self.write is None else round(self.write, 3),
                "propagation_seconds": None if self.propagation is None
                else round(self.propagation, 3),
                "verified": self.verified, "restored": self.restored, "restore": self.restore,
                "error": self.error}


def canary_zone(inventory: Inventory, to: str, ttl: int) -> ZoneBase:
    """The canary's zone: its managed zone's settings, managing the canary's rrsets only."""
    name = inventory.canary
    index = inventory.zone_of(name) if name else None
    if name is None or index is None:  # validate refuses it; a caller's bug otherwise
        raise ValueError(f"canary {name!r} is in no managed zone")
    records = [Record(name=name, type="A", ttl=ttl)]
    if inventory.hosts[to].address6:
        records.append(Record(name=name, type="AAAA", ttl=ttl))
    return msgspec.structs.replace(inventory.dns[index], records=records)


def _current_ttl(inventory: Inventory, to: str) -> int:
    """The canary's TTL now (its A record's), or DEFAULT_TTL when it does not exist."""
    zone = canary_zone(inventory, to, DEFAULT_TTL)
    current = provider_for(zone).read()
    have = current.get((record_fqdn(zone.zone, zone.records[0].name), "A"))
    return have.ttl if have and have.values else DEFAULT_TTL


def flip_canary(inventory: Inventory, to: str, timeout: float,
                interval: float = 0.5) -> CanaryResult:
    """Flip the canary to `to`, wait for every nameserver (up to `timeout`), put it back."""
    assert inventory.canary is not None
    result = CanaryResult(inventory.canary, "?", to)
    try:
        zone = canary_zone(inventory, to, _current_ttl(inventory, to))
        only = msgspec.structs.replace(inventory, dns=[zone])
        provider = provider_for(zone)
        result.zone = provider.zone_name
        plan = diff(zone.zone, provider.name, provider.read(), desired_for(only, zone, to))
    except FailoverError as exc:
        result.error = f"cannot plan the canary flip: {exc}"
        result.restore = "nothing was changed"
        return result
    result.changes = [c.line() for c in plan.changes] or [f"already points at {to}"]
    started = time.monotonic()
    try:
        provider.apply(plan)
        result.write = time.monotonic() - started
        log.info("canary: name=%s to=%s written=%.3fs", result.name, to, result.write)
        report = verify(only, to, timeout=timeout, interval=interval)
        result.propagation, result.verified = report.elapsed, report.ok
        result.nameservers = report.lines()[:-1]
        log.info("canary: name=%s verified=%s after=%.3fs", result.name, report.ok,
                 report.elapsed)
    except FailoverError as exc:
        result.error = str(exc)
    except BaseException:  # Ctrl-C or SIGTERM: put it back, then let the interruption go on
        _put_back(provider, plan, result)
        if result.write is None:  # cut during the write: it may land after the put-back read
            time.sleep(LATE_WRITE)
            _put_back(provider, plan, result)
        raise
    _put_back(provider, plan, result)
    return result


def _put_back(provider: DnsProvider, plan: ZonePlan, result: CanaryResult) -> None:
    """Apply the reverse of `plan`; say what the canary is now."""
    if plan.empty:
        result.restored, result.restore = True, "nothing to put back (no change was made)"
        return
    back = plan.reverse()
    try:
        provider.apply(back)
    except FailoverError as exc:
        by_hand = "; ".join(back.lines())
        result.restore = f"PUT BACK FAILED: {exc}; set by hand: {by_hand}"
        log.error("canary: name=%s restore=failed", result.name)
        return
    result.restored = True
    was = [f"{c.type} {show(c.after)}" for c in back.changes]
    gone = all(not c.after for c in back.changes)
    result.restore = ("deleted again (it did not exist before the drill)" if gone
                      else f"put back: {', '.join(was)}")
    log.info("canary: name=%s restored=yes", result.name)
