"""`dns_ttl`: lower managed TTLs before planned work, restore them after.

    - dns_ttl: {ttl: 60}          # hours before a planned move: resolvers forget old answers fast
    - dns_ttl: {restore: true}    # afterwards: the inventory's TTLs again

Values are never touched (dns/ttl.py). Safe to repeat: a TTL already in place is no change. A
dry run prints the plan and changes nothing. Every change is in the audit log as a
`dns_change` with `ttl_only: true`. Not part of what a rescue puts back (ctx.dns_applied): a
TTL is no move of the site.
"""

from __future__ import annotations

from failover.engine.context import RunContext
from failover.engine.outcome import Outcome
from failover.engine.steps.base import Action
from failover.engine.steps.zones import DnsChange
from failover.model.playbook import DnsTtlAction


def _what(p: DnsTtlAction) -> str:
    return "the inventory's TTLs" if p.restore else f"TTL {p.ttl}s"


class DnsTtlStep(Action[DnsTtlAction, DnsChange]):
    key = "dns_ttl"

    def plan(self, ctx: RunContext, p: DnsTtlAction) -> DnsChange:
        from failover.dns.ttl import plan_ttl

        return DnsChange(plan_ttl(ctx.inventory, None if p.restore else p.ttl))

    def describe(self, ctx: RunContext, p: DnsTtlAction, plan: DnsChange) -> Outcome:
        if plan.empty:
            return self._already(p, plan)
        rrsets = sum(len(zone["changes"]) for zone in plan.zones())
        return Outcome("dry-run", f"would set {_what(p)} on {rrsets} rrset(s)", plan.lines,
                       {"zones": plan.zones()})

    def apply(self, ctx: RunContext, p: DnsTtlAction, plan: DnsChange) -> Outcome:
        if plan.empty:
            return self._already(p, plan)
        with ctx.change("ttl", "", f"set {_what(p)} on {len(plan.changes)} zone(s)"):
            plan.apply(ctx, ttl_only=True, restore=p.restore, ttl=p.ttl)
        rrsets = sum(len(zone["changes"]) for zone in plan.zones())
        return Outcome(detail=f"set {_what(p)} on {rrsets} rrset(s)", lines=plan.lines,
                       data={"zones": plan.zones()})

    @staticmethod
    def _already(p: DnsTtlAction, plan: DnsChange) -> Outcome:
        return Outcome(detail=f"managed records already have {_what(p)}", lines=plan.lines)
