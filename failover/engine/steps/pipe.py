"""`pipe: {from: {host, command}, to: {host, command}}`: one host's command's stdout streamed
into another's stdin through the orchestrator (remote/pipe.py streams; its contract is there).

Contract of the step: it fails (StepFailed) when either side exits non-zero or is killed, when
the sink stops reading before the source is done, or when the whole stream exceeds `timeout`.
The byte count goes to the step's data (and so to the audit log); commands are named by their
program only, since an argument may carry a secret. Safe to repeat only as far as the commands
are (`mysql < dump` replaces tables: it is).
"""

from __future__ import annotations

from failover.engine.context import RunContext
from failover.engine.outcome import Outcome
from failover.engine.steps.base import Action, known_host
from failover.errors import StepFailed
from failover.model.playbook import PipeAction


def _named(command: str | list[str]) -> str:
    """A command by its program only: an argument may carry a secret."""
    from failover.remote.ssh import command_line, program_name  # paramiko: only when piping

    return program_name(command_line(command))


def _what(p: PipeAction) -> str:
    return f"{p.from_.host} ({_named(p.from_.command)}) into {p.to.host} ({_named(p.to.command)})"


class PipeStep(Action[PipeAction, None]):
    key = "pipe"

    def validate(self, ctx: RunContext, p: PipeAction) -> None:
        known_host(ctx, p.from_.host, "pipe.from.host")
        known_host(ctx, p.to.host, "pipe.to.host")

    def plan(self, ctx: RunContext, p: PipeAction) -> None:
        return None

    def describe(self, ctx: RunContext, p: PipeAction, plan: None) -> Outcome:
        home = (f" (failback: bringing home what {p.from_.host} wrote while it was active)"
                if p.failback else "")
        return Outcome("dry-run", f"would stream {_what(p)}{home}")

    def apply(self, ctx: RunContext, p: PipeAction, plan: None) -> Outcome:
        from failover.remote.pipe import pipe
        from failover.remote.ssh import command_line, ssh_target

        what = _what(p)
        with ctx.change("pipe", p.to.host, f"{p.from_.host} ({_named(p.from_.command)})"):
            result = pipe(ssh_target(ctx.inventory, p.from_.host), command_line(p.from_.command),
                          ssh_target(ctx.inventory, p.to.host), command_line(p.to.command),
                          p.timeout)
            if result.timed_out:
                raise StepFailed(f"pipe {what} did not finish within {p.timeout:g}s; both "
                                 "sessions were closed")
            if not result.ok:
                parts = []
                for side, status, err in (("source", result.source_status, result.source_stderr),
                                          ("sink", result.sink_status, result.sink_stderr)):
                    if status != 0:
                        tail = err.strip().splitlines()
                        why = "was stopped" if status == -1 else f"exited {status}"
                        parts.append(f"{side} {why}" + (f": {tail[-1]}" if tail else ""))
                raise StepFailed(f"pipe {what} failed after {result.bytes} bytes: "
                                 + "; ".join(parts))
            rate = result.bytes / result.seconds / 1e6 if result.seconds else 0.0
            data = {"bytes": result.bytes, "source_exit": result.source_status,
                    "sink_exit": result.sink_status, "seconds": round(result.seconds, 3)}
            return Outcome(detail=f"streamed {result.bytes} bytes from {what} ({rate:.1f} MB/s)",
                           data=data)
