"""Outcome: what one playbook step reports back to the runner (its journal record's fields)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

OutcomeStatus = Literal["ok", "warning", "dry-run"]


@dataclass
class Outcome:
    """A step that returns finished: `ok`, `warning` (done, with something a person should
    read: e.g. the last good mirror was pushed) or `dry-run` (a dry run said what it would do).

    A step that fails raises a FailoverError instead; the runner records it as `failed`.
    `lines` are shown under the step's line and kept in the journal; `data` goes to the journal
    and the audit log (never a secret: the runner does not filter it).
    """

    status: OutcomeStatus = "ok"
    detail: str = ""
    lines: list[str] = field(default_factory=list)
    data: dict[str, Any] = field(default_factory=dict)
