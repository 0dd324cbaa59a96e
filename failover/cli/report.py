"""`failover report`: incidents, downtime, availability and rehearsals from the audit log, as
Markdown (default), one JSON document or one self-contained HTML file; `--verify` checks the
audit log's hash chain (exit 0 intact, 1 broken, naming file:line). Read-only: contacts
nothing, takes no lock."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from failover.cli.app import App
from failover.errors import FailoverError, UsageError
from failover.redact import redact

if TYPE_CHECKING:
    from failover.report.document import Report
    from failover.report.incidents import Event


def _checks(app: App) -> dict[str, list[str]]:
    """What the report needs to know of the inventory's checks."""
    checks = app.inventory.checks
    return {"check_names": [c.name for c in checks],
            "warning_checks": [c.name for c in checks if c.severity == "warning"]}


def _of_service(app: App) -> Iterator[dict[str, Any]]:
    """The audit records of the app's service (with `services:`; else all): its rounds, runs
    and flips, and what belongs to no service (a sync, a promote)."""
    service = app.inventory.service
    return (r for r in app.audit.read()
            if service is None or r.get("service") in (None, service))


def build_report(app: App, since: str, incident: str | None) -> Report:
    """The report of the app's inventory over `since`, or of one `incident`."""
    from failover.report.chain import chain
    from failover.report.document import build, parse_since

    inv, now = app.inventory, app.clock()
    try:
        start = parse_since(since, now)
    except ValueError as e:
        raise UsageError(f"--since: {e}") from None
    try:
        return build(_of_service(app), site=inv.site, hosts=list(inv.hosts), **_checks(app),
                     recovery_threshold=inv.policy.recovery_threshold, start=start, now=now,
                     chain=chain(inv.state_dir), incident=incident,
                     check_interval=inv.policy.check_interval)
    except LookupError as e:
        raise UsageError(f"--incident: {e.args[0]}") from None


def run_timeline(app: App, run_id: str) -> list[Event]:
    """The timeline of run `run_id` from the audit log (report/incidents.py `run_timeline`):
    empty when it moved no DNS. Printed at the end of every run that did."""
    from failover.report.incidents import run_timeline as timeline
    from failover.report.records import read

    log_ = read(_of_service(app), **_checks(app))
    return timeline(log_, run_id, recovery_threshold=app.inventory.policy.recovery_threshold)


def _verify(app: App) -> bool:
    from failover.report.chain import chain

    state = chain(app.inventory.state_dir)
    if app.json:
        app.print_json(state.to_json())
        return state.ok
    if state.ok:
        app.out(f"audit chain intact: {state.lines} lines"
                + (f" ({state.unchained} older lines before the chain began)"
                   if state.unchained else ""))
    else:
        for where in state.broken:
            app.out(f"audit chain BROKEN: {where}")
    app.out(state.head_words)
    return state.ok


def _write(path: Path, text: str) -> None:
    try:
        path.write_text(text, encoding="utf-8")
        path.chmod(0o644)
    except OSError as e:
        raise FailoverError(f"-o {path}: {e.strerror or e}") from None


@click.command()
@click.option("--since", default="30d", show_default=True, metavar="WHEN",
              help="The period: a duration back from now (30d, 12h, 90m) or a date "
                   "(2026-11-01, UTC).")
@click.option("--incident", metavar="RUN_ID",
              help="Only the incident of this run (its failover or its failback run).")
@click.option("--format", "fmt", type=click.Choice(["md", "html", "json"]), default=None,
              help="md (default), html (one self-contained file) or json (--json too).")
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path),
              metavar="FILE", help="Write the report to FILE instead of stdout.")
@click.option("--verify", is_flag=True,
              help="Check the audit log's hash chain: exit 0 intact, 1 broken (names the "
                   "file and line).")
@click.pass_obj
def report(app: App, since: str, incident: str | None, fmt: str | None, output: Path | None,
           verify: bool) -> bool:
    """Incidents (timelines, downtime), availability and rehearsals from the audit log."""
    if verify:
        return _verify(app)
    from failover.state.files import dumps

    if fmt is None:
        fmt = "json" if app.json else "md"
    doc = build_report(app, since, incident)
    if fmt == "json":
        text = dumps(doc.to_json(), indent=2) + "\n"
    elif fmt == "html":
        from failover.report.html import render

        text = render(doc)
    else:
        from failover.report.text import markdown

        text = markdown(doc)
    text = redact(text)
    if output is None:
        click.echo(text, nl=not text.endswith("\n"))
    else:
        _write(output, text)
        click.echo(f"report written to {output}", err=True)
    return True


COMMANDS = [report]
