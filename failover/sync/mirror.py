"""The orchestrator's mirror of each sync set: pull from a host, push to a host.

Contract (DESIGN.md "Invariants"):
- The mirror keeps its last good copy (snapshots.py): a pull fills a new snapshot, which
  becomes the last good one only once the pull's gates passed (report.check_pull: an empty
  source, more deletions than max_delete or max_delete_percent of the mirror's files allow, are
  refused before anything changes). A refused, failed or cut pull leaves the last good snapshot
  as it was, and pushes read it, resolved once at the start of each push. pull.py has the
  rsync pull, sftp.py the SFTP one.
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

import dataclasses
import logging
import shlex
import threading
import time
from pathlib import Path

from failover.errors import SyncError, UsageError
from failover.model.inventory import Inventory, SyncSet
from failover.remote.openssh import SshMaster, shared
from failover.remote.ssh import SshTarget, ssh_target
from failover.sync import predict, release, sftp
from failover.sync.pull import plan as plan_rsync_pull
from failover.sync.pull import pull as rsync_pull
from failover.sync.report import SyncReport, check_deletions, make_report
from failover.sync.rsync import (
    PARTIAL_DIR,
    RsyncMissing,
    remote_path,
    rsync_argv,
    run_rsync,
)
from failover.sync.snapshots import Snapshot, Snapshots
from failover.sync.tree import Manifest, Pushed, PushedRecords, diff, local_manifest

log = logging.getLogger(__name__)

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
        self.records = PushedRecords(self.root)

    def cancel_transfers(self) -> None:
        """Stop the rsync transfers running in other threads (an interruption in the main one).

        A stopped push leaves the host's live files as they were (--delay-updates, or a staged
        release that is never swapped in); a stopped pull leaves the last good snapshot. SFTP
        transfers are not stopped: they end on their own.
        """
        if self.cancel is not None:
            self.cancel.set()

    def snapshots(self, set_name: str) -> Snapshots:
        sset = self._sync_set(set_name)
        return Snapshots(self.root, sset.name, sset.keep_snapshots)

    def path(self, set_name: str) -> Path:
        """`<state_dir>/mirror/<set>`: the last good tree (a symlink to its snapshot), missing
        before the first good pull."""
        return self.snapshots(set_name).link

    def last_good(self, set_name: str) -> Snapshot | None:
        """The last good snapshot, resolved now (None before the first good pull)."""
        return self.snapshots(set_name).last_good()

    def _source(self, set_name: str) -> Path:
        """The last good snapshot a push reads, resolved once; SyncError when there is none or
        it is empty (pushing it would wipe the host)."""
        good = self.last_good(set_name)
        if good is None or not any(p.name != PARTIAL_DIR for p in good.path.iterdir()):
            raise SyncError(f"mirror of set {set_name} is empty; run a pull first "
                            f"(failover sync {set_name})")
        return good.path

    def pull(self, set_name: str, from_host: str, *, dry_run: bool = False,
             master: SshMaster | None = None) -> SyncReport:
        """host:path -> a new snapshot, the last good one once the pull's gates passed; it
        holds what the host has (deleted there, gone from it). `master`: as for push()."""
        if dry_run:
            return self.plan_pull(set_name, from_host, master=master)[0]
        sset = self._sync_set(set_name)
        target = ssh_target(self.inventory, from_host)
        host_path = _host_path(sset, from_host)
        with self.snapshots(set_name).pulling() as stage:
            base = stage.base.path if stage.base else None
            if sset.transport == "sftp":
                done = sftp.pull(sset, target, host_path, base, stage, self.allow_deletes)[0]
            else:
                try:
                    done = rsync_pull(sset, target, host_path, stage, self.timeout,
                                      self.allow_deletes, master, self.cancel)
                except RsyncMissing:
                    if sset.transport != "auto":
                        raise
                    log.warning("fallback: set=%s host=%s transport=sftp reason=%s", sset.name,
                                from_host, "no rsync on the host")
                    done = sftp.pull(sset, target, host_path, base, stage,
                                     self.allow_deletes)[0]
            stage.promote()
        return done

    def plan_pull(self, set_name: str, from_host: str, *,
                  master: SshMaster | None = None) -> tuple[SyncReport, Manifest | None]:
        """The pull's dry run (rsync's own) and gates, and the tree the new snapshot will hold
        (predict.py), read over the same connection. The tree is None when the source could
        not be listed; the report then says the push is predicted from the mirror."""
        sset = self._sync_set(set_name)
        target = ssh_target(self.inventory, from_host)
        host_path, snaps = _host_path(sset, from_host), self.snapshots(set_name)
        good = snaps.last_good()
        base = good.path if good else None
        if sset.transport == "sftp":
            return sftp.pull(sset, target, host_path, base, None, self.allow_deletes)
        try:
            return plan_rsync_pull(sset, target, host_path, base, snaps.plan_target(),
                                   self.timeout, self.allow_deletes, master, self.cancel)
        except RsyncMissing:
            if sset.transport != "auto":
                raise
            log.warning("fallback: set=%s host=%s transport=sftp reason=%s", sset.name,
                        from_host, "no rsync on the host")
            return sftp.pull(sset, target, host_path, base, None, self.allow_deletes)

    def push(self, set_name: str, to_host: str, *, dry_run: bool = False,
             tree: Manifest | None = None, master: SshMaster | None = None) -> SyncReport:
        """mirror -> host:path. Deletes from the host what the mirror does not have.

        `dry_run`: what the push would change if the mirror held `tree` (predict.py); by
        default the mirror as it is. `master`: an ssh connection to the host opened earlier
        by the caller, who closes it (openssh.shared); otherwise the push opens its own.
        """
        sset = self._push_set(set_name)
        target = ssh_target(self.inventory, to_host)
        host_path = _host_path(sset, to_host)
        if dry_run:
            return self._plan_push(sset, target, host_path, tree, master)
        local = self._source(set_name)
        if sset.transport == "sftp":
            return sftp.push(sset, target, host_path, local, self.records,
                             allow=self.allow_deletes)
        try:
            if sset.atomic:
                return self._push_release(sset, target, local, host_path, master)
            return self._push_plain(sset, target, local, host_path, master)
        except RsyncMissing:
            if sset.transport != "auto":
                raise
            log.warning("fallback: set=%s host=%s transport=sftp reason=%s", sset.name,
                        to_host, "no rsync on the host")
            return sftp.push(sset, target, host_path, local, self.records,
                             allow=self.allow_deletes)

    def _plan_push(self, sset: SyncSet, target: SshTarget, host_path: str,
                   tree: Manifest | None, master: SshMaster | None) -> SyncReport:
        """The push's dry run: its changes and gates predicted from `tree` (predict.py), by
        default the last good snapshot's."""
        if tree is None:
            tree = local_manifest(self._source(sset.name), sset.exclude, mtime_ns=True)
        elif not tree:
            raise SyncError(f"the mirror of set {sset.name} would be empty after the pull, "
                            "and an empty mirror is never pushed (it would wipe the host)")
        local = self.root / sset.name  # SFTP reads no file of it in a dry run
        if sset.transport == "sftp":
            return sftp.push(sset, target, host_path, local, self.records, tree,
                             self.allow_deletes)
        known = self.records.load(sset.name, target, host_path, sset.exclude,
                                  mtime_ns=True) if sset.atomic else None
        found = predict.push_over_rsync(sset, target, host_path, tree, known, self.timeout,
                                        master)
        if found is None:
            if sset.transport != "auto":
                raise RsyncMissing(f"rsync with {target.describe()} failed: rsync is not "
                                   "installed on the host (or not on its PATH)")
            log.warning("fallback: set=%s host=%s transport=sftp reason=%s", sset.name,
                        target.host, "no rsync on the host")
            return sftp.push(sset, target, host_path, local, self.records, tree,
                             self.allow_deletes)
        check_deletions(sset, target.host, dataclasses.replace(
            found, deleted=predict.own_deletions(found.deleted, sset.exclude))
            if sset.atomic else found, self.allow_deletes)
        log.info("planned: set=%s direction=push host=%s created=%d updated=%d deleted=%d",
                 sset.name, target.host, len(found.created), len(found.updated),
                 len(found.deleted))
        return make_report(sset, "push", target.host, found, dry_run=True)

    def _push_release(self, sset: SyncSet, target: SshTarget, local: Path, host_path: str,
                      opened: SshMaster | None = None) -> SyncReport:
        """atomic: fill the staged release and publish it, in ONE ssh session.

        The wrapper script (release.py) runs the receiving rsync into `<path>.releases/.next/`
        (a hard-link copy of the live tree, made on the host after the previous push, so only
        changed files are written), then swaps the symlink. The ssh handshake overlaps the walk
        of the mirror.
        With a pushed record (tree.py) whose release is still live, the diff, the max_delete
        gate and the changed/unchanged decision are made here from the record, exactly, before
        the session starts; otherwise the host compares the staged tree with the live one and
        gates the deletions before the swap. Either way nothing readers see changes unless the
        gate passes. An interrupted fill leaves `.next` behind; the next push fills it further.
        A dry run is predict.py's.
        """
        base = release.base_path(host_path)
        started = time.monotonic()
        with shared(opened, target) as master:
            tree_now = local_manifest(local, sset.exclude, mtime_ns=True)
            known = self.records.load(sset.name, target, host_path, sset.exclude, mtime_ns=True)
            planned = diff(tree_now, known.entries) if known and known.release else None
            expect = known.release if known and planned is not None and \
                len(planned.deleted) <= sset.max_delete else ""
            self.records.forget(sset.name, target.host)
            new_id, old_id = release.release_ids()
            script = release.release_script(base, new_id, old_id, sset.keep_releases,
                                            sset.max_delete, expect,
                                            bool(planned and planned.changed))
            stage = remote_path(target, release.stage_path(base))
            done = run_rsync(rsync_argv(f"{local}/", stage, target, delete=True, dry_run=False,
                                        excludes=sset.exclude, bwlimit=sset.bwlimit,
                                        io_timeout=sset.io_timeout, delete_excluded=True,
                                        staged=True, wrapper=shlex.join(script),
                                        control=master.ready()),
                             self.timeout, target=target, master=master, cancel=self.cancel)
        filled = time.monotonic()
        staged = release.read_notes(done.notes, target.describe())
        if staged.outcome == "refused":  # the live tree may hold excluded files: not ours
            check_deletions(sset, target.host, dataclasses.replace(
                done, deleted=predict.own_deletions(staged.deleted, sset.exclude)),
                self.allow_deletes)
            staged = release.publish_stage(target, base, new_id, old_id, sset.keep_releases, -1)
        if staged.compared or planned is None:
            changes = (staged.created, staged.updated, staged.deleted)
        else:
            changes = (planned.created, planned.updated, planned.deleted)
        plan = dataclasses.replace(done, created=changes[0], updated=changes[1],
                                   deleted=changes[2])
        self.records.save(sset.name, target, host_path, sset.exclude,
                          Pushed(staged.release, tree_now), mtime_ns=True)
        log.info("synced: set=%s direction=push host=%s release=%s outcome=%s created=%d "
                 "updated=%d deleted=%d files=%d bytes_sent=%d seconds=%.2f record=%s",
                 sset.name, target.host, staged.release, staged.outcome, len(plan.created),
                 len(plan.updated), len(plan.deleted), done.files_transferred, done.bytes_sent,
                 filled - started, "used" if expect else "no")
        return make_report(sset, "push", target.host, plan, dry_run=False)

    def _push_plain(self, sset: SyncSet, target: SshTarget, local: Path, host_path: str,
                    opened: SshMaster | None = None) -> SyncReport:
        """A plain (not atomic) push: plan, gate, apply, over one ssh connection.

        With a pushed record (tree.py) it knows what it would delete from the record, so it
        skips the dry run when that is within max_delete; the real run's `--max-delete` still
        stops rsync at the limit if the host holds files the record does not (exit 25, nothing
        past the limit deleted). Without a record, or over the limit by the record, a dry run
        decides first.
        """
        src, dst = f"{local}/", remote_path(target, host_path)
        with shared(opened, target) as master:
            tree_now = local_manifest(local, sset.exclude, names_only=True)
            known = self.records.load(sset.name, target, host_path, sset.exclude)
            trusted = known is not None and not known.release and \
                len(known.entries.keys() - tree_now.keys()) <= sset.max_delete
            control = master.ready()
            if not trusted:
                plan = run_rsync(rsync_argv(src, dst, target, delete=True, dry_run=True,
                                            excludes=sset.exclude, control=control),
                                 self.timeout, target=target, master=master, cancel=self.cancel)
                check_deletions(sset, target.host, plan, self.allow_deletes)
            self.records.forget(sset.name, target.host)
            result = run_rsync(rsync_argv(src, dst, target, delete=True, dry_run=False,
                                          excludes=sset.exclude, max_delete=sset.max_delete,
                                          bwlimit=sset.bwlimit, io_timeout=sset.io_timeout,
                                          control=control),
                               self.timeout, target=target, master=master, cancel=self.cancel)
        self.records.save(sset.name, target, host_path, sset.exclude, Pushed("", tree_now))
        log.info("synced: set=%s direction=push host=%s created=%d updated=%d deleted=%d "
                 "files=%d bytes_sent=%d record=%s", sset.name, target.host,
                 len(result.created), len(result.updated), len(result.deleted),
                 result.files_transferred, result.bytes_sent, "used" if trusted else "no")
        return make_report(sset, "push", target.host, result, dry_run=False)

    def _push_set(self, set_name: str) -> SyncSet:
        """The set, its max_delete replaced by the run's --allow-deletes when given (every gate
        of a push reads it; messages name the override, report.check_deletions)."""
        sset = self._sync_set(set_name)
        return sset if self.allow_deletes is None else sset.replace(
            max_delete=self.allow_deletes)

    def _sync_set(self, set_name: str) -> SyncSet:
        try:
            return self.inventory.sync_set(set_name)
        except KeyError:
            known = ", ".join(s.name for s in self.inventory.sync) or "none"
            raise UsageError(f"unknown sync set {set_name!r}; sync sets: {known}") from None


def _host_path(sset: SyncSet, host: str) -> str:
    try:
        return sset.path_on(host)
    except KeyError:
        raise UsageError(f"sync set {sset.name} has no path for host {host}; add "
                         f"sync[{sset.name}].path.{host} to the inventory") from None
