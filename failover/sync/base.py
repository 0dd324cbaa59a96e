"""The sync set contract: what every kind of sync set does for the mirror and its callers.

A sync set is content the orchestrator keeps a mirror of and pushes to the standbys. Files
are one kind (files.FileSet: rsync or SFTP, plain or atomic releases); a database is the next
(issue 8: dump into the mirror, staged load on the host, swap). Callers (sync/cycle.py, the
engine's `sync` step, `failover sync`) reach every kind through mirror.Mirror, so a new kind is
one new module implementing this class, and no caller changes.

Every implementation keeps these promises (DESIGN.md "Invariants"):
- The mirror keeps its last good copy. `pull` fills a new copy and makes it the last good one
  only once the pull's gates passed (an empty source, more deletions than max_delete or
  max_delete_percent allow: UnsafePlan before anything changes, naming the path to check and
  the override). A refused, failed or cut pull leaves the last good copy as it was.
- Plan, then apply. `plan_pull` and `plan_push` change nothing anywhere and list exactly what
  `pull` and `push` will report (a ChangeList in a SyncReport); `plan_push` can be asked about
  a mirror that does not hold the pulled copy yet (`tree`, from `plan_pull`).
- `push` never leaves readers on the host a half-updated copy, refuses an empty or never-pulled
  mirror (it would wipe the host: SyncError), and gates deletions (UnsafePlan) before anything
  changes. Which host may be written to is the caller's decision, not the set's.
- Idempotent: pulling or pushing an unchanged source again changes nothing.
- Errors: HostKeyMismatch (stops the whole run), UnsafePlan (a gate), UsageError (the
  inventory does not say enough), SyncError (anything else that kept the transfer from
  completing), TransferCancelled (`cancel` was set by an interruption).
"""

from __future__ import annotations

import threading
from abc import ABC, abstractmethod
from dataclasses import dataclass
from pathlib import Path

from failover.errors import UsageError
from failover.model.inventory import Inventory
from failover.model.syncset import SyncSet
from failover.remote.openssh import SshMaster
from failover.sync.report import SyncReport
from failover.sync.tree import Manifest


@dataclass(frozen=True)
class MirrorRun:
    """What every set of one run shares: the inventory, the mirror's folder, the limits."""

    inventory: Inventory
    root: Path  # <state_dir>/mirror (0700)
    timeout: float
    allow_deletes: int | None = None  # the run's --allow-deletes; never stored
    cancel: threading.Event | None = None  # set by an interruption: transfers stop


class MirroredSet(ABC):
    """One sync set as the mirror handles it (see the module docstring for the promises).

    `master`, where taken: an ssh connection to the host that the caller opened earlier (so its
    handshake overlapped other work) and closes itself; without one the set opens its own.
    """

    def __init__(self, run: MirrorRun, sset: SyncSet) -> None:
        self.run = run
        self.sset = sset

    @abstractmethod
    def pull(self, host: str, *, master: SshMaster | None = None,
             stage_on: tuple[str, ...] = ()) -> SyncReport:
        """host -> a new copy in the mirror, the last good one once the pull's gates passed.
        `stage_on`: the hosts this set's pushes will go to next, which it may prepare while it
        pulls (a database set loads their staging copy from the stream; files ignore it)."""

    @abstractmethod
    def plan_pull(self, host: str, *,
                  master: SshMaster | None = None) -> tuple[SyncReport, Manifest | None]:
        """The pull's dry run and gates, and what the mirror will hold after it (None when
        that could not be read: the push is then predicted from the mirror as it is, and the
        report's warnings say so). Changes nothing anywhere."""

    @abstractmethod
    def push(self, host: str, *, master: SshMaster | None = None) -> SyncReport:
        """The mirror's last good copy -> host, gated; what is not in the mirror goes."""

    @abstractmethod
    def plan_push(self, host: str, tree: Manifest | None = None, *,
                  master: SshMaster | None = None) -> SyncReport:
        """What push() will report if the mirror held `tree` (by default: as it is). Changes
        nothing anywhere."""

    def keep(self, host: str) -> str:
        """Keep `host`'s copy as it is before a push overwrites what may exist only there (a
        failback's push onto the preferred host): the kept copy's name, "" when the set keeps
        one on every push anyway (atomic releases, a database's `__prev`)."""
        return ""

    def rollback(self, host: str, *, dry_run: bool = False) -> tuple[str, str] | None:
        """Put the previous release live on `host`: (from, to) release ids. Only sets that
        keep releases can; the others raise UsageError. `dry_run`: every check (UsageError),
        nothing changed: None. Not idempotent: each call goes one release further back."""
        raise UsageError(f"sync set {self.sset.name} is not atomic; only `atomic: true` sets "
                         "keep releases to roll back to")

    def host_path(self, host: str) -> str:
        """The set's path on `host`; UsageError when the inventory names none."""
        try:
            return self.sset.path_on(host)
        except KeyError:
            raise UsageError(f"sync set {self.sset.name} has no path for host {host}; add "
                             f"sync[{self.sset.name}].path.{host} to the inventory") from None
