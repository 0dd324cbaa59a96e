"""RunContext: everything a run needs, passed explicitly (no global state).

It is also the one sink through which steps report what they do, so a dry run and the audit
are handled once, here, not in each step:
- `change(kind, host, what)` notes a change a step starts and how it ended (engine/effects.py:
  what an interruption is told with); a dry run changes nothing, so notes nothing;
- `record(event, ...)` writes an audit line; a dry run writes none;
- `save_state(state)` keeps the state, written to disk unless this is a dry run;
- `set_active(host)` records where DNS points now (state.active and last_flip).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from failover.engine.effects import RUNNING, Change, Effects
from failover.errors import FailoverError
from failover.model.inventory import Inventory
from failover.model.state import Flip, State
from failover.state.audit import AuditLog
from failover.state.base import StateBackend

if TYPE_CHECKING:
    from failover.notify.dispatch import Dispatcher
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
    force: bool = False  # --force: a failback before the host passed recovery_threshold
    resumed: bool = False  # continuing a run that died (`failover resume`): notify says so
    allow_deletes: int | None = None  # --allow-deletes N: this run's sync gates (never stored)
    emit: Callable[[str], None] = _quiet  # human progress lines (cli decides where they go)
    clock: Callable[[], float] = time.time
    verified: set[str] = field(default_factory=set)  # hosts that passed their checks in this run
    # host -> families whose records a flip to it removes: it passed over the others only and
    # policy.partial_family is allow (engine/steps/check.py)
    dropped: dict[str, set[str]] = field(default_factory=dict)
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
    # the run's notices to people (notify/dispatch.py): sent in the background, settled at the
    # run's end; None for a dry run or a run whose events nobody hears
    notices: Dispatcher | None = None

    def save_state(self, state: State) -> None:
        """Keep `state` as the current one; written to disk unless this is a dry run."""
        self.state = state
        if not self.dry_run:
            self.store.save(state)

    def record(self, event: str, **fields: Any) -> None:
        """One audit line (state/audit.py), unless this is a dry run: a dry run writes nothing."""
        if not self.dry_run:
            self.audit.write(event, **fields)

    def begin(self, kind: str, host: str, what: str) -> Change:
        """Note a change a step starts (engine/effects.py). A dry run changes nothing, so the
        Change it gets back is noted nowhere; the step ends it all the same."""
        return Change(kind, host, what) if self.dry_run else self.effects.begin(kind, host, what)

    @contextmanager
    def change(self, kind: str, host: str, what: str) -> Iterator[Change]:
        """`begin`, then end the change as the block does: a FailoverError ends it `failed`
        with the error (and goes on), a block that ends it itself keeps that ending, any other
        block ends it `done`. Ctrl-C (KeyboardInterrupt) leaves it running: cut short, which is
        what the interruption report says of it."""
        change = self.begin(kind, host, what)
        try:
            yield change
        except FailoverError as e:
            if change.status == RUNNING:
                change.end("failed", str(e))
            raise
        if change.status == RUNNING:
            change.end("done")

    def set_active(self, host: str, *, changed: bool) -> None:
        """state.active = `host`, with a last_flip of this run when DNS `changed` (or the state
        said otherwise). Saved like any state (not in a dry run)."""
        if changed or self.state.active != host:
            flip = Flip.parse({"at": self.clock(), "from": self.state.active, "to": host,
                               "run_id": self.run_id})
            state = self.state.replace(active=host, last_flip=flip)
            if host in state.demoted:  # a run made it active again: the mark has done its job
                from failover.engine.fence import undemote

                state = undemote(state, host)
                self.record("undemote", run_id=self.run_id, host=host,
                            why=f"made active by run {self.run_id}")
            self.save_state(state)
