"""`dns_verify: {to: H, timeout: 2m}`: wait until every authoritative nameserver answers with
`to`'s values (dns/verify.py). Only reads; fails when the timeout passes first."""

from __future__ import annotations

from failover.engine.context import RunContext
from failover.engine.outcome import Outcome
from failover.engine.steps.base import Action, known_host
from failover.errors import StepFailed
from failover.model.playbook import DnsVerifyAction


class DnsVerifyStep(Action[DnsVerifyAction, int | None]):
    key = "dns_verify"

    def validate(self, ctx: RunContext, p: DnsVerifyAction) -> None:
        known_host(ctx, p.to, "dns_verify.to")

    def plan(self, ctx: RunContext, p: DnsVerifyAction) -> int | None:
        """The largest TTL the run's flips replaced: caches may serve the old answers that
        long, which the report says (None when the run flipped nothing: verify then takes the
        inventory's largest TTL)."""
        return max((c.ttl_before or 0 for _, plan in ctx.dns_applied for c in plan.changes),
                   default=None)

    def describe(self, ctx: RunContext, p: DnsVerifyAction, plan: int | None) -> Outcome:
        return Outcome("dry-run", f"would wait up to {p.timeout:g}s for every nameserver to "
                                  f"answer with {p.to}'s values")

    def apply(self, ctx: RunContext, p: DnsVerifyAction, plan: int | None) -> Outcome:
        from failover.dns.verify import verify

        report = verify(ctx.inventory, p.to, timeout=p.timeout, interval=p.interval,
                        old_ttl=plan, drop=ctx.dropped.get(p.to, ()))
        if not report.ok:
            raise StepFailed(f"not every nameserver answers with {p.to} after {p.timeout:g}s: "
                             + "; ".join(report.lines()))
        dropped = ctx.dropped.get(p.to)
        also = (f" (its {' and '.join(sorted('A' if f == 'ipv4' else 'AAAA' for f in dropped))} "
                "records removed)") if dropped else ""
        return Outcome(detail=f"every nameserver answers with {p.to}{also}", lines=report.lines(),
                       data=report.to_json())
