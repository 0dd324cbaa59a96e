"""`failover sync --rollback SET --host H`: put the release before the live one back on H (a
plain file set: the newest copy a failback kept, sync/kept.py; a database: its `__prev`).

Contract:
- Everything the inventory must say is checked before anything else (UsageError: no host,
  unknown set, no ssh settings or path on the host); a dry run stops there and changes nothing.
- Otherwise, after `confirm(question)` (the caller's prompt; it raises to say no), under the
  run lock (LockHeld after `wait` seconds): one rename on the host (release.rollback: readers
  see the old tree or the new one; a kept copy: two renames), then the host's data time for
  the set is forgotten in the state (its age is unknown now: a gated failover treats it as
  stale), and the audit log gets one `sync_rollback` line. SyncError (nothing changed) when
  the host has no older release (or kept copy) or is not reachable.
- Not idempotent: each call goes one release further back. It lasts until the next sync
  publishes the mirror again (fix the source first, or pause the cron job).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass

from failover.errors import UsageError
from failover.model.inventory import Inventory
from failover.state.audit import AuditLog
from failover.state.base import StateBackend
from failover.sync.mirror import Mirror

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class RolledBack:
    """What a rollback did (a dry run: what it would do; `old`, `new` empty)."""

    set: str
    host: str
    dry_run: bool
    old: str = ""  # the release that was live
    new: str = ""  # the release live now
    database: str = ""  # a database set's name on the host (its copies swapped places)
    kept: bool = False  # a plain file set: its newest kept copy put live (sync/kept.py)

    def describe(self) -> str:
        if self.database:
            db = self.database
            if self.dry_run:
                return f"would put {db}__prev back live as {db} on {self.host} ({self.set})"
            return (f"rolled back {self.set} on {self.host}: the copy the last push replaced is "
                    f"live as {db} again; the one it replaced is kept as {db}__prev")
        if self.kept:
            if self.dry_run:
                return f"would put the newest kept copy of {self.set} live on {self.host}"
            return (f"rolled back {self.set} on {self.host}: the copy kept as {self.new} is "
                    f"live again; the tree it replaced is kept as {self.old}")
        if self.dry_run:
            return f"would put the previous release of {self.set} live on {self.host}"
        return f"rolled back {self.set} on {self.host}: release {self.old} -> {self.new}"


def roll_back(inventory: Inventory, store: StateBackend, audit: AuditLog, set_name: str,
              host: str | None, *, dry_run: bool, confirm: Callable[[str], None],
              wait: float) -> RolledBack:
    """Put the previous release of `set_name` live on `host` (see the module docstring)."""
    if host is None:
        raise UsageError("--rollback needs --host HOST (the host whose release to put back)")
    found = Mirror(inventory).set(set_name)
    found.rollback(host, dry_run=True)  # every check, nothing changed
    database = found.sset.database or ""
    plain = found.sset.type == "files" and not found.sset.atomic
    if dry_run:
        return RolledBack(set_name, host, dry_run=True, database=database, kept=plain)
    what = "kept copy" if plain else "copy" if database else "release"
    confirm(f"Put the previous {what} of {set_name} live on {host}?")
    with store.lock(wait):
        done = found.rollback(host)
        assert done is not None  # only a dry run returns None
        old, new = done
        state = store.load()
        ms = state.mirrors.get(set_name)
        if ms is not None and host in ms.pushed:  # its data age is unknown now: stale if gated
            pushed = {h: t for h, t in ms.pushed.items() if h != host}
            store.save(state.replace(mirrors={
                **state.mirrors, set_name: ms.replace(pushed=pushed)}))
        audit.write("sync_rollback", set=set_name, host=host, **{"from": old, "to": new})
    return RolledBack(set_name, host, dry_run=False, old=old, new=new, database=database,
                      kept=plain)
