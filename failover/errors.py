"""One exception tree. Exceptions carry a kind; only cli/ turns kinds into exit codes.

A failing health check is a result, not an exception. Exceptions are for bad input (configuration,
state files, provider answers), for safety gates, and for steps that failed.
"""

from __future__ import annotations

from typing import Any

import msgspec


class FailoverError(Exception):
    """Base of every error this package raises on purpose."""

    kind = "error"

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


class ConfigError(FailoverError):
    """The inventory, a playbook or a state file is invalid. Carries every reason found."""

    kind = "config"

    def __init__(self, reasons: list[Reason]) -> None:
        self.reasons = reasons
        super().__init__("\n".join(str(r) for r in reasons))


class UsageError(FailoverError):
    """The command line asks for something that cannot be done (unknown host, missing --yes)."""

    kind = "usage"


class ProviderError(FailoverError):
    """A DNS provider refused, failed or answered something it should not have."""

    kind = "provider"


class UnsafePlan(FailoverError):
    """A safety gate stopped a change before it happened. The message names the override."""

    kind = "unsafe"


class HostKeyMismatch(FailoverError):
    """A host presented an unknown or changed SSH host key. Stops the whole run."""

    kind = "hostkey"


class LockHeld(FailoverError):
    """Another acting run holds the lock."""

    kind = "lock"


class StepFailed(FailoverError):
    """A playbook step failed (after rescue, if any)."""

    kind = "step"


class SyncError(FailoverError):
    """rsync or ssh failed; the message is the plain-language reading of the exit code."""

    kind = "sync"


class HostUnreachable(SyncError):
    """ssh got no answer from the host (timeout, refused, no route): nothing ran there."""


class Interrupted(FailoverError):
    """Ctrl-C or SIGTERM during a run; the journal can be resumed.

    `report` (engine/effects.InterruptReport) says what the run had changed; `nothing_changed`
    is set only where that is certain (a dry run, a confirmation prompt).
    """

    kind = "interrupted"

    def __init__(self, message: str, *, report: Any = None, nothing_changed: bool = False) -> None:
        super().__init__(message)
        self.report = report
        self.nothing_changed = nothing_changed
