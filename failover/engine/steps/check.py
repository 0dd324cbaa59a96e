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
    """Run `host`'s checks (`checks` by name; None: every check of the inventory) and add it to
    ctx.verified when every one passes; StepFailed naming each failed check otherwise.

    A dual-stack host (`address6`) is checked over IPv4 and IPv6. One that passes over one family
    only is verified for that family alone when `policy.partial_family` is allow: the flip then
    removes the other family's records (ctx.dropped; audited as `partial_family`); with refuse
    (the default) the step fails and says so.
    """
    from failover.checks import run_round
    from failover.families import degraded, failing_detail, names

    report = run_round(ctx.inventory, hosts=[host], checks=checks, control=False)
    lines = [f"{r.host}/{r.label}: {'ok' if r.ok else 'FAILED'} {r.detail} "
             f"({r.latency * 1000:.0f} ms)".replace("  ", " ") for r in report.results]
    failed = [r for r in report.judged(host) if not r.ok]
    failing, passing = degraded(report, host)
    only = {r.family for r in failed} <= set(failing)
    if failed and failing and only:
        why = "; ".join(f"{names([f])}: {failing_detail(report, host, f)}" for f in failing)
        records = " and ".join("A" if f == "ipv4" else "AAAA" for f in failing)
        if ctx.inventory.policy.partial_family != "allow":
            raise StepFailed(f"{host} passes its checks over {names(passing)} only ({why}); "
                             "policy.partial_family is refuse: its "
                             f"{records} records would send visitors to a host that does not "
                             "answer them (set policy.partial_family: allow to move "
                             f"{names(passing)} and remove {records})")
        ctx.dropped[host] = set(failing)
        ctx.verified.add(host)
        ctx.record("partial_family", host=host, serves=passing, dropped=failing, reason=why)
        return Outcome(detail=f"{host} passed its checks over {names(passing)} only ({why}); "
                              f"policy.partial_family: allow: a flip to it removes its {records} "
                              "records", lines=lines)
    if failed:
        raise StepFailed(f"{host} failed its checks: "
                         + "; ".join(f"{r.label}: {r.detail}" for r in failed))
    ctx.verified.add(host)
    ctx.dropped.pop(host, None)
    return Outcome(detail=f"{host} passed {len(report.results)} checks", lines=lines)


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
