"""The orchestrator's mirror of each sync set: pull from a host, push to a host.

Every caller (sync/cycle.py, the engine's `sync` step, benches, tests) goes through `Mirror`,
which hands each set to its kind under the sync set contract (base.MirroredSet): files.FileSet
today (pull.py, sftp.py, push_plain.py, push_atomic.py, push_sftp.py, predict.py), a database
set next, without a caller changing.

Contract (DESIGN.md "Invariants"):
- The mirror keeps its last good copy (snapshots.py): a pull fills a new snapshot, which
  becomes the last good one only once the pull's gates passed (report.check_pull: an empty
  source, more deletions than max_delete or max_delete_percent of the mirror's files allow, are
  refused before anything changes). A refused, failed or cut pull leaves the last good snapshot
  as it was, and pushes read it, resolved once at the start of each push.
- Plan, then apply: a push knows what it would delete before it changes anything, and a plan
  that deletes more than the set's `max_delete` raises UnsafePlan before anything changes. The
  plan comes from a dry run (`--dry-run`), or from the record of what the last complete push
  left on that host (tree.py), which spares the dry run. The real run of a plain set carries
  `--max-delete` as a second gate: it never deletes more than that, even when the host holds
  files the plan did not know of. An atomic set is gated on the host, before the swap,
  whenever the record does not name the live release (release.py).
- `allow_deletes` (the run's `--allow-deletes N`) stands in for max_delete and
  max_delete_percent in every gate of this Mirror's transfers; it is never stored.
- One ssh connection per pull or push (openssh.SshMaster), opened first so its handshake
  overlaps the walk of the mirror; the dry run, the transfer and the publish all ride it.
- `dry_run=True` returns that plan and changes nothing anywhere (not even the mirror folder).
  A pull's dry run is rsync's own, and also lists the source (`plan_pull`): the tree the new
  snapshot will hold. A push's dry run is predicted from such a tree (predict.py), so a dry run
  of a pull and a push lists what the real pull and push will report, even before the first
  pull.
- A real push never leaves a half-updated tree (`--delay-updates`, `--delete-delay`; rsync.py).
- Pushing an empty or never-pulled mirror is refused: it would wipe the host.
- A set with `atomic: true` is pushed as a whole new release behind a symlink (release.py);
  its plan and max_delete gate compare against the live release.
- Idempotent: a second sync of an unchanged tree transfers and deletes nothing.
- Which host may be written to is the caller's decision (the engine never pushes to the active
  host); this module does what it is asked.

`<state_dir>/mirror/<set>` shows the last good tree (a symlink to its snapshot); `state_dir/mirror`
is created 0700, so the copy is private to the orchestrator's user while each snapshot keeps
the mode of the source tree (rsync -a copies it, and a push must give the host the same mode).
"""

from __future__ import annotations

import threading
from pathlib import Path

from failover.errors import UsageError
from failover.model.inventory import Inventory
from failover.remote.openssh import SshMaster
from failover.sync.base import MirroredSet, MirrorRun
from failover.sync.files import FileSet
from failover.sync.report import SyncReport
from failover.sync.snapshots import Snapshot, Snapshots
from failover.sync.tree import Manifest

DEFAULT_TIMEOUT = 3600.0


class Mirror:
    """The orchestrator's copies of the inventory's sync sets."""

    def __init__(self, inventory: Inventory, *, timeout: float = DEFAULT_TIMEOUT,
                 allow_deletes: int | None = None,
                 cancel: threading.Event | None = None) -> None:
        self.inventory = inventory
        self.timeout = timeout
        self.allow_deletes = allow_deletes
        self.cancel = cancel  # set by cancel_transfers(): running rsyncs stop (TransferCancelled)
        self.root = inventory.state_dir / "mirror"
        self.run = MirrorRun(inventory, self.root, timeout, allow_deletes, cancel)
        self._sets: dict[str, MirroredSet] = {}  # a pull's preparations wait for its pushes

    def set(self, set_name: str) -> MirroredSet:
        """The set under its contract (UsageError for a name the inventory does not have)."""
        if set_name in self._sets:
            return self._sets[set_name]
        try:
            sset = self.inventory.sync_set(set_name)
        except KeyError:
            known = ", ".join(s.name for s in self.inventory.sync) or "none"
            raise UsageError(f"unknown sync set {set_name!r}; sync sets: {known}") from None
        found: MirroredSet
        if sset.is_database and sset.mode == "replica":
            from failover.sync.replica import ReplicaSet

            found = ReplicaSet(self.run, sset)
        elif sset.is_database:
            from failover.sync.database import DatabaseSet

            found = DatabaseSet(self.run, sset)
        else:
            found = FileSet(self.run, sset)
        self._sets[set_name] = found
        return found

    def cancel_transfers(self) -> None:
        """Stop the rsync transfers running in other threads (an interruption in the main one).

        A stopped push leaves the host's live files as they were (--delay-updates, or a staged
        release that is never swapped in); a stopped pull leaves the last good snapshot. SFTP
        transfers are not stopped: they end on their own.
        """
        if self.cancel is not None:
            self.cancel.set()

    def snapshots(self, set_name: str) -> Snapshots:
        sset = self.set(set_name).sset
        return Snapshots(self.root, sset.name, sset.keep_snapshots)

    def path(self, set_name: str) -> Path:
        """`<state_dir>/mirror/<set>`: the last good tree (a symlink to its snapshot), missing
        before the first good pull."""
        return self.snapshots(set_name).link

    def last_good(self, set_name: str) -> Snapshot | None:
        """The last good snapshot, resolved now (None before the first good pull)."""
        return self.snapshots(set_name).last_good()

    def pull(self, set_name: str, from_host: str, *, dry_run: bool = False,
             master: SshMaster | None = None, stage_on: tuple[str, ...] = ()) -> SyncReport:
        """host:path -> a new snapshot, the last good one once the pull's gates passed; it
        holds what the host has (deleted there, gone from it). `master`: as for push();
        `stage_on`: the hosts the pushes after it go to (base.MirroredSet.pull)."""
        if dry_run:
            return self.plan_pull(set_name, from_host, master=master)[0]
        return self.set(set_name).pull(from_host, master=master, stage_on=stage_on)

    def plan_pull(self, set_name: str, from_host: str, *,
                  master: SshMaster | None = None) -> tuple[SyncReport, Manifest | None]:
        """The pull's dry run (rsync's own) and gates, and the tree the new snapshot will hold
        (predict.py), read over the same connection. The tree is None when the source could
        not be listed; the report then says the push is predicted from the mirror."""
        return self.set(set_name).plan_pull(from_host, master=master)

    def push(self, set_name: str, to_host: str, *, dry_run: bool = False,
             tree: Manifest | None = None, master: SshMaster | None = None) -> SyncReport:
        """mirror -> host:path. Deletes from the host what the mirror does not have.

        `dry_run`: what the push would change if the mirror held `tree` (predict.py); by
        default the mirror as it is. `master`: an ssh connection to the host opened earlier
        by the caller, who closes it (openssh.shared); otherwise the push opens its own.
        """
        found = self.set(set_name)
        if dry_run:
            return found.plan_push(to_host, tree, master=master)
        return found.push(to_host, master=master)
