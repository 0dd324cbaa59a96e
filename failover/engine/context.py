"""RunContext: everything a run needs, passed explicitly (no global state)."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from failover.engine.effects import Effects
from failover.model.inventory import Inventory
from failover.model.state import State
from failover.state.audit import AuditLog
from failover.state.base import StateBackend

if TYPE_CHECKING:
    from failover.remote.openssh import SshMaster


def _quiet(_: str) -> None:
    return None


@dataclass
class RunContext:
    inventory: Inventory
    store: StateBackend
    audit: AuditLog
    state: State
    dry_run: bool = False
    accept_stale: bool = False  # promote a standby older than its sets' max_age (freshness.py)
    allow_deletes: int | None = None  # --allow-deletes N: this run's sync gates (never stored)
    emit: Callable[[str], None] = _quiet  # human progress lines (cli decides where they go)
    clock: Callable[[], float] = time.time
    verified: set[str] = field(default_factory=set)  # hosts that passed their checks in this run
    run_id: str = ""
    # DNS changes this run applied, with the active host before them: what rescue puts back
    dns_applied: list[tuple[Any, Any]] = field(default_factory=list)
    active_before_flip: str | None = None
    # hosts whose SSH port gave no answer in the round that started this run -> why, in words;
    # the sync step does not wait for them again (empty for a run started by hand)
    ssh_unanswered: dict[str, str] = field(default_factory=dict)
    # ssh connections opened ahead of the steps that use them, by host (the round's warm-up,
    # Runner._connect_early): a sync step to or from that host rides one. The runner closes them
    ssh_masters: dict[str, SshMaster] = field(default_factory=dict)
    effects: Effects = field(default_factory=Effects)  # what this run changed so far

    def save_state(self, state: State) -> None:
        """Keep `state` as the current one; written to disk unless this is a dry run."""
        self.state = state
        if not self.dry_run:
            self.store.save(state)
