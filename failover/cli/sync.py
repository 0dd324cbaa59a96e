"""`failover sync [SET...]`: refresh the mirrors from the active host, push them to the standbys.

Cron runs it every few minutes (`--yes`; quiet unless something changed or failed); on a
terminal it shows a progress line per transfer (files, bytes, rate). `--rollback SET --host H`
re-points H's `current` release of SET to the previous one.
"""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING

import click

from failover.cli import complete
from failover.cli.app import ALLOW_DELETES_HELP, App
from failover.cli.interrupted import until_changes
from failover.engine.effects import RUNNING, Change, InterruptReport, facts
from failover.errors import Interrupted, UsageError
from failover.interrupt import handled, signal_name
from failover.model.inventory import Inventory

if TYPE_CHECKING:
    from failover.sync.cycle import SyncRun


def _size(n: float) -> str:
    for unit in ("B", "kB", "MB", "GB"):
        if n < 1000 or unit == "GB":
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1000
    return f"{n:.1f} GB"


@click.command("sync")
@click.argument("sets", nargs=-1, metavar="[SET]...", shell_complete=complete.sync_sets)
@click.option("--dry-run", is_flag=True, help="Change nothing; print the itemized changes.")
@click.option("--yes", "-y", is_flag=True, help="Do not ask (required without a terminal).")
@click.option("--from", "source", metavar="HOST", shell_complete=complete.hosts,
              help="Pull from HOST instead of the active host.")
@click.option("--to", "targets", metavar="HOST", multiple=True, shell_complete=complete.hosts,
              help="Push only to HOST (repeatable); the only way to push to the active host.")
@click.option("--rollback", "rollback", metavar="SET", shell_complete=complete.sync_sets,
              help="Put the previous release of SET live on --host (atomic sets).")
@click.option("--host", "host", metavar="HOST", help="The host for --rollback.",
              shell_complete=complete.hosts)
@click.option("--wait", default=60.0, show_default=True, metavar="SECONDS",
              help="How long to wait for another run's lock.")
@click.option("--allow-deletes", "allow_deletes", type=click.IntRange(min=0), metavar="N",
              help=ALLOW_DELETES_HELP)
@click.pass_obj
def sync_cmd(app: App, sets: tuple[str, ...], dry_run: bool, yes: bool, source: str | None,
             targets: tuple[str, ...], rollback: str | None, host: str | None,
             wait: float, allow_deletes: int | None) -> bool:
    """Pull the active host's content into the mirror and push it to every standby."""
    if rollback:
        if allow_deletes is not None:
            raise UsageError("--allow-deletes goes with a sync; --rollback deletes nothing")
        return _rollback(app, rollback, host, yes, dry_run, wait)
    if host:
        raise UsageError("--host goes with --rollback SET; to choose targets use --to HOST")
    runs: list[SyncRun] = []
    with until_changes(lambda: any(r.transfers for r in runs)):
        ok = True
        for unit, chosen in _services(app, sets):  # each from its own active host
            ok = _sync(unit, chosen, dry_run, yes, source, targets, wait, allow_deletes,
                       runs) and ok
        return ok


def _services(app: App, sets: tuple[str, ...]) -> list[tuple[App, tuple[str, ...]]]:
    """With `services:` and no --service: every service that has sets (of those named, if
    any), each synced from its own active host to its own standbys. Else: this App's."""
    if app.service is not None or not app.site.services:
        return [(app, sets)]
    units = []
    known = set()
    for name in app.site.services:
        unit = app.for_service(name)
        mine = [s.name for s in unit.inventory.sync]
        known.update(mine)
        chosen = tuple(s for s in sets if s in mine)
        if mine and (chosen or not sets):
            units.append((unit, chosen))
    if any(s not in known for s in sets) or not units:  # the first service says what is wrong
        return [(app, sets)]
    return units


