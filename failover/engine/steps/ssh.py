"""`ssh: {host: H, command: ..., timeout: 5m}`: one command on a host, over SSH (strict host keys).

Fails when the command exits non-zero; its last output lines go to the step's lines. Safe to
repeat as far as the command is (`systemctl start` is): that is the playbook author's part.
"""

from __future__ import annotations

from failover.engine.context import RunContext
from failover.engine.outcome import Outcome
from failover.engine.steps.base import Action, known_host
from failover.errors import StepFailed
from failover.model.playbook import SshAction


class SshStep(Action[SshAction, str]):
    key = "ssh"

    def validate(self, ctx: RunContext, p: SshAction) -> None:
        known_host(ctx, p.host, "ssh.host")

    def plan(self, ctx: RunContext, p: SshAction) -> str:
        """The command line as shown to a person."""
        return p.command if isinstance(p.command, str) else " ".join(p.command)

    def describe(self, ctx: RunContext, p: SshAction, plan: str) -> Outcome:
        return Outcome("dry-run", f"would run on {p.host}: {plan}")

    def apply(self, ctx: RunContext, p: SshAction, plan: str) -> Outcome:
        from failover.remote.ssh import run_command, ssh_target

        with ctx.change("command", p.host, plan) as command:
            result = run_command(ssh_target(ctx.inventory, p.host), p.command, timeout=p.timeout)
            tail = (result.stdout + result.stderr).strip().splitlines()[-10:]
            command.end("done" if result.exit_status == 0 else "failed",
                        f"exit {result.exit_status}")
        if result.exit_status != 0:
            raise StepFailed(f"on {p.host}: `{plan}` exited {result.exit_status}"
                             + (f": {tail[-1]}" if tail else ""))
        return Outcome(detail=f"ran on {p.host}: {plan}", lines=tail)
