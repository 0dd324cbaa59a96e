"""`notify: {message: ...}`: tell the team on every notify channel of the inventory.

A message that reaches no channel is a warning, not a failure: the site has moved either way,
and a failing notification must not trigger the rescue that moves it back.
"""

from __future__ import annotations

from failover.engine.context import RunContext
from failover.engine.outcome import Outcome
from failover.engine.steps.base import Action
from failover.model.playbook import NotifyAction


class NotifyStep(Action[NotifyAction, None]):
    key = "notify"

    def plan(self, ctx: RunContext, p: NotifyAction) -> None:
        return None

    def describe(self, ctx: RunContext, p: NotifyAction, plan: None) -> Outcome:
        channels = len(ctx.inventory.notify)
        return Outcome("dry-run", f"would notify {channels} channel(s): {p.message}")

    def apply(self, ctx: RunContext, p: NotifyAction, plan: None) -> Outcome:
        import hashlib

        from failover.notify import send_all

        message = f"{p.message} (resumed after an interruption)" if ctx.resumed else p.message
        # one id per run and message, the same when a resumed run sends it again
        notice_id = f"{ctx.run_id}:{hashlib.sha256(p.message.encode()).hexdigest()[:12]}"
        note = ctx.begin("notify", "", message)
        failures = send_all(ctx.inventory, message, notice_id=notice_id)
        if failures:
            note.end("failed", "not delivered: " + "; ".join(failures))
            return Outcome("warning", "not delivered: " + "; ".join(failures))
        note.end("done")
        return Outcome(detail=f"sent to {len(ctx.inventory.notify)} channel(s): {message}")
