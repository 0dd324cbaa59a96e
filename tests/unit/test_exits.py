"""cli/exits.py: DESIGN.md's exit-code table, as one pure function of (command, result or error)."""

from __future__ import annotations

import click
import pytest

from failover.cli import entry
from failover.cli.exits import ExitStatus, exit_status
from failover.errors import (
    ConfigError,
    ErrorKind,
    FailoverError,
    HostUnreachable,
    Interrupted,
    LockHeld,
    ProviderError,
    StateConflict,
    StepFailed,
    SyncError,
    UnsafePlan,
    UsageError,
)
from failover.interrupt import Terminated
from failover.policy import Status

FAILURES = [ProviderError("x"), UnsafePlan("x"), LockHeld("x"), StepFailed("x"), SyncError("x"),
            HostUnreachable("x"), StateConflict("x"), FailoverError("x")]
USAGE = [ConfigError([]), UsageError("x"), click.UsageError("x"), click.BadParameter("x")]
INTERRUPTIONS = [Interrupted("x"), KeyboardInterrupt(), Terminated(), click.exceptions.Abort()]


@pytest.mark.parametrize(("status", "code"), [(Status.OK, 0), (Status.WARNING, 1),
                                              (Status.CRITICAL, 2), (Status.UNKNOWN, 3)])
def test_check_exits_with_its_round_status(status: Status, code: int) -> None:
    assert exit_status("check", status) == code


@pytest.mark.parametrize("command", ["run", "failover", "failback", "sync", "status", "dns",
                                     "validate", ""])
def test_other_commands_done_failed_usage_interrupted(command: str) -> None:
    assert exit_status(command, True) == exit_status(command, None) == 0
    assert exit_status(command, False) == 1
    assert {exit_status(command, e) for e in FAILURES} == {1}
    assert {exit_status(command, e) for e in USAGE} == {2}
    assert {exit_status(command, e) for e in INTERRUPTIONS} == {130}


@pytest.mark.parametrize("command", ["check", "watch"])
def test_monitoring_errors_are_unknown_but_ctrl_c_is_130(command: str) -> None:
    # Nagios reads 2 as CRITICAL: a usage or inventory error must be 3 UNKNOWN for check
    assert {exit_status(command, e) for e in FAILURES + USAGE} == {ExitStatus.UNKNOWN}
    assert {exit_status(command, e) for e in INTERRUPTIONS} == {130}
    assert exit_status(command, True) == 0  # watch stopped by a signal after its round


def test_help_and_version_exit_0() -> None:
    assert exit_status("check", click.exceptions.Exit(0)) == 0
    assert exit_status("run", click.exceptions.Exit(0)) == 0


def test_kinds_are_declared_once_and_inherited() -> None:
    assert HostUnreachable("x").kind is ErrorKind.SYNC
    assert ConfigError([]).kind is ErrorKind.CONFIG
    assert FailoverError("x").kind is ErrorKind.ERROR


def test_entry_interrupted_matches_the_exit_table() -> None:
    assert entry.INTERRUPTED == ExitStatus.INTERRUPTED
