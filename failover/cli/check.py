"""`failover check`: one round, as cron runs it; exit status 0-3 for monitoring systems."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

from failover.cli.app import App, json_option
from failover.cli.render import round_json, round_table
from failover.engine.monitor import RoundOutcome
from failover.state.lock import RunLock

prom_file_option = click.option(
    "--prom-file", type=click.Path(dir_okay=False, path_type=Path), default=None,
    help="Also write the round's metrics in Prometheus text format to this file (atomically), "
         "for node_exporter's textfile collector.")


@click.command()
@click.option("--no-act", is_flag=True, help="Probe and decide, but change nothing.")
@click.option("--wait", default=60.0, show_default=True, metavar="SECONDS",
              help="How long to wait for another run's lock before giving up (exit 3).")
@prom_file_option
@json_option
@click.pass_obj
def check(app: App, no_act: bool, wait: float, prom_file: Path | None) -> int:
    """One round of every check on every host; act on the policy unless --no-act.

    Exit: 0 OK, 1 WARNING, 2 CRITICAL (active host down), 3 UNKNOWN.
    """
    outcome = one_round(app, no_act=no_act, wait=wait, prom_file=prom_file)
    if app.json:
        app.print_json(outcome_json(outcome))
    return int(outcome.decision.status)


def one_round(app: App, *, no_act: bool, wait: float, prom_file: Path | None) -> RoundOutcome:
    """Probe, decide and (unless no_act) act under the lock; print the human result.

    Shared by `check` and `watch`, so both make exactly the same decisions.
    """
    from failover.engine.monitor import act, assess

    inv = app.inventory
    if no_act:
        outcome = assess(inv, app.store, app.audit, app.resolve_active(app.store.load()),
                         record=False, clock=app.clock)
        _show(app, outcome, no_act=True)
    else:
        with RunLock(inv.state_dir / "lock", wait):
            outcome = assess(inv, app.store, app.audit, app.resolve_active(app.store.load()),
                             record=True, clock=app.clock)
            _show(app, outcome, no_act=False)
            act(outcome, inv, app.store, app.audit, emit=app.progress, clock=app.clock)
        _show_run(app, outcome)
    if prom_file is not None:
        from failover.metrics import write_prom_file

        write_prom_file(prom_file, outcome.report, outcome.state, list(inv.hosts),
                        int(outcome.decision.status))
    return outcome


def outcome_json(outcome: RoundOutcome) -> dict[str, Any]:
    d = outcome.decision
    return {
        "status": d.status.name, "exit_code": int(d.status), "active": outcome.state.active,
        "round": round_json(outcome.report), "decision": d.to_json(),
        "run": outcome.run.to_json() if outcome.run else None, "run_error": outcome.run_error,
    }


def _show(app: App, outcome: RoundOutcome, *, no_act: bool) -> None:
    d = outcome.decision
    for line in round_table(outcome.report, outcome.state):
        app.out(line)
    for reason in d.reasons:
        app.out(f"{d.status.name}: {reason}")
    if no_act and d.action != "none":
        app.out(f"--no-act: would run the {d.action} playbook ({d.from_} -> {d.to})")


def _show_run(app: App, outcome: RoundOutcome) -> None:
    action = outcome.decision.action
    if outcome.run_error:
        app.out(f"{action} FAILED: {outcome.run_error}; active host: {outcome.state.active}")
    elif outcome.run is not None:
        app.out(f"{action} done: run {outcome.run.id}; active host is now {outcome.state.active}")


COMMANDS = [check]
