"""Which exit code? The one mapping from a command's result, or the error that ended it, to the
process's exit status (DESIGN.md, "The command"):

    check, watch (monitoring-plugin convention, Nagios reads 2 as CRITICAL):
        0 OK · 1 WARNING · 2 CRITICAL · 3 UNKNOWN (could not judge: bad inventory, a usage error,
        lock held, the checker offline, a provider down) · 130 interrupted
    every other command:
        0 done · 1 failed (after its rescue steps; the lock held past --wait; a provider, a sync
        or a step failed) · 2 usage or inventory error · 130 interrupted (the journal resumes)

Commands return a result, never a number: True or None (done), False (failed, the reasons
already printed), or a round's `policy.Status` (check). Errors are read by their kind
(`errors.ErrorKind`), never by their class. `exit_status` is pure; cli/main.py's `raw_main` applies
it once, and cli/entry.py's `sys.exit` is the only place the process ends.
"""

from __future__ import annotations

from enum import IntEnum

import click

from failover.errors import ErrorKind, FailoverError
from failover.policy import Status

MONITORING = frozenset({"check", "watch"})


class ExitStatus(IntEnum):
    """Every exit code failover ends with (httpie's ExitStatus)."""

    SUCCESS = 0
    FAILED = 1
    USAGE = 2  # a usage or inventory error (every command but check and watch)
    UNKNOWN = 3  # check and watch: could not judge
    INTERRUPTED = 130  # Ctrl-C or SIGTERM (128 + SIGINT, what shells report)
    # check's round statuses (monitoring-plugin names for the same numbers)
    OK = 0
    WARNING = 1
    CRITICAL = 2


Result = bool | Status | None

# error kind -> exit status; a kind not listed gets the default of its convention
ERRORS = {ErrorKind.CONFIG: ExitStatus.USAGE, ErrorKind.USAGE: ExitStatus.USAGE,
          ErrorKind.INTERRUPTED: ExitStatus.INTERRUPTED}
MONITORING_ERRORS = {ErrorKind.INTERRUPTED: ExitStatus.INTERRUPTED}


def error_kind(error: BaseException) -> ErrorKind:
    """The kind of any exception that can end a command: ours carry one; click's usage errors
    are USAGE; Ctrl-C (KeyboardInterrupt, SIGTERM's Terminated, click's Abort) is INTERRUPTED."""
    if isinstance(error, FailoverError):
        return error.kind
    if isinstance(error, KeyboardInterrupt | click.exceptions.Abort):
        return ErrorKind.INTERRUPTED
    if isinstance(error, click.ClickException):
        return ErrorKind.USAGE
    return ErrorKind.ERROR


def exit_status(command: str, outcome: Result | BaseException) -> ExitStatus:
    """The exit status of `command` (its first word: "check", "run", ...) that ended with
    `outcome`: the value its function returned, or the exception that stopped it. Pure."""
    if isinstance(outcome, click.exceptions.Exit):  # --help, --version
        return ExitStatus.SUCCESS if outcome.exit_code == 0 else ExitStatus.USAGE
    if isinstance(outcome, BaseException):
        kind = error_kind(outcome)
        if command in MONITORING:
            return MONITORING_ERRORS.get(kind, ExitStatus.UNKNOWN)
        return ERRORS.get(kind, ExitStatus.FAILED)
    if isinstance(outcome, Status):
        return ExitStatus[outcome.name]  # a round's status and its exit code share the name
    return ExitStatus.FAILED if outcome is False else ExitStatus.SUCCESS
