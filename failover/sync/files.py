"""A set of files (the only kind today): pulled into snapshots, pushed by one strategy per way.

Implementation notes:
- Transports: `transport: rsync` (the default; pull.py, push_plain.py, push_atomic.py),
  `sftp` (sftp.py, push_sftp.py: for hosts without rsync) and `auto`: rsync, and SFTP when a
  strategy comes back with NoRsync (a host without rsync is a result, not an exception;
  `_fallback`). With `transport: rsync` NoRsync becomes the SyncError it describes.
- Pulls: the mirror keeps its last good copy (snapshots.py): a pull fills a new snapshot, which
  becomes the last good one only once the pull's gates passed (report.check_pull).
- Pushes read the last good snapshot, resolved once at the start of each push; a plain set is
  rsynced in place (push_plain.py), an atomic one published as a release (push_atomic.py).
  `allow_deletes` stands in for the set's max_delete in every gate (`_push_set`).
- Dry runs: a pull's is rsync's own, and lists the source (`plan_pull`): the tree the new
  snapshot will hold. A push's is predicted from such a tree (predict.py), so a dry run of a
  pull and a push lists what the real pull and push will report, even before the first pull.
- One ssh connection per pull or push (openssh.SshMaster), opened first so its handshake
  overlaps the walk of the mirror; the dry run, the transfer and the publish all ride it.
"""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

from failover.errors import MirrorUnusable, SyncError
from failover.model.syncset import SyncSet
from failover.remote.openssh import SshMaster
from failover.remote.ssh import SshTarget, ssh_target
from failover.sync import kept, predict, push_atomic, push_plain, push_sftp, release, sftp
from failover.sync.base import MirroredSet, MirrorRun
from failover.sync.pull import plan as plan_rsync_pull
from failover.sync.pull import pull as rsync_pull
from failover.sync.push_job import Push
from failover.sync.report import SyncReport, check_deletions, make_report
from failover.sync.rsync import PARTIAL_DIR, NoRsync
from failover.sync.snapshots import Snapshots
from failover.sync.tree import Manifest, PushedRecords, local_manifest

log = logging.getLogger(__name__)

T = TypeVar("T")


