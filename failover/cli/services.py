"""`check` and `status` of an inventory with `services:`: every service in the same run, one
after the other, each judged and acted on exactly as a one-service site (cli/check.py), and one
status line with the worst status first (what Nagios reads and the exit code follows).

    FAILOVER CRITICAL - mail: active host primary is down ...; failed over to standby (run ...);
    web: active host primary healthy | 'mail_primary_up'=0 ... 'web_primary_up'=1 ...
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import click
import msgspec

from failover.cli.app import App
from failover.cli.exits import exit_status
from failover.cli.plugin import outcome_json, perfdata, status_line, summary
from failover.policy import Status
from failover.state.files import dumps

# CheckRound (cli/check.py, which calls this module) is `Any` here: no import cycle
CheckRound = Any

SEVERITY = {Status.OK: 0, Status.WARNING: 1, Status.UNKNOWN: 2, Status.CRITICAL: 3}


def worst(statuses: list[Status]) -> Status:
    """The status a site with these services' statuses has: CRITICAL over UNKNOWN over
    WARNING over OK (a service down outweighs one that could not be judged)."""
    return max(statuses, key=SEVERITY.__getitem__, default=Status.OK)


def site_round(app: App, names: list[str],
               one: Callable[[App], CheckRound]) -> CheckRound:
    """Every service's round (`one`), as one CheckRound: its outcome is the worst service's."""
    parts = [(name, one(app.for_service(name))) for name in names]
    status = worst([done.outcome.decision.status for _, done in parts])
    first = next(done for _, done in parts if done.outcome.decision.status == status)
    return msgspec.structs.replace(first, services=parts)


def show_site(app: App, done: CheckRound, details: Callable[[App, CheckRound], None], *,
              json_lines: bool = False) -> None:
    """The status line (worst status; each service's summary and perfdata, prefixed with its
    name), then each service's `details` under a heading."""
    status = done.outcome.decision.status
    if app.json:
        doc = {"status": status.name, "exit_code": exit_status("check", status),
               "summary": _summary(app, done),
               "services": {name: outcome_json(part.outcome, app.for_service(name).inventory,
                                               no_act=part.no_act)
                            for name, part in done.services},
               "notifications_owed": app.notifications_owed()}  # every service's
        click.echo(dumps(doc)) if json_lines else app.print_json(doc)
        return
    data = [f"'{name}_{item[1:]}" for name, part in done.services
            for item in perfdata(part.outcome, app.for_service(name).inventory)]
    app.out(status_line(status, _summary(app, done), data))
    if app.quiet:
        return
    for name, part in done.services:
        app.out(f"service {name}: {part.outcome.decision.status.name}, active host "
                f"{part.outcome.state.active}")
        details(app.for_service(name), part)


def _summary(app: App, done: CheckRound) -> str:
    return "; ".join(f"{name}: {summary(part.outcome, no_act=part.no_act)}"
                     for name, part in done.services)
