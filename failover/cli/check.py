"""`failover check`: one round, as cron (or Nagios, Icinga, Zabbix) runs it; exit status 0-3.

Stdout, in the monitoring-plugin form (cli/plugin.py): the status line first, written when the
round is over (so it says what the round did, not what it was about to do), then the round's
table, the decision's reasons, the page sent (if any), the playbook's steps and its verdict.
`-q` leaves only the status line. The playbook's steps also go to the log as they happen (`-v`).
A round that cannot judge (bad inventory, lock held, checker offline) prints an UNKNOWN status
line too (cli/main.py for errors), and with --prom-file every round writes the metrics file.
"""

from __future__ import annotations

import itertools
import logging
from pathlib import Path
from typing import Any

import click
import msgspec

from failover.cli.app import App
from failover.cli.exits import ExitStatus, exit_status
from failover.cli.plugin import outcome_json, perfdata, status_line, summary, unknown_reason
from failover.cli.render import round_table
from failover.engine.monitor import RoundOutcome
from failover.errors import ConfigError, FailoverError, LockHeld, ProviderError
from failover.model.results import RoundReport
from failover.model.state import State
from failover.policy import Status
from failover.state.files import dumps

log = logging.getLogger(__name__)

prom_file_option = click.option(
    "--prom-file", type=click.Path(dir_okay=False, path_type=Path), default=None,
    help="Also write the round's metrics in Prometheus text format to this file (atomically), "
         "for node_exporter's textfile collector; every round writes it, UNKNOWN ones too.")


class CheckRound(msgspec.Struct):
    outcome: RoundOutcome
    no_act: bool
    judged: State  # the state the round was judged in (the table shows it, not the run's end)
    run_lines: list[str] = msgspec.field(default_factory=list)  # the playbook's progress, if any
    timeline: list[Any] = msgspec.field(default_factory=list)  # of a run that moved DNS
    # with `services:`: each service's round (cli/services.py); the fields above are the worst's
    services: list[tuple[str, CheckRound]] = msgspec.field(default_factory=list)


@click.command()
@click.option("--no-act", is_flag=True, help="Probe and decide, but change nothing.")
@click.option("--wait", default=60.0, show_default=True, metavar="SECONDS",
              help="How long to wait for another run's lock before giving up (exit 3).")
@prom_file_option
@click.pass_obj
def check(app: App, no_act: bool, wait: float, prom_file: Path | None) -> Status:
    """One round of every check on every host; act on the policy unless --no-act.

    Exit: 0 OK, 1 WARNING, 2 CRITICAL (active host down), 3 UNKNOWN.
    """
    done = one_round(app, no_act=no_act, wait=wait, prom_file=prom_file)
    show(app, done)
    return done.outcome.decision.status


def one_round(app: App, *, no_act: bool, wait: float, prom_file: Path | None) -> CheckRound:
    """Probe, decide and (unless no_act) act under the lock; write the metrics file.

    Shared by `check` and `watch`, so both make exactly the same decisions. A round that fails
    (bad inventory, lock held, a provider down) still writes the metrics file, pages a person
    when the lock keeps automation from acting on a down host, then raises.
    """
    from failover.model.services import service_names

    try:
        if app.service is None and len(names := service_names(app.site)) > 1:
            from failover.cli.services import site_round

            # each service's round as `check --service NAME`, then one metrics file
            site: CheckRound = site_round(app, names, lambda unit: one_round(
                unit, no_act=no_act, wait=wait, prom_file=None))
            if prom_file is not None:
                o = site.outcome
                parts = [(n, d.outcome.report, d.outcome.state,
                          list(app.for_service(n).inventory.hosts)) for n, d in site.services]
                _write_metrics(prom_file, o.report, o.state, [], exit_status(
                    "check", o.decision.status), None, services=parts)
            return site
        done = _round(app, no_act=no_act, wait=wait)
    except (FailoverError, KeyboardInterrupt) as e:
        if isinstance(e, LockHeld) and not no_act:
            _page_lock_held(app, e)
        if prom_file is not None:
            _write_unknown_metrics(app, prom_file, e)
        raise
    if prom_file is not None:
        o = done.outcome
        unknown = unknown_reason(None, o) if o.decision.status == Status.UNKNOWN else None
        _write_metrics(prom_file, o.report, o.state, list(app.inventory.hosts),
                       exit_status("check", o.decision.status), unknown)
    return done


def _round(app: App, *, no_act: bool, wait: float) -> CheckRound:
    from failover.engine.monitor import act, assess

    inv = app.inventory
    if inv.coordination is not None:  # several checkers: quorum and leadership in etcd
        return _coordinated(app, no_act=no_act, wait=wait)
    if no_act:
        outcome = assess(inv, app.store, app.audit, app.resolve_active(app.store.load()),
                         record=False, clock=app.clock)
        return CheckRound(outcome, no_act=True, judged=outcome.state)
    lines: list[str] = []

    def emit(line: str) -> None:
        lines.append(line)
        log.info("run: %s", line)

    with app.store.lock(wait):
        outcome = assess(inv, app.store, app.audit, app.resolve_active(app.store.load()),
                         record=True, clock=app.clock)
        judged = outcome.state
        act(outcome, inv, app.store, app.audit, emit=emit, clock=app.clock)
    timeline = _timeline(app, outcome)
    return CheckRound(outcome, no_act=False, judged=judged, run_lines=lines, timeline=timeline)