class FileSet(MirroredSet):
    """A sync set of files (see the module docstring)."""

    def __init__(self, run: MirrorRun, sset: SyncSet) -> None:
        super().__init__(run, sset)
        self.records = PushedRecords(run.root)
        self.snapshots = Snapshots(run.root, sset.name, sset.keep_snapshots)

    def _target(self, host: str) -> SshTarget:
        return ssh_target(self.run.inventory, host)

    def _fallback(self, target: SshTarget, found: T | NoRsync, over_sftp: Callable[[], T]) -> T:
        """`found`, or (the host has no rsync) the SFTP way when the set's transport is `auto`;
        with `transport: rsync` a missing rsync is an error."""
        if not isinstance(found, NoRsync):
            return found
        if self.sset.transport != "auto":
            raise found.error()
        log.warning("fallback: set=%s host=%s transport=sftp reason=%s", self.sset.name,
                    target.host, "no rsync on the host")
        return over_sftp()

    def pull(self, host: str, *, master: SshMaster | None = None,
             stage_on: tuple[str, ...] = ()) -> SyncReport:
        del stage_on  # a push sends only what changed, from the promoted snapshot
        sset, run = self.sset, self.run
        target, host_path = self._target(host), self.host_path(host)
        with self.snapshots.pulling() as stage:
            base = stage.base.path if stage.base else None

            def over_sftp() -> SyncReport:
                return sftp.pull(sset, target, host_path, base, stage, run.allow_deletes)[0]

            if sset.transport == "sftp":
                done = over_sftp()
            else:
                done = self._fallback(target, rsync_pull(
                    sset, target, host_path, stage, run.timeout, run.allow_deletes, master,
                    run.cancel), over_sftp)
            stage.promote()
        return done

    def plan_pull(self, host: str, *,
                  master: SshMaster | None = None) -> tuple[SyncReport, Manifest | None]:
        sset, run = self.sset, self.run
        target, host_path = self._target(host), self.host_path(host)
        good = self.snapshots.last_good()
        base = good.path if good else None

        def over_sftp() -> tuple[SyncReport, Manifest | None]:
            return sftp.pull(sset, target, host_path, base, None, run.allow_deletes)

        if sset.transport == "sftp":
            return over_sftp()
        return self._fallback(target, plan_rsync_pull(
            sset, target, host_path, base, self.snapshots.plan_target(), run.timeout,
            run.allow_deletes, master, run.cancel), over_sftp)

    def push(self, host: str, *, master: SshMaster | None = None) -> SyncReport:
        job = self._job(host, master)
        if self.sset.transport == "sftp":
            return push_sftp.push(job)
        strategy: Callable[[Push], SyncReport | NoRsync] = \
            push_atomic.push if self.sset.atomic else push_plain.push
        return self._fallback(job.target, strategy(job), lambda: push_sftp.push(job))

    def plan_push(self, host: str, tree: Manifest | None = None, *,
                  master: SshMaster | None = None) -> SyncReport:
        """The push's dry run: its changes and gates predicted from `tree` (predict.py), by
        default the last good snapshot's."""
        job = self._job(host, master, self.run.root / self.sset.name)  # no file of it is read
        sset, target = job.sset, job.target
        if tree is None:
            tree = local_manifest(self._source(), sset.exclude, mtime_ns=True)
        elif not tree:
            raise SyncError(f"the mirror of set {sset.name} would be empty after the pull, "
                            "and an empty mirror is never pushed (it would wipe the host)")
        if sset.transport == "sftp":
            return push_sftp.push(job, tree)
        known = self.records.load(sset.name, target, job.host_path, sset.exclude,
                                  mtime_ns=True) if sset.atomic else None
        found = predict.push_over_rsync(sset, target, job.host_path, tree, known,
                                        self.run.timeout, master)
        if isinstance(found, NoRsync):
            return self._fallback(target, found, lambda: push_sftp.push(job, tree))
        check_deletions(sset, target.host, dataclasses.replace(
            found, deleted=predict.own_deletions(found.deleted, sset.exclude))
            if sset.atomic else found, self.run.allow_deletes)
        log.info("planned: set=%s direction=push host=%s created=%d updated=%d deleted=%d",
                 sset.name, target.host, len(found.created), len(found.updated),
                 len(found.deleted))
        return make_report(sset, "push", target.host, found, dry_run=True)

    def keep(self, host: str) -> str:
        """A plain set: the host's folder kept whole as `<path>.kept/<id>/` (kept.py)."""
        if self.sset.atomic:
            return ""
        path = self.host_path(host)
        copy = kept.keep(self._target(host), path, self.sset.keep_releases)
        return f"{release.base_path(path)}.kept/{copy}" if copy else ""

    def rollback(self, host: str, *, dry_run: bool = False) -> tuple[str, str] | None:
        """Point the host's live release at the one before it (release.rollback); a plain
        set: put the newest kept copy live (kept.restore)."""
        target, path = self._target(host), self.host_path(host)
        if dry_run:
            release.base_path(path)  # an absolute path, or SyncError
            return None
        if not self.sset.atomic:
            return kept.restore(target, path)
        return release.rollback(target, release.base_path(path))

    def _job(self, host: str, master: SshMaster | None, local: Path | None = None) -> Push:
        """The push to `host`; `local` by default the last good snapshot (resolved after the
        host's settings are checked)."""
        target, host_path = self._target(host), self.host_path(host)
        return Push(self._push_set(), target, host_path, local or self._source(), self.records,
                    self.run.timeout, self.run.allow_deletes, self.run.cancel, master)

    def _source(self) -> Path:
        """The last good snapshot a push reads, resolved once; SyncError when there is none or
        it is empty (pushing it would wipe the host)."""
        good = self.snapshots.last_good()
        if good is None or not any(p.name != PARTIAL_DIR for p in good.path.iterdir()):
            raise MirrorUnusable(f"mirror of set {self.sset.name} is empty; run a pull first "
                                 f"(failover sync {self.sset.name})")
        return good.path

    def _push_set(self) -> SyncSet:
        """The set, its max_delete replaced by the run's --allow-deletes when given (every gate
        of a push reads it; messages name the override, report.check_deletions)."""
        allow = self.run.allow_deletes
        return self.sset if allow is None else self.sset.replace(max_delete=allow)