def _sync(app: App, sets: tuple[str, ...], dry_run: bool, yes: bool, source: str | None,
          targets: tuple[str, ...], wait: float, allow_deletes: int | None,
          runs: list[SyncRun]) -> bool:
    from failover.sync.cycle import SyncRun, plan_sync, record, run_sync

    inv = app.inventory
    override = {} if allow_deletes is None else {"allow_deletes": allow_deletes}

    def go() -> bool:
        state = app.resolve_active(app.store.load())
        assert state.active is not None
        plan = plan_sync(inv, state.active, list(sets), source, list(targets) or None)
        if not dry_run:
            app.confirm(f"Sync {', '.join(plan.sets)} from {plan.source} to "
                        f"{', '.join(plan.targets)}?", yes)
        started = app.clock()
        tty = sys.stdout.isatty() and not app.json
        run = SyncRun(plan)
        runs.append(run)
        try:
            run_sync(inv, plan, dry_run=dry_run, run=run, allow_deletes=allow_deletes,
                     on_transfer=(lambda t: app.progress(_line(t, dry_run))) if tty else None)
        except KeyboardInterrupt as exc:  # Ctrl-C or SIGTERM: keep and tell what was done
            handled()
            if dry_run:
                raise Interrupted("interrupted during a dry run; nothing changed",
                                  nothing_changed=True) from None
            record(app.store, app.audit, state, run, started, interrupted=True, **override)
            report = interrupt_report(inv, run, exc)
            app.audit.write("sync_interrupted", signal=report.signal, facts=report.facts)
            raise Interrupted("sync interrupted", report=report) from None
        if not dry_run:
            record(app.store, app.audit, state, run, started, interrupted=False, **override)
        if app.json:
            app.print_json({"ok": run.ok, "dry_run": dry_run, "source": plan.source,
                            "targets": plan.targets,
                            "transfers": [t.to_json() for t in run.transfers]})
        else:
            changed = any(t.report and t.report.changed for t in run.transfers)
            for t in run.transfers:
                if not tty and (dry_run or changed or not run.ok):  # cron: quiet when idle
                    app.out(_line(t, dry_run))
                if (dry_run or (tty and app.verbosity)) and t.report:
                    for line in t.report.lines():
                        app.out(f"    {line}")
        return run.ok

    if dry_run:
        return go()
    with app.store.lock(wait):
        return go()


def interrupt_report(inv: Inventory, run: SyncRun, exc: BaseException) -> InterruptReport:
    """What an interrupted sync had done, transfer by transfer (engine/effects.py sentences)."""
    changes = []
    for t in run.transfers:
        change = Change(t.direction, t.host, t.set)
        if t.done and t.error:
            change.end("failed", t.error)
        elif t.done:
            change.end("changed" if t.report and t.report.changed else "unchanged")
        changes.append(change)
    cut = [c for c in changes if c.status == RUNNING]
    where = " and ".join(f"the {c.kind} of {c.what} {'from' if c.kind == 'pull' else 'to'} "
                         f"{c.host}" for c in cut)
    atomic = {s.name for s in inv.sync if s.atomic}
    return InterruptReport(
        title="sync", where=f"during {where}" if where else "between two transfers",
        signal=signal_name(exc), facts=facts(changes, run.plan.targets),
        rollback=[(c.what, c.host) for c in changes
                  if c.kind == "push" and c.status == "changed" and c.what in atomic])


def _line(t: object, dry_run: bool) -> str:
    """One transfer on one line; a dry run's says what it would do, and moves nothing."""
    from failover.sync.cycle import Transfer
    from failover.sync.report import REPLICATION

    assert isinstance(t, Transfer)
    arrow = f"{t.host} -> mirror" if t.direction == "pull" else f"mirror -> {t.host}"
    if t.error:
        return f"{t.direction} {t.set} {arrow}: {'dry run ' if dry_run else ''}FAILED: {t.error}"
    r = t.report
    assert r is not None
    if r.transport == REPLICATION:  # a replica: what its check found
        return f"{t.direction} {t.set} {arrow} via replication: {'; '.join(r.warnings)}"
    via = f" via {r.transport}" if r.transport != "rsync" else ""
    kind = "tables: " if r.is_dump else ""
    if dry_run:
        return f"would {t.direction} {t.set} {arrow}{via}: {kind}" + \
            (r.counts() if r.changed else "no changes")
    moved = r.bytes_received if t.direction == "pull" else r.bytes_sent
    rate = moved / t.seconds if t.seconds > 0 else 0.0
    what = r.summary().split(": ", 1)[-1]
    units = "1 dump" if r.is_dump else f"{r.files_transferred} files"
    return (f"{t.direction} {t.set} {arrow}{via}: {kind}{what}; {units}, "
            f"{_size(moved)} in {t.seconds:.1f}s ({_size(rate)}/s)")


def _rollback(app: App, set_name: str, host: str | None, yes: bool, dry_run: bool,
              wait: float) -> bool:
    from failover.sync.rollback import roll_back

    done = roll_back(app.inventory, app.store, app.audit, set_name, host, dry_run=dry_run,
                     confirm=lambda question: app.confirm(question, yes), wait=wait)
    if app.json and not done.dry_run:
        app.print_json({"set": done.set, "host": done.host, "from": done.old, "to": done.new})
    else:
        app.out(done.describe())
    return True


COMMANDS = [sync_cmd]
