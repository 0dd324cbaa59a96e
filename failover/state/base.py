"""The StateBackend / Lock contract: where automation state lives and who may act.

Local files implement it today (state/local.py: state.json written atomically, 0600, and an flock
on <state_dir>/lock). It is written so that a coordination service can implement it without
touching callers (DESIGN.md, "Several checkers": etcd v3 through its JSON gateway, as Patroni's
etcd3 DCS does): the lock is a lease-backed key whose revision is the fencing token, a save is a
transaction that compares that revision and the state key's own revision.

How callers use it (cli/app.py's `app.store`, engine's RunContext.store):

    store = open_state(inventory)          # one backend per command (state/__init__.py)
    with store.lock(wait=60):              # one acting run at a time; raises LockHeld
        state = store.load()
        ...
        store.save(state)                  # fenced by the lock this backend holds

Read-only commands (`status`, `check --no-act`) load without the lock. A writer that does not hold
the lock (none does today) passes `expect=` the version it read, so a write that would lose
another's is refused instead (StateConflict).

Not in the contract yet: the audit log stays a local file (state/audit.py), and so do the page
marks (state/pages.py) with their own short lock. Run journals are local files, and a backend may
keep a copy too (`save_journal`: etcd, so a new leader resumes a dead leader's run).
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from types import TracebackType
from typing import NamedTuple

from failover.model.state import State

# Opaque: compare only with what the same backend's read() returned. Local files: the file's bytes
# (b"" when there is none yet; state.json is a few kB, so the comparison is exact); etcd: the key's
# mod_revision.
Version = object


class Versioned(NamedTuple):
    state: State
    version: Version


class Lock(ABC):
    """Mutual exclusion between acting runs, on this machine or (etcd) across checkers.

    `with store.lock(wait):` acquires or raises LockHeld after `wait` seconds, naming the holder
    and the --wait option. The lock is released on exit, and also when its holder dies: the kernel
    drops an flock with its process, an etcd lease expires after its TTL, so a killed run never
    leaves a stale lock. Not re-entrant.

    `token` is the fencing token: a number that grows with every acquisition of this lock (flock:
    a counter kept in the lock file; etcd: the revision of the leader key). While held, the
    backend attaches it to every save, and refuses a save whose token is older than the newest
    one handed out: a holder that lost its lease (paused past its TTL) can no longer overwrite
    what the new holder wrote.
    """

    def __init__(self, wait: float) -> None:
        self.wait = wait
        self.token = 0
        self.owner: StateBackend | None = None  # the backend whose saves this lock fences

    @abstractmethod
    def acquire(self) -> int:
        """Take the lock, waiting up to the lock's `wait`; return the new fencing token.
        Raises LockHeld when the wait is over; OSError when the lock cannot be reached."""

    @abstractmethod
    def release(self) -> None:
        """Give the lock up. Idempotent: releasing a lock not held does nothing."""

    @abstractmethod
    def current_token(self) -> int:
        """The newest token handed out by anyone (what a save compares its own token with)."""

    def __enter__(self) -> Lock:
        self.token = self.acquire()
        if self.owner is not None:
            self.owner.held = self
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        if self.owner is not None and self.owner.held is self:
            self.owner.held = None
        self.release()


class StateBackend(ABC):
    """Automation state (model/state.py State: active host, streaks, flips, mirror ages).

    - `read()` never sees half a write: a save is atomic (local files: a temp file renamed over
      state.json; etcd: one transaction). A missing state is a fresh `State()`; an unreadable one
      raises ConfigError with the file (key) and what to do, never a traceback.
    - `save()` is atomic and idempotent (saving the same state twice leaves the same state).
      It raises StateConflict, writing nothing, when the lock this backend holds has been taken
      over (fencing token) or when `expect` is given and the stored version differs.
      Local files are 0600.
    - `lock(wait)` returns a new Lock (see Lock), not yet acquired; while it is held, this
      backend fences its saves with it.
    """

    def __init__(self) -> None:
        self.held: Lock | None = None  # the lock this backend holds: its token fences every save

    @abstractmethod
    def read(self) -> Versioned:
        """The stored state and its version."""

    @abstractmethod
    def save(self, state: State, *, expect: Version | None = None) -> Version:
        """Store `state`; returns its new version. `expect`: only if the stored version is still
        this one (None: whatever is stored)."""

    @abstractmethod
    def other_run_live(self) -> bool:
        """Does a live run other than ours hold the lock now? (False while this backend holds
        it.) Tells a run in progress from one that died."""

    @abstractmethod
    def _new_lock(self, wait: float) -> Lock:
        """A Lock for this backend's acting runs (the back-end's part of `lock`)."""

    def save_journal(self, run_id: str, text: str) -> None:
        """Keep a run journal (its JSON `text`) where another machine can resume it, fenced
        like `save`. Local files: nothing to do (engine/journal.py writes runs/<id>.json)."""
        return None

    def load(self) -> State:
        """The stored state (a fresh one when there is none yet)."""
        return self.read().state

    def lock(self, wait: float) -> Lock:
        """The run lock: `with store.lock(wait):` holds it or raises LockHeld after `wait` s."""
        lock = self._new_lock(wait)
        lock.owner = self
        return lock
