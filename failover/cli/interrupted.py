"""After Ctrl-C or SIGTERM: the last lines say what changed, what did not, and what to run next.

The facts come from the run (engine/interrupted.py) or the sync (cli/sync.py), as their steps
reported them; this module adds the commands: the same command again to finish (a run that had
moved DNS is continued from its journal, engine/resume.py; any other is safe to run again from
the start), and the way back. "nothing changed" is said only where it is certain: a dry run, a
confirmation prompt, a read-only command.
"""

from __future__ import annotations

import shlex
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import click

from failover.engine.effects import InterruptReport
from failover.errors import Interrupted
from failover.redact import redact
from failover.state.files import dumps

READ_ONLY = {"validate", "status", "dns", "schema", "doctor", "report", "completion"}


@contextmanager
def until_changes(changed: Callable[[], bool]) -> Iterator[None]:
    """Ctrl-C or SIGTERM in the block is "nothing changed" as long as `changed()` is False (an
    acting command's preparation: the inventory, the lock, the prompt, the plan). An interruption
    that the run itself reports (Interrupted) passes through."""
    try:
        yield
    except KeyboardInterrupt:
        if changed():
            raise
        raise Interrupted("interrupted before it changed anything", nothing_changed=True) from None


def report_interruption(command: str, argv: list[str], error: BaseException) -> None:
    """Print what the interruption left behind (stderr; with --json also one document on stdout);
    the exit code is cli/exits.py's."""
    report = error.report if isinstance(error, Interrupted) else None
    if report is None:
        lines = [_without_report(command, argv, error)]
        doc: dict[str, Any] = {"interrupted": True, "message": lines[0]}
    else:
        lines, doc = _with_report(report, argv)
    for line in lines:
        click.echo(redact(line), err=True)
    if "--json" in argv:
        click.echo(dumps(doc, indent=2))


def _without_report(command: str, argv: list[str], error: BaseException) -> str:
    if isinstance(error, Interrupted) and error.nothing_changed:
        return f"failover: {error}"
    if command in READ_ONLY or "--dry-run" in argv or (command == "check" and "--no-act" in argv):
        return "failover: interrupted; nothing changed"
    if isinstance(error, Interrupted):
        return f"failover: {error}"
    return ("failover: interrupted; `failover status` and the audit log show what it had "
            "done")


def _with_report(r: InterruptReport, argv: list[str]) -> tuple[list[str], dict[str, Any]]:
    lines = [f"failover: {r.title} interrupted by {r.signal} {r.where}"]
    lines += [f"  {fact}" for fact in r.facts]
    if r.remaining:
        lines.append(f"  not done: {', '.join(r.remaining)}")
    if r.notified:
        lines.append(f"  {r.notified}")
    if r.journal is not None:
        lines.append(f"  journal: {r.journal}")
    finish, back = _next(r, argv)
    lines += [f"  {text}" for text in (finish, back) if text]
    doc = {"interrupted": True, "signal": r.signal, "what": r.title, "where": r.where,
           "facts": r.facts, "not_done": r.remaining, "notified": r.notified,
           "journal": r.journal, "dns_changed": r.dns_changed, "finish": finish, "back": back}
    return lines, doc


def _next(r: InterruptReport, argv: list[str]) -> tuple[str, str]:
    """(how to finish, how to go back), as commands for this site's inventory."""
    prefix = _prefix(argv)
    yes = " --yes" if {"--yes", "-y"} & set(argv) else ""
    if not r.playbook:  # `failover sync`: the same command again; atomic sets can roll back
        finish = f"to finish: failover {shlex.join(argv)}   (a sync is safe to run again)"
        back = "; ".join(f"{prefix} sync --rollback {shlex.quote(s)} --host {h}{yes}"
                         for s, h in r.rollback)
        return finish, f"to go back: {back}" if back else ""
    same = _playbook_command(prefix, r.playbook, r.to, yes)
    if r.where.startswith("during rescue"):
        finish = "the run had failed and its rescue was cut short"
    elif r.continue_at is not None:
        finish = (f"to finish: {same}   (continues run {r.run_id} at step "
                  f"{r.continue_at}; the interrupted run did the steps before it)")
    else:
        finish = f"to finish: {same}   (runs it again from the start; every step is safe to repeat)"
    if not r.dns_changed:
        return finish, "to go back: nothing to put back (DNS was not moved)"
    if r.from_ and r.from_ == r.preferred:
        return finish, f"to go back: {prefix} failback{yes}"
    return finish, f"to go back: {_playbook_command(prefix, 'failover', r.from_, yes)}"


def _playbook_command(prefix: str, playbook: str, to: str | None, yes: str) -> str:
    run = playbook if playbook in ("failover", "failback") else f"run {shlex.quote(playbook)}"
    return f"{prefix} {run}" + (f" --to {shlex.quote(to)}" if to else "") + yes


def _prefix(argv: list[str]) -> str:
    """`failover`, with the -i the user gave (wherever it stood on the command line)."""
    for i, arg in enumerate(argv):
        if arg in ("-i", "--inventory") and i + 1 < len(argv):
            return f"failover -i {shlex.quote(argv[i + 1])}"
        if arg.startswith("--inventory="):
            return f"failover -i {shlex.quote(arg.split('=', 1)[1])}"
    return "failover"
