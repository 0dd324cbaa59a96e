"""`dns: {to: H}`: point every managed record of every zone at host H (a flip); as a rescue
step, put back exactly what this run changed.

- DNS never moves to a host that has not passed its checks in this run: if no earlier step
  checked it, its checks run here first (a dry run too).
- One provider transaction per zone; all zones change or none stays changed (dns/flip.py).
- Safe to repeat: a flip to the values already in place is an empty plan that changes nothing
  (state.active is still set to H).
- What the flip changed is kept in ctx.dns_applied, zone by zone, whenever Ctrl-C lands: it is
  what the rescue puts back and what an interruption reports.
"""

from __future__ import annotations

import logging

from failover.engine.context import RunContext
from failover.engine.outcome import Outcome
from failover.engine.steps.base import Action, known_host
from failover.engine.steps.check import check_host
from failover.engine.steps.zones import DnsChange, ZoneChanges
from failover.model.playbook import DnsAction

log = logging.getLogger(__name__)


class DnsStep(Action[DnsAction, DnsChange]):
    key = "dns"

    def validate(self, ctx: RunContext, p: DnsAction) -> None:
        known_host(ctx, p.to, "dns.to")

    def plan(self, ctx: RunContext, p: DnsAction) -> DnsChange:
        """Verify `to` (unless this run has) and read every zone's flip plan."""
        from failover.dns.flip import plan_flip

        if p.to not in ctx.verified:
            check_host(ctx, p.to, None)
        return DnsChange(plan_flip(ctx.inventory, p.to, ctx.dropped.get(p.to, ())))

    def describe(self, ctx: RunContext, p: DnsAction, plan: DnsChange) -> Outcome:
        if plan.empty:
            return Outcome("ok", f"DNS already points at {p.to}", plan.lines,
                           {"zones": plan.zones(changed_only=False)})
        return Outcome("dry-run", f"would point DNS at {p.to}", plan.lines,
                       {"zones": plan.zones(changed_only=False)})

    def apply(self, ctx: RunContext, p: DnsAction, plan: DnsChange) -> Outcome:
        to = p.to
        if not plan.empty:
            if not ctx.dns_applied:
                ctx.active_before_flip = ctx.state.active
            ctx.effects.dns_to, ctx.effects.dns_restored = to, False
            ctx.effects.dns_zones = [zone.zone for _, zone in plan.changes]
            plan.apply(ctx, record=ctx.dns_applied, to=to)
        ctx.set_active(to, changed=not plan.empty)
        return Outcome(detail=f"DNS already points at {to}; nothing to change" if plan.empty
                       else f"DNS points at {to}",
                       lines=plan.lines, data={"zones": plan.zones(), "to": to,
                                               "active_before": ctx.active_before_flip,
                                               "dropped": sorted(ctx.dropped.get(to, ()))})

    def undo(self, ctx: RunContext, p: DnsAction) -> Outcome:
        """Put back exactly the records this run changed (reverse plans, newest first).

        A run that changed no DNS has nothing to put back, whatever `to` says: a rescue never
        moves DNS anywhere it was not before the run. state.active becomes the host DNS
        pointed at before the run.
        """
        to = known_host(ctx, p.to, "dns.to")
        if not ctx.dns_applied:
            return Outcome(detail="this run changed no DNS; nothing to put back")
        undo = DnsChange([(prov, zone.reverse()) for prov, zone in reversed(ctx.dns_applied)])
        undone: ZoneChanges = []
        try:
            undo.apply(ctx, record=undone, to=ctx.active_before_flip, restore=True)
        finally:  # what is put back is no longer this run's change, even if Ctrl-C cut the rescue
            back_in_place = {(id(prov), zone.zone) for prov, zone in undone}
            ctx.dns_applied[:] = [(prov, zone) for prov, zone in ctx.dns_applied
                                  if (id(prov), zone.zone) not in back_in_place]
        ctx.effects.dns_restored = not ctx.dns_applied
        back = ctx.active_before_flip or to
        if back != to:
            log.warning("restored: dns to=%s (the state before this run), step said to=%s",
                        back, to)
        ctx.set_active(back, changed=True)
        return Outcome(detail=f"DNS put back as it was before this run ({back})",
                       lines=undo.lines)
