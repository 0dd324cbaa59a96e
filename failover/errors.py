"""One exception tree. Exceptions carry a kind; only cli/ turns kinds into exit codes.

A failing health check is a result, not an exception. Exceptions are for bad input (configuration,
state files, provider answers), for safety gates, and for steps that failed.

A class names its kind once, in its header (`class LockHeld(FailoverError, kind=ErrorKind.LOCK)`);
a subclass without one inherits its parent's. cli/exits.py reads `error.kind` to choose the exit
code (DESIGN.md's table), so adding an error class never touches the exit mapping, and a new kind
is one member here and, if its exit code is not the default, one entry there.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Any

import msgspec


class ErrorKind(StrEnum):
    """What went wrong, as the exit mapping (cli/exits.py) and the logs read it."""

    ERROR = "error"  # the base: something failed
    CONFIG = "config"  # the inventory, a playbook or a state file is invalid
    USAGE = "usage"  # the command line asks for something that cannot be done
    PROVIDER = "provider"  # a DNS provider or a notify channel refused or failed
    UNSAFE = "unsafe"  # a safety gate stopped a change before it happened
    HOSTKEY = "hostkey"  # an unknown or changed SSH host key
    LOCK = "lock"  # the run lock is held by another run
    CONFLICT = "conflict"  # a state write refused: the state or the lock moved on since
    STEP = "step"  # a playbook step failed
    SYNC = "sync"  # rsync or ssh failed
    INTERRUPTED = "interrupted"  # Ctrl-C or SIGTERM


class FailoverError(Exception):
    """Base of every error this package raises on purpose. `message` is the whole text."""

    kind: ErrorKind = ErrorKind.ERROR

    def __init_subclass__(cls, *, kind: ErrorKind | None = None, **rest: Any) -> None:
        super().__init_subclass__(**rest)
        if kind is not None:
            cls.kind = kind

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message

    def __str__(self) -> str:
        return self.message


class Reason(msgspec.Struct, frozen=True):
    """One thing wrong with an input file: where, which key, what would be valid."""

    file: str
    line: int | None
    column: int | None
    key: str
    message: str

    def __str__(self) -> str:
        where = self.file
        if self.line is not None:
            where += f":{self.line}"
            if self.column is not None:
                where += f":{self.column}"
        return f"{where} {self.key}: {self.message}" if self.key else f"{where} {self.message}"


class ConfigError(FailoverError, kind=ErrorKind.CONFIG):
    """The inventory, a playbook or a state file is invalid. Carries every reason found."""

    def __init__(self, reasons: list[Reason]) -> None:
        self.reasons = reasons
        super().__init__("\n".join(str(r) for r in reasons))


class UsageError(FailoverError, kind=ErrorKind.USAGE):
    """The command line asks for something that cannot be done (unknown host, missing --yes)."""


class ProviderError(FailoverError, kind=ErrorKind.PROVIDER):
    """A DNS provider or a notify channel refused, failed or answered what it should not have."""


class UnsafePlan(FailoverError, kind=ErrorKind.UNSAFE):
    """A safety gate stopped a change before it happened. The message names the override."""


class TargetBehind(UnsafePlan):
    """A push to the host a run moves the site to failed: it would serve an older copy than
    the mirror holds. Stops the whole run (`ignore_errors` does not cover it) unless the run
    accepts stale data (`--accept-stale`)."""


class HostKeyMismatch(FailoverError, kind=ErrorKind.HOSTKEY):
    """A host presented an unknown or changed SSH host key. Stops the whole run."""


class LockHeld(FailoverError, kind=ErrorKind.LOCK):
    """Another acting run holds the lock."""


class StateConflict(FailoverError, kind=ErrorKind.CONFLICT):
    """A state write was refused: the state changed since it was read (compare-and-set), or the
    lock it was written under was taken over since (a stale fencing token). Nothing was written."""


class StateUnwritable(FailoverError):
    """The state folder cannot be written (read-only, full, no permission): nothing was done."""


class StepFailed(FailoverError, kind=ErrorKind.STEP):
    """A playbook step failed (after rescue, if any)."""


class SyncError(FailoverError, kind=ErrorKind.SYNC):
    """rsync or ssh failed; the message is the plain-language reading of the exit code."""


class MirrorUnusable(SyncError):
    """The mirror has no copy a push can use (empty, or its dump damaged): nothing was sent."""


class HostUnreachable(SyncError):
    """ssh got no answer from the host (timeout, refused, no route): nothing ran there."""


class Interrupted(FailoverError, kind=ErrorKind.INTERRUPTED):
    """Ctrl-C or SIGTERM during a run; the journal can be resumed.

    `report` (engine/effects.InterruptReport) says what the run had changed; `nothing_changed`
    is set only where that is certain (a dry run, a confirmation prompt).
    """

    def __init__(self, message: str, *, report: Any = None, nothing_changed: bool = False) -> None:
        super().__init__(message)
        self.report = report
        self.nothing_changed = nothing_changed
