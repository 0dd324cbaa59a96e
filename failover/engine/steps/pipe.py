"""`pipe: {from: {host, command}, to: {host, command}}`: one host's command's stdout streamed
into another's stdin through the orchestrator (sync/pipe.py does the streaming and words the
outcome; its contract is there)."""

from __future__ import annotations

from failover.engine.context import RunContext
from failover.engine.outcome import Outcome
from failover.engine.steps.base import Action, known_host
from failover.model.playbook import PipeAction


class PipeStep(Action[PipeAction, None]):
    key = "pipe"

    def validate(self, ctx: RunContext, p: PipeAction) -> None:
        known_host(ctx, p.from_.host, "pipe.from.host")
        known_host(ctx, p.to.host, "pipe.to.host")

    def plan(self, ctx: RunContext, p: PipeAction) -> None:
        return None

    def describe(self, ctx: RunContext, p: PipeAction, plan: None) -> Outcome:
        from failover.sync.pipe import pipe_step

        return pipe_step(ctx, p)  # a dry run: "would stream ..."

    def apply(self, ctx: RunContext, p: PipeAction, plan: None) -> Outcome:
        from failover.sync.pipe import _line, pipe_step
        from failover.sync.ssh import _program

        # the command is named by its program only: an argument may carry a secret
        what = f"{p.from_.host} ({_program(_line(p.from_.command))})"
        with ctx.change("pipe", p.to.host, what):
            return pipe_step(ctx, p)
