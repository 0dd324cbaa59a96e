"""The DNS change the `dns` and `dns_ttl` steps (and a rescue's put-back) share.

Each plans it its own way (a flip: every managed rrset to a host's values; a TTL step: TTLs
only), then both go the same way: the plan of every zone is read fresh, shown line by line,
applied one transaction per zone with all zones or none (dns/flip.py `apply_flip`), and written
to the audit log as one `dns_change` line.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from failover.engine.context import RunContext

if TYPE_CHECKING:  # dnspython is imported when a run touches DNS, not before
    from failover.dns.flip import FlipPlans, ZoneChange

ZoneChanges = list["ZoneChange"]


@dataclass(frozen=True)
class DnsChange:
    """The plans of every zone for one step, in inventory order (empty plans included)."""

    plans: FlipPlans

    @property
    def changes(self) -> ZoneChanges:
        """The zones that change (non-empty plans)."""
        return [(provider, plan) for provider, plan in self.plans if not plan.empty]

    @property
    def empty(self) -> bool:
        """Nothing to change: every zone already holds what the step asks for."""
        return not self.changes

    @property
    def lines(self) -> list[str]:
        """Every zone's plan as a person reads it: values (and TTLs) before and after."""
        return [line for _, plan in self.plans for line in plan.lines()]

    def zones(self, *, changed_only: bool = True) -> list[dict[str, Any]]:
        """The plans as JSON (for the journal, the audit log and --json)."""
        return [plan.to_json() for _, plan in self.plans if not (changed_only and plan.empty)]

    def apply(self, ctx: RunContext, record: ZoneChanges | None = None, **audit: Any) -> None:
        """Apply the zones that change, then audit them as one `dns_change` with `audit`'s
        fields. All zones change or none stays changed (apply_flip); raises ProviderError (or
        UnsafePlan from a zone's safety gate) saying what was restored, and writes no audit line
        then. `record`, when given, is kept exact zone by zone as they change and are put back,
        even when Ctrl-C lands half-way (what a rescue puts back)."""
        from failover.dns.flip import apply_flip

        apply_flip(self.changes, changed=record)
        ctx.record("dns_change", **audit, zones=self.zones())
