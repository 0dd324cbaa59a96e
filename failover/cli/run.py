"""`failover run PLAYBOOK`, and its shorthands `failover failover` / `failover failback`."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import click

from failover.cli import complete
from failover.cli.app import ALLOW_DELETES_HELP, App
from failover.cli.interrupted import until_changes
from failover.cli.report import run_timeline
from failover.errors import UnsafePlan, UsageError

if TYPE_CHECKING:
    from failover.engine.context import RunContext
    from failover.engine.journal import Journal
    from failover.model.state import State


@dataclass(frozen=True)
class RunOptions:
    """The options every run command takes (click passes them as keywords)."""

    to: str | None = None
    dry_run: bool = False
    yes: bool = False
    wait: float = 60.0
    accept_stale: bool = False
    allow_deletes: int | None = None
    force: bool = False
    approve: str | None = None


def _options(f: Callable[..., Any]) -> Callable[..., Any]:
    for opt in reversed([
        click.option("--to", "to", metavar="HOST", help="The host to move the site to.",
                     shell_complete=complete.hosts),
        click.option("--dry-run", is_flag=True,
                     help="Change nothing; print what would change, and its plan id."),
        click.option("--yes", "-y", is_flag=True, help="Do not ask (required without a terminal)."),
        click.option("--wait", default=60.0, show_default=True, metavar="SECONDS",
                     help="How long to wait for another run's lock."),
        click.option("--accept-stale", is_flag=True,
                     help="Promote a standby even if its content is older than max_age."),
        click.option("--allow-deletes", "allow_deletes", type=click.IntRange(min=0),
                     metavar="N", help=ALLOW_DELETES_HELP),
        click.option("--force", is_flag=True,
                     help="Fail back before the host passed policy.recovery_threshold rounds "
                          "(audited)."),
        click.option("--approve", metavar="PLAN_ID",
                     help="Run only if the plan is still the one a dry run gave this id."),
    ]):
        f = opt(f)
    return f


def _execute(app: App, playbook: str, opts: RunOptions) -> bool:
    """Run (or continue) `playbook`; Ctrl-C before its first change is "nothing changed"."""
    runs: list[RunContext] = []
    with until_changes(lambda: any(c.effects.changes or c.dns_applied for c in runs)):
        return _run(app, playbook, opts, runs)


def _run(app: App, playbook: str, opts: RunOptions, runs: list[RunContext]) -> bool:
    from failover.engine.context import RunContext
    from failover.engine.monitor import playbook_path, run_playbook
    from failover.engine.resume import launch

    inv, to, dry_run = app.inventory, opts.to, opts.dry_run
    hosts = list(inv.hosts)
    if to is not None and to not in inv.hosts:
        raise UsageError(f"--to: unknown host {to!r}; hosts: {', '.join(hosts)}")
    if dry_run and opts.approve:
        raise UsageError("--approve runs an approved plan; a dry run gives the plan id")
    if opts.approve and not re.fullmatch(r"[0-9a-f]{16}", opts.approve):
        raise UsageError(f"--approve: {opts.approve!r} is not a plan id (16 hex digits, as "
                         "`--dry-run` prints it)")

    def context(state: State, dry: bool) -> RunContext:
        return RunContext(inventory=inv, store=app.store, audit=app.audit, state=state,
                          dry_run=dry, emit=app.progress, clock=app.clock,
                          accept_stale=opts.accept_stale, allow_deletes=opts.allow_deletes,
                          force=opts.force)

    def go(seen: str | None = None) -> bool:
        state = app.resolve_active(app.store.load())
        start = launch(inv, state, playbook, playbook_path(inv, playbook), to, seen=seen,
                      dry_run=dry_run)
        variables, resume = start.variables, start.resume
        if opts.approve:
            _still_approved(app, opts.approve, run_playbook(context(state, True), playbook,
                                                            variables, resume))
        if not dry_run:
            app.confirm(start.question, opts.yes)
        ctx = context(state, dry_run)
        runs.append(ctx)
        journal = run_playbook(ctx, playbook, variables, resume)
        return show_run(app, journal, ctx.state.active,
                        verdict="dry run done: nothing changed" if dry_run else "done",
                        plan=_plan(app, journal) if dry_run else None)

    if dry_run:
        return go()
    seen = app.store.load().active  # where the site was when the person asked
    with app.store.lock(opts.wait):
        return go(seen)


def show_run(app: App, journal: Journal, active: str | None, *, verdict: str,
             plan: dict[str, Any] | None = None) -> bool:
    """A finished run as every run command prints it: its timeline when it moved DNS, then the
    verdict (and a dry run's plan id); with --json, one document (with the messages still owed,
    as `status --json` has them: the run's WARNING lines went to stderr). True unless it
    failed."""
    from failover.report.incidents import timeline_json
    from failover.report.text import timeline_lines

    timeline = [] if journal.dry_run else run_timeline(app, journal.id)
    if app.json:
        doc = {"run": journal.to_json(), "active": active, "timeline": timeline_json(timeline),
               "notifications_owed": app.notifications_owed()}
        app.print_json(doc if plan is None else {**doc, **plan})
        return not journal.failed
    for line in timeline_lines(timeline):
        app.out(line)
    if journal.failed:
        app.out(f"FAILED: run {journal.id} {journal.status}: {journal.error}; "
                f"active host: {active}")
    else:
        app.out(f"{verdict}: run {journal.id}; active host: {active}")
    if plan is not None:
        app.out(f"plan id: {plan['plan_id']} (to run exactly this plan: --approve "
                f"{plan['plan_id']} instead of --dry-run)")
    return not journal.failed


def _plan(app: App, journal: Journal) -> dict[str, Any]:
    """The dry run's plan and its id, kept for a later --approve (engine/plan.py)."""
    from failover.engine.plan import keep, plan_of

    plan = plan_of(journal)
    return {"plan_id": keep(app.inventory.state_dir, plan), "plan": plan}


def _still_approved(app: App, approved: str, dry: Journal) -> None:
    """Stop before any change unless the plan now is the one approved (engine/plan.py)."""
    from failover.engine.plan import differences, kept, plan_id, plan_of

    plan = plan_of(dry)
    if plan_id(plan) == approved:
        app.out(f"plan {approved} approved: it is still the plan")
        return
    for line in differences(kept(app.inventory.state_dir, approved), plan):
        app.out(line)
    raise UnsafePlan(f"the plan changed since {approved} was approved; nothing changed (run "
                     "--dry-run again, and approve the new plan if it is right)")


@click.command("run")
@click.argument("playbook", shell_complete=complete.playbooks)
@_options
@click.pass_obj
def run_cmd(app: App, /, playbook: str, **opts: Any) -> bool:
    """Run PLAYBOOK (a name from the inventory's playbooks, or a file)."""
    return _execute(app, playbook, RunOptions(**opts))


@click.command("failover")
@_options
@click.pass_obj
def failover_cmd(app: App, /, **opts: Any) -> bool:
    """Run the failover playbook: move the site to a standby (default: the first one)."""
    return _execute(app, "failover", RunOptions(**opts))


@click.command("failback")
@_options
@click.pass_obj
def failback_cmd(app: App, /, **opts: Any) -> bool:
    """Run the failback playbook: move the site back to its preferred host (policy.preferred,
    else the first host); exit 2 when it is already there. Refused until the rounds have seen
    that host pass policy.recovery_threshold rounds in a row (--force overrides)."""
    return _execute(app, "failback", RunOptions(**opts))


COMMANDS = [run_cmd, failover_cmd, failback_cmd]
