"""`fence: {host: "{{ from }}"}`: the inventory's `fence:` commands on the old host, best effort,
and the host marked demoted either way (engine/fence.py).

Never fails the run: the shop has moved; an old host that could not be fenced is a warning here
and in every `check` until a person acts. Safe to repeat: the commands are the operator's to
keep idempotent (`touch`, `systemctl stop`), and the mark keeps its first time and reason.
"""

from __future__ import annotations

from failover.engine.context import RunContext
from failover.engine.outcome import Outcome
from failover.engine.steps.base import Action, known_host, on_fallback
from failover.errors import StepFailed
from failover.model.playbook import FenceAction


class FenceStep(Action[FenceAction, list[str]]):
    key = "fence"

    def run(self, ctx: RunContext, p: FenceAction) -> Outcome:
        return on_fallback(ctx, p.host, "nothing to fence") or super().run(ctx, p)

    def validate(self, ctx: RunContext, p: FenceAction) -> None:
        known_host(ctx, p.host, "fence.host")
        if p.host == ctx.state.active and not ctx.dry_run:  # a dry run moved no DNS
            raise StepFailed(f"fence.host: {p.host} is the active host (DNS points at it); a "
                             "fence step goes after the dns step, on the old host")

    def plan(self, ctx: RunContext, p: FenceAction) -> list[str]:
        from failover.engine.fence import commands_for
        from failover.model.templating import TemplateError

        try:
            return commands_for(ctx.inventory, p.host)
        except TemplateError as e:
            raise StepFailed(f"fence: {e}") from None

    def describe(self, ctx: RunContext, p: FenceAction, plan: list[str]) -> Outcome:
        if not plan:
            return Outcome("dry-run", f"would mark {p.host} demoted (no `fence:` commands)")
        return Outcome("dry-run", f"would run on {p.host} and mark it demoted: "
                                  + "; ".join(plan))

    def apply(self, ctx: RunContext, p: FenceAction, plan: list[str]) -> Outcome:
        from failover.engine.fence import demote, fence_host

        with ctx.change("fence", p.host, "; ".join(plan) or "demoted mark") as change:
            result = fence_host(ctx.inventory, p.host,
                                unanswered=ctx.ssh_unanswered.get(p.host))
            change.end("done" if result.fenced else "failed", result.detail)
        ctx.save_state(demote(ctx.state, p.host, result, now=ctx.clock(),
                              why=f"lost the site in run {ctx.run_id}", run_id=ctx.run_id))
        ctx.record("fence", run_id=ctx.run_id, host=p.host, fenced=result.fenced,
                   detail=result.detail, commands=result.lines)
        detail = f"{p.host} demoted; {result.detail}"
        if not result.fenced and ctx.notices is not None:  # people hear of it (fencing_failed)
            from failover.notify.events import fencing_failed

            ctx.notices.post(fencing_failed(ctx.inventory, p.host, result.detail,
                                            ctx.run_id, result.lines))
        return Outcome("ok" if result.fenced else "warning", detail, lines=result.lines)
