"""Run a playbook: render each step, run it, journal it; on failure run `rescue`.

Contract:
- Every variable a playbook uses is checked before the first step runs (undefined = ConfigError),
  so a typo never leaves a half-done change.
- A failing step without `ignore_errors` stops the steps and runs `rescue` (each rescue step is
  tried even if an earlier one fails); the journal says `failed` or `rescued` (Journal.failed).
- HostKeyMismatch, and a push that left the target behind the mirror (TargetBehind), stop the
  run whatever `ignore_errors` says; rescue still runs.
- Ctrl-C or SIGTERM marks the journal `interrupted`, makes the state true, tells the team if DNS
  moved (engine/interrupted.py) and raises Interrupted carrying what the run had changed.
- `resume=` continues an interrupted run from its journal (engine/resume.py).
- The URL and header values of every `webhook:` step are registered as secrets (failover.redact)
  before the run writes anything, so neither its journal nor the audit log ever holds them,
  whatever refers to them; and they record the run's own variables (from, to, site, run_id),
  not the inventory's `vars:`.
- Dry runs change nothing anywhere: no state, no journal, no audit lines of changes.
- A failover or failback run tells the notify channels it started and how it ended, without
  waiting for them (engine/announce.py).
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from pathlib import Path

from failover.engine.announce import announce_end, announce_start
from failover.engine.context import RunContext
from failover.engine.interrupted import wrap_up
from failover.engine.journal import Journal, StepRecord, new_run_id
from failover.engine.steps.registry import action_for
from failover.errors import (
    ConfigError,
    FailoverError,
    HostKeyMismatch,
    Interrupted,
    Reason,
    StepFailed,
    TargetBehind,
)
from failover.interrupt import checkpoint, handled
from failover.model.playbook import Playbook, Step, WebhookAction
from failover.model.state import LastRun
from failover.model.templating import TemplateError, names_in, render, step_variables
from failover.redact import register

log = logging.getLogger(__name__)


def check_variables(playbook: Playbook, path: Path, run_vars: dict[str, str],
                    host_vars: Mapping[str, Mapping[str, str]]) -> None:
    reasons = []
    for phase in ("steps", "rescue"):
        for i, step in enumerate(getattr(playbook, phase)):
            try:
                variables = step_variables(step, run_vars, host_vars)
                for name, text in names_in(step):
                    if name not in variables:
                        reasons.append(Reason(str(path), None, None, f"{phase}[{i}]",
                                              f"undefined variable {name!r} in {text!r}; "
                                              f"defined: {', '.join(sorted(variables))}"))
            except TemplateError as e:
                reasons.append(Reason(str(path), None, None, f"{phase}[{i}]", str(e)))
    if reasons:
        raise ConfigError(reasons)


class Runner:
    def __init__(self, ctx: RunContext, playbook: Playbook, path: Path,
                 variables: dict[str, str], *, name: str = "",
                 resume: Journal | None = None) -> None:
        from failover.engine.resume import first_undone, restore_dns_record

        self.ctx = ctx
        self.playbook = playbook
        self.name = name or str(path)
        self.before = ctx.state.active  # what DNS pointed at when the run began
        self.start = 0
        now = ctx.clock()
        if resume is None:
            run_id = new_run_id(now)
            # the journal and the audit keep the run's own values; the inventory's `vars:` stay
            # in the inventory (one may be a webhook URL or a password for a command)
            recorded = {**variables, "site": ctx.inventory.site, "run_id": run_id}
            if ctx.inventory.service:  # the service it moves: {{ service }}, resume, report
                recorded["service"] = ctx.inventory.service
        else:
            run_id, recorded = resume.id, dict(resume.variables)
        self.variables = {**ctx.inventory.vars, **recorded}
        ctx.run_id = run_id
        self.host_vars = {name: host.vars for name, host in ctx.inventory.hosts.items()}
        check_variables(playbook, path, self.variables, self.host_vars)
        self._register_webhooks()
        runs = ctx.inventory.state_dir / "runs"
        if resume is None:
            self.journal = Journal(id=run_id, playbook=str(path), title=playbook.name,
                                   variables=recorded, dry_run=ctx.dry_run,
                                   who=ctx.audit.who, started_at=now,
                                   path=None if ctx.dry_run else runs / f"{run_id}.json")
        else:
            self.journal = resume
            resume.status, resume.error, resume.finished_at = "running", None, None
            ctx.resumed = True
            restore_dns_record(ctx, resume)
            self.before = ctx.active_before_flip or self.variables.get("from")
            self.start = first_undone(resume)
        if not ctx.dry_run:
            self.journal.mirror = ctx.store.save_journal

    def _register_webhooks(self) -> None:
        for step in [*self.playbook.steps, *self.playbook.rescue]:
            if step.action == "webhook":
                try:
                    rendered = render(step.params, step_variables(step, self.variables,
                                                                  self.host_vars))
                except TemplateError:
                    continue  # check_variables has said what is wrong with it
                if isinstance(rendered, WebhookAction):
                    register(rendered.url)
                    for value in rendered.headers.values():  # tokens, like the URL's
                        register(value)

    def run(self) -> Journal:
        ctx, j = self.ctx, self.journal
        total = len(self.playbook.steps)
        if self.start >= total:  # it died after its last step, before its end was written
            ctx.emit(f"run {j.id}: {j.title}: all {total} steps were done before the "
                     "interruption; closing the run")
            self._audit("run_resume", playbook=j.playbook, from_step=self.start + 1)
        elif self.start:
            ctx.emit(f"run {j.id}: {j.title}: continuing at step {self.start + 1}/{total} "
                     "(the interrupted run did the steps before it)")
            self._audit("run_resume", playbook=j.playbook, from_step=self.start + 1)
        else:
            dry = " (dry run: nothing will change)" if ctx.dry_run else ""
            ctx.emit(f"run {j.id}: {j.title}{dry}")
            self._audit("run_start", playbook=j.playbook, variables=j.variables)
        j.save()
        announce_start(ctx, self.name, j, resumed=bool(self.start))
        self._connect_early()
        interrupted: KeyboardInterrupt | None = None
        try:
            failure = self._phase("steps", self.playbook.steps, self.start)
            if failure is not None:
                j.error = str(failure)
                if self.playbook.rescue:
                    ctx.emit(f"step failed: {failure}; running rescue")
                    self._phase("rescue", self.playbook.rescue)
                    j.status = "rescued"
                else:
                    j.status = "failed"
            else:
                j.status = "dry-run" if ctx.dry_run else "ok"
        except KeyboardInterrupt as exc:  # Ctrl-C, or SIGTERM (failover.interrupt.Terminated)
            handled()
            j.status, interrupted = "interrupted", exc
        finally:
            self._close()
        if interrupted is not None:
            if ctx.dry_run:
                raise Interrupted("interrupted during a dry run; nothing changed",
                                  nothing_changed=True) from None
            report = wrap_up(ctx, j, interrupted, playbook=self.name,
                             steps=self.playbook.steps, before=self.before)
            raise Interrupted(f"interrupted; journal {j.path}", report=report) from None
        return j

    def abandon(self) -> Journal:
        """Give up on an unfinished run (`failover resume --abandon`): run its rescue steps,
        which put back what it changed (the DNS changes its journal records), and close it."""
        ctx, j = self.ctx, self.journal
        ctx.emit(f"run {j.id}: {j.title}: abandoned; running its rescue steps")
        self._audit("run_abandon", playbook=j.playbook)
        j.error = "abandoned by a person (failover resume --abandon)"
        try:
            self._phase("rescue", self.playbook.rescue)
            j.status = "abandoned"
        finally:
            self._close()
        return j

    def _close(self) -> None:
        """The run's end, whatever it was: connections closed, the journal, audit and state."""
        ctx, j = self.ctx, self.journal
        for master in ctx.ssh_masters.values():
            master.close()
        ctx.ssh_masters.clear()
        j.finished_at = ctx.clock()
        j.save()
        self._audit("run_end", status=j.status, error=j.error)
        if not ctx.dry_run:
            last = LastRun.parse({
                "id": j.id, "playbook": j.title, "status": j.status,
                "started_at": j.started_at, "finished_at": j.finished_at,
                "from": self.variables.get("from"), "to": self.variables.get("to")})
            ctx.save_state(ctx.state.replace(last_run=last))
        announce_end(ctx, self.name, j)

    def _connect_early(self) -> None:
        """Start the ssh connections the sync steps will use (rsync transport), in the
        background: each handshake overlaps the steps before its step. Nothing is trusted
        because of it: host keys are checked as on any connection, and a step whose
        connection failed reports that failure itself. Not to a host whose SSH gave no answer
        in the round that started this run."""
        from failover.remote.openssh import SshMaster
        from failover.remote.ssh import ssh_target

        ctx = self.ctx
        for step in self.playbook.steps:
            if step.action != "sync":
                continue
            try:
                params = render(step.params, step_variables(step, self.variables, self.host_vars))
                if ctx.inventory.sync_set(params.set).transport == "sftp":
                    continue
                for host in (params.from_, params.to):
                    if host and host not in ctx.ssh_masters and \
                            host not in ctx.ssh_unanswered and host in ctx.inventory.hosts:
                        ctx.ssh_masters[host] = SshMaster(ssh_target(ctx.inventory, host))
            except (TemplateError, FailoverError, KeyError):
                continue  # the step itself says what is wrong with it

    def _audit(self, event: str, **fields: object) -> None:
        self.ctx.record(event, run_id=self.journal.id, **fields)

    def _phase(self, phase: str, steps_: list[Step], start: int = 0) -> FailoverError | None:
        """Run steps in order from `start`. Returns the failure that stops the phase (never in
        rescue)."""
        ctx = self.ctx
        for i, step in enumerate(steps_):
            if i < start:
                continue
            checkpoint()
            rec = StepRecord(index=i, phase=phase, name=step.title, action=step.action,
                             started_at=ctx.clock())
            self.journal.steps.append(rec)
            self.journal.save()
            prefix = f"[{'rescue ' if phase == 'rescue' else ''}{i + 1}/{len(steps_)}]"
            try:
                params = render(step.params, step_variables(step, self.variables,
                                                            self.host_vars))
                action = action_for(step.action)
                out = action.undo(ctx, params) if phase == "rescue" else action.run(ctx, params)
                rec.status, rec.detail, rec.lines, rec.data = (out.status, out.detail, out.lines,
                                                               out.data)
            except TemplateError as e:
                rec.status, rec.detail = "failed", str(e)
            except FailoverError as e:
                rec.status, rec.detail = "failed", str(e)
                if isinstance(e, HostKeyMismatch | TargetBehind) and phase == "steps":
                    self._finish(rec, prefix, step)
                    return e
            rec.finished_at = ctx.clock()
            if rec.status == "failed" and step.ignore_errors:
                rec.status = "ignored"
            self._finish(rec, prefix, step)
            if rec.status == "failed" and phase == "steps":
                return StepFailed(f"step {i + 1} ({step.title}): {rec.detail}")
        return None

    def _finish(self, rec: StepRecord, prefix: str, step: Step) -> None:
        rec.finished_at = rec.finished_at or self.ctx.clock()
        took = rec.finished_at - rec.started_at
        self.ctx.emit(f"{prefix} {step.title}: {rec.status.upper()} ({took:.1f}s)"
                      + (f" - {rec.detail}" if rec.detail else ""))
        for line in rec.lines:
            self.ctx.emit(f"      {line}")
        self._audit("step", phase=rec.phase, index=rec.index, name=rec.name, action=rec.action,
                    status=rec.status, detail=rec.detail, data=rec.data)
        self.journal.save()
