"""The `dns_ttl` playbook step: lower managed TTLs before planned work, restore them after.

    - dns_ttl: {ttl: 60}          # hours before a planned move: resolvers forget old answers fast
    - dns_ttl: {restore: true}    # afterwards: the inventory's TTLs again

Safe to repeat (a TTL already in place is no change). A dry run prints the plan and changes
nothing. Every change is in the audit log as a `dns_change` with `ttl_only: true`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from failover.dns.flip import apply_flip
from failover.dns.ttl import plan_ttl
from failover.errors import FailoverError
from failover.model import playbook as pb

if TYPE_CHECKING:
    from failover.engine.context import RunContext
    from failover.engine.steps import Outcome


def dns_ttl_step(ctx: RunContext, p: pb.DnsTtlAction) -> Outcome:
    from failover.engine.steps import Outcome

    plans = plan_ttl(ctx.inventory, None if p.restore else p.ttl)
    lines = [line for _, plan in plans for line in plan.lines()]
    changes = [(provider, plan) for provider, plan in plans if not plan.empty]
    what = "the inventory's TTLs" if p.restore else f"TTL {p.ttl}s"
    zones = [plan.to_json() for _, plan in changes]
    if not changes:
        return Outcome(detail=f"managed records already have {what}", lines=lines)
    if ctx.dry_run:
        return Outcome("dry-run", f"would set {what} on {sum(len(z['changes']) for z in zones)} "
                                  "rrset(s)", lines, {"zones": zones})
    change = ctx.effects.begin("ttl", "", f"set {what} on {len(zones)} zone(s)")
    try:
        apply_flip(changes)
    except FailoverError as e:
        change.end("failed", str(e))
        raise
    change.end("done")
    ctx.audit.write("dns_change", ttl_only=True, restore=p.restore, ttl=p.ttl, zones=zones)
    return Outcome(detail=f"set {what} on {sum(len(z['changes']) for z in zones)} rrset(s)",
                   lines=lines, data={"zones": zones})
