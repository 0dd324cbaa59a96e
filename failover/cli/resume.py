"""`failover resume [RUN_ID] [--abandon]`: continue (or roll back) a run that died mid-way.

Without RUN_ID: the newest run, if it did not finish (engine/resume.py `unfinished`). It goes on
from the first step it did not finish, with the same variables (every step is safe to repeat);
`--abandon` runs its rescue steps instead (DNS put back as its journal records).
"""

from __future__ import annotations

import click

from failover.cli.app import App
from failover.errors import UsageError


@click.command()
@click.argument("run_id", required=False, metavar="[RUN_ID]")
@click.option("--abandon", is_flag=True, help="Run its rescue steps instead of continuing it.")
@click.option("--yes", "-y", is_flag=True, help="Do not ask (required without a terminal).")
@click.option("--wait", default=60.0, show_default=True, metavar="SECONDS",
              help="How long to wait for another run's lock.")
@click.pass_obj
def resume(app: App, run_id: str | None, abandon: bool, yes: bool, wait: float) -> bool:
    """Continue the run RUN_ID (default: the newest unfinished one) from its first unfinished
    step, or roll it back with --abandon."""
    from failover.cli.run import show_run
    from failover.engine.context import RunContext
    from failover.engine.monitor import playbook_path
    from failover.engine.resume import UNFINISHED, first_undone, journal_of, last_done, unfinished
    from failover.engine.runner import Runner

    inv = app.inventory
    with app.store.lock(wait):
        if inv.coordination is not None:  # a run another checker led: its journal is in etcd
            from failover.coord.backend import EtcdStateBackend
            from failover.coord.round import fetch_newest_run

            assert isinstance(app.site_store, EtcdStateBackend)
            fetch_newest_run(inv, app.site_store)
        journal = unfinished(inv, app.store) if run_id is None else journal_of(inv, run_id)
        if run_id is None and journal is None and app.service is None:  # another service's?
            units = [app.for_service(name) for name in inv.services if name != inv.service]
            journal = next((j for u in units if (j := unfinished(u.inventory, u.store))), None)
        service = journal.variables.get("service") if journal is not None else None
        if service and service != inv.service:  # a run moves one service: resume that one
            app = app.for_service(service)
            inv = app.inventory
        if journal is None:
            if run_id is not None:
                raise UsageError(f"RUN_ID: no run {run_id!r} in {inv.state_dir / 'runs'}")
            app.out("no unfinished run; nothing to resume")
            return True
        if journal.status not in UNFINISHED:
            raise UsageError(f"run {journal.id} is {journal.status}, not unfinished; nothing "
                             "to resume")
        v = journal.variables
        what = (f"run {journal.id} ({journal.title}: {v.get('from')} -> {v.get('to')}; last "
                f"completed step: {last_done(journal)})")
        if abandon:
            app.confirm(f"Abandon {what} and run its rescue steps?", yes)
        else:
            app.confirm(f"Continue {what} from step {first_undone(journal) + 1}?", yes)
        from failover.config import load_playbook

        path = playbook_path(inv, journal.playbook)
        ctx = RunContext(inventory=inv, store=app.store, audit=app.audit,
                         state=app.store.load(), emit=app.progress, clock=app.clock)
        runner = Runner(ctx, load_playbook(path, inv), path, dict(v), resume=journal)
        done = runner.abandon() if abandon else runner.run()
    return show_run(app, done, ctx.state.active, verdict=done.status)


COMMANDS = [resume]