def _timeline(app: App, outcome: RoundOutcome) -> list[Any]:
    """The timeline of the run this round started, if it moved DNS (none on a quiet round)."""
    if outcome.run is None:
        return []
    from failover.cli.report import run_timeline

    return run_timeline(app, outcome.run.id)


def _coordinated(app: App, *, no_act: bool, wait: float) -> CheckRound:
    from failover.coord.backend import EtcdStateBackend
    from failover.coord.round import Site, coordinated_round

    lines: list[str] = []

    def emit(line: str) -> None:
        lines.append(line)
        log.info("run: %s", line)

    def site_of(unit: App) -> Site:
        backend = unit.site_store
        assert isinstance(backend, EtcdStateBackend)
        return Site(unit.inventory, unit.store, backend, unit.audit, unit.clock,
                    unit.resolve_active, other=lambda name: site_of(app.for_service(name)))

    outcome, judged, notes = coordinated_round(site_of(app), no_act=no_act, wait=wait, emit=emit)
    outcome.notes = [*outcome.notes, *notes]
    timeline = _timeline(app, outcome)
    return CheckRound(outcome, no_act=no_act, judged=judged, run_lines=lines, timeline=timeline)


def _page_lock_held(app: App, error: LockHeld) -> None:
    """The lock kept this round from acting: page a person if the active host is down (by the
    last round in state.json, read only: the lock holder owns that file); with `services:`,
    for each service whose active host is down."""
    from failover.engine.guard import page_lock_held

    try:
        units = [app] if app.service is not None or len(app.site.services) < 2 else \
            [app.for_service(name) for name in app.site.services]
        found = [(unit, unit.inventory, unit.store.load()) for unit in units]
    except (ConfigError, ProviderError):
        return
    for unit, inv, state in found:
        note = page_lock_held(inv, state, unit.audit, str(error), app.clock())
        if note is not None:
            click.echo(f"failover: {note}", err=True)


def _write_unknown_metrics(app: App, path: Path, error: BaseException) -> None:
    """A round that stopped before judging: status 3 and why; what the state file knows."""
    try:
        hosts, state = list(app.inventory.hosts), app.store.load()
    except (ConfigError, ProviderError):  # no state to read (etcd unreachable with it)
        hosts, state = [], None
    _write_metrics(path, None, state, hosts, ExitStatus.UNKNOWN, unknown_reason(error),
                   at=app.clock())


def write_usage_metrics(argv: list[str], at: float) -> None:
    """A usage error stops check or watch before its round: a `--prom-file` the command line
    names still gets status 3, reason `usage` (a dashboard shows why, not a stale value)."""
    path = None  # the last one given wins, as click has it
    for before, word in itertools.pairwise(["", *argv]):
        if before == "--prom-file":
            path = word
        elif word.startswith("--prom-file="):
            path = word.removeprefix("--prom-file=")
    if path and not path.startswith("-"):
        _write_metrics(Path(path), None, None, [], ExitStatus.UNKNOWN, "usage", at=at)


def _write_metrics(path: Path, report: RoundReport | None, state: State | None, hosts: list[str],
                   status: int, unknown: str | None, at: float | None = None,
                   services: list[Any] | None = None) -> None:
    from failover.metrics import write_prom_file

    try:
        write_prom_file(path, report, state, hosts, status, unknown=unknown, at=at,
                        services=services)
    except OSError as e:  # the round stands; the metrics file could not be written
        click.echo(f"failover: metrics file {path}: {e.strerror or e}", err=True)


def show(app: App, done: CheckRound, *, json_lines: bool = False) -> None:
    """Print the round: status line first (monitoring-plugin form), then the details."""
    if done.services:
        from failover.cli.services import show_site

        return show_site(app, done, details, json_lines=json_lines)
    o, inv = done.outcome, app.inventory
    if app.json:
        doc = outcome_json(o, inv, no_act=done.no_act)
        if o.run is not None:
            from failover.report.incidents import timeline_json

            doc["timeline"] = timeline_json(done.timeline)
        doc["notifications_owed"] = app.notifications_owed()  # as `status --json`
        click.echo(dumps(doc)) if json_lines else app.print_json(doc)
        return
    app.out(status_line(o.decision.status, summary(o, no_act=done.no_act), perfdata(o, inv)))
    if not app.quiet:
        details(app, done)


def details(app: App, done: CheckRound) -> None:
    """The lines after the status line: the round's table, reasons, page, run and verdict."""
    o, d = done.outcome, done.outcome.decision
    for line in round_table(o.report, done.judged):
        app.out(line)
    for reason in d.reasons:
        app.out(f"{d.status.name}: {reason}")
    for note in o.notes:
        app.out(note)
    if done.no_act and d.action != "none":
        app.out(f"--no-act: would run the {d.action} playbook ({d.from_} -> {d.to})")
    if o.page_note:
        app.out(o.page_note)
    for line in done.run_lines:
        app.out(line)
    if done.timeline:
        from failover.report.text import timeline_lines

        for line in timeline_lines(done.timeline):
            app.out(line)
    if o.run_error:
        app.out(f"{d.action} FAILED: {o.run_error}; active host: {o.state.active}")
    elif o.run is not None:
        app.out(f"{d.action} done: run {o.run.id}; active host is now {o.state.active}")


COMMANDS = [check]
