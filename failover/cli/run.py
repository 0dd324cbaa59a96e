"""`failover run PLAYBOOK`, and its shorthands `failover failover` / `failover failback`."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from typing import TYPE_CHECKING, Any

import click

from failover.cli import complete
from failover.cli.app import ALLOW_DELETES_HELP, App
from failover.cli.interrupted import until_changes
from failover.cli.report import run_timeline
from failover.engine.active import run_target
from failover.errors import UsageError

if TYPE_CHECKING:
    from failover.engine.context import RunContext


def _options(f: Callable[..., Any]) -> Callable[..., Any]:
    for opt in reversed([
        click.option("--to", "to", metavar="HOST", help="The host to move the site to.",
                     shell_complete=complete.hosts),
        click.option("--dry-run", is_flag=True, help="Change nothing; print what would change."),
        click.option("--yes", "-y", is_flag=True, help="Do not ask (required without a terminal)."),
        click.option("--wait", default=60.0, show_default=True, metavar="SECONDS",
                     help="How long to wait for another run's lock."),
        click.option("--accept-stale", is_flag=True,
                     help="Promote a standby even if its content is older than max_age."),
        click.option("--allow-deletes", "allow_deletes", type=click.IntRange(min=0),
                     metavar="N", help=ALLOW_DELETES_HELP),
    ]):
        f = opt(f)
    return f


def _execute(app: App, playbook: str, to: str | None, dry_run: bool, yes: bool,
             wait: float, accept_stale: bool = False, allow_deletes: int | None = None) -> bool:
    """Run (or continue) `playbook`; Ctrl-C before its first change is "nothing changed"."""
    runs: list[RunContext] = []
    with until_changes(lambda: any(c.effects.changes or c.dns_applied for c in runs)):
        return _run(app, playbook, to, dry_run, yes, wait, accept_stale, allow_deletes, runs)


def _run(app: App, playbook: str, to: str | None, dry_run: bool, yes: bool, wait: float,
         accept_stale: bool, allow_deletes: int | None, runs: list[RunContext]) -> bool:
    from failover.engine.context import RunContext
    from failover.engine.monitor import playbook_path, run_playbook
    from failover.engine.resume import continuable, first_undone
    from failover.report.incidents import timeline_json
    from failover.report.text import timeline_lines

    inv = app.inventory
    hosts = list(inv.hosts)
    if to is not None and to not in inv.hosts:
        raise UsageError(f"--to: unknown host {to!r}; hosts: {', '.join(hosts)}")

    def go() -> bool:
        state = app.resolve_active(app.store.load())
        active = state.active
        assert active is not None
        # interrupted after it moved DNS: the same command continues that run (engine/resume.py)
        resume = continuable(inv, state, playbook_path(inv, playbook), to)
        if resume is not None:
            source, target = resume.variables["from"], resume.variables["to"]
            step = first_undone(resume) + 1
            question = (f"Continue run {resume.id} of playbook {playbook!r} for {inv.site} "
                        f"({source} -> {target}; DNS already moved) from step {step}?")
            if dry_run:
                resume = replace(resume, path=None, steps=list(resume.steps))
        else:
            source, target = active, run_target(inv, playbook, active, to)
            question = (f"Run playbook {playbook!r} for {inv.site}: {active} -> {target}? "
                        "This changes DNS and hosts.")
        if not dry_run:
            app.confirm(question, yes)
        ctx = RunContext(inventory=inv, store=app.store, audit=app.audit, state=state,
                         dry_run=dry_run, emit=app.progress, clock=app.clock,
                         accept_stale=accept_stale, allow_deletes=allow_deletes)
        runs.append(ctx)
        journal = run_playbook(ctx, playbook, {"from": source, "to": target}, resume)
        timeline = [] if dry_run else run_timeline(app, journal.id)
        if app.json:
            app.print_json({"run": journal.to_json(), "active": ctx.state.active,
                            "timeline": timeline_json(timeline)})
            return not journal.failed
        for line in timeline_lines(timeline):
            app.out(line)
        if journal.failed:
            app.out(f"FAILED: run {journal.id} {journal.status}: {journal.error}; "
                    f"active host: {ctx.state.active}")
        else:
            verdict = "dry run done: nothing changed" if dry_run else "done"
            app.out(f"{verdict}: run {journal.id}; active host: {ctx.state.active}")
        return not journal.failed

    if dry_run:
        return go()
    with app.store.lock(wait):
        return go()


@click.command("run")
@click.argument("playbook", shell_complete=complete.playbooks)
@_options
@click.pass_obj
def run_cmd(app: App, playbook: str, to: str | None, dry_run: bool, yes: bool, wait: float,
            accept_stale: bool, allow_deletes: int | None) -> bool:
    """Run PLAYBOOK (a name from the inventory's playbooks, or a file)."""
    return _execute(app, playbook, to, dry_run, yes, wait, accept_stale, allow_deletes)


@click.command("failover")
@_options
@click.pass_obj
def failover_cmd(app: App, to: str | None, dry_run: bool, yes: bool, wait: float,
                 accept_stale: bool, allow_deletes: int | None) -> bool:
    """Run the failover playbook: move the site to a standby (default: the first one)."""
    return _execute(app, "failover", to, dry_run, yes, wait, accept_stale, allow_deletes)


@click.command("failback")
@_options
@click.pass_obj
def failback_cmd(app: App, to: str | None, dry_run: bool, yes: bool, wait: float,
                 accept_stale: bool, allow_deletes: int | None) -> bool:
    """Run the failback playbook: move the site back to its preferred host (policy.preferred,
    else the first host); exit 2 when it is already there."""
    return _execute(app, "failback", to, dry_run, yes, wait, accept_stale, allow_deletes)


COMMANDS = [run_cmd, failover_cmd, failback_cmd]
