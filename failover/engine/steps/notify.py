"""`notify: {message: ...}`: tell the team on every notify channel that hears `notify`.

A message that reaches no channel is a warning, not a failure: the site has moved either way,
and a failing notification must not trigger the rescue that moves it back. In a run whose events
are told (a failover or failback run: ctx.notices) the step waits only for each channel's first
attempt; a channel that failed is retried in the background until the run's end, and then owed
to the next `check` round (notify/dispatch.py). Elsewhere it sends and waits (notify.send_all).
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
        from failover.notify import channels_for

        channels = channels_for(ctx.inventory, "notify")
        return Outcome("dry-run", f"would notify {channels} channel(s): {p.message}")

    def apply(self, ctx: RunContext, p: NotifyAction, plan: None) -> Outcome:
        import hashlib

        from failover.notify import channels_for, send_all
        from failover.notify.base import Notice

        message = f"{p.message} (resumed after an interruption)" if ctx.resumed else p.message
        # one id per run and message, the same when a resumed run sends it again
        notice_id = f"{ctx.run_id}:{hashlib.sha256(p.message.encode()).hexdigest()[:12]}"
        note = ctx.begin("notify", "", message)
        channels = channels_for(ctx.inventory, "notify")
        if ctx.notices is not None:
            deliveries = ctx.notices.post(Notice(message, ctx.inventory.site, "notify",
                                                 notice_id))
            ctx.notices.wait_first(deliveries)
            failures = [d.error for d in deliveries if not d.ok]  # each names its channel
            later = "; retried until the run ends, then owed to the next check round"
        else:
            failures = send_all(ctx.inventory, message, notice_id=notice_id, audit=ctx.audit)
            later = "; owed to the next check round"
        if failures:
            note.end("failed", "not delivered: " + "; ".join(failures))
            return Outcome("warning", "not delivered: " + "; ".join(failures) + later)
        note.end("done")
        return Outcome(detail=f"sent to {channels} channel(s): {message}")
