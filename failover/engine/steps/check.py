"""`check: {host: H, checks: [...]}`: run a host's checks now; the run trusts it only if all pass.

A check only reads, so a dry run runs it for real: a rehearsal that says "would point DNS at
scw-par" must know that scw-par passes its checks. A host that passes counts as verified for
this run only (RunContext.verified): the `dns` step flips only to a verified host.
"""

from __future__ import annotations

from failover.engine.context import RunContext
from failover.engine.outcome import Outcome
from failover.engine.steps.base import Action, known_host
from failover.errors import StepFailed
from failover.model.playbook import CheckAction


def check_host(ctx: RunContext, host: str, checks: list[str] | None) -> Outcome:
    """Run `host`'s checks (`checks` by name; None: every check of the inventory); when every
    one passes and they are all of the inventory's checks, add it to ctx.verified (a subset
    passing leaves the dns step to run them all); StepFailed naming each failed check otherwise."""
    from failover.checks import run_round

    report = run_round(ctx.inventory, hosts=[host], checks=checks, control=False)
    lines = [f"{r.host}/{r.check}: {'ok' if r.ok else 'FAILED'} {r.detail} "
             f"({r.latency * 1000:.0f} ms)".replace("  ", " ") for r in report.results]
    failed = [r for r in report.results if not r.ok]
    if failed:
        raise StepFailed(f"{host} failed its checks: "
                         + "; ".join(f"{r.check}: {r.detail}" for r in failed))
    every = {c.name for c in ctx.inventory.checks}
    if checks is None or every <= set(checks):
        ctx.verified.add(host)
        return Outcome(detail=f"{host} passed {len(report.results)} checks", lines=lines)
    # some of its checks passing is not "the host passed its checks": the dns step runs them all
    return Outcome(detail=f"{host} passed {len(report.results)} of its checks (not "
                          f"{', '.join(sorted(every - set(checks)))})", lines=lines)


class CheckStep(Action[CheckAction, None]):
    key = "check"

    def validate(self, ctx: RunContext, p: CheckAction) -> None:
        known_host(ctx, p.host, "check.host")

    def plan(self, ctx: RunContext, p: CheckAction) -> None:
        return None

    def describe(self, ctx: RunContext, p: CheckAction, plan: None) -> Outcome:
        return self.apply(ctx, p, plan)  # a check only reads: the dry run runs it

    def apply(self, ctx: RunContext, p: CheckAction, plan: None) -> Outcome:
        return check_host(ctx, p.host, p.checks)
