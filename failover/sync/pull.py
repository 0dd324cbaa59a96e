"""A pull over rsync: host:path -> the mirror's next snapshot (snapshots.py), gated first.

Contract:
- The gates come before anything changes: rsync's dry run against the last good snapshot
  lists what the pull would create, update and delete, and report.check_pull refuses an empty
  source, or more deletions than max_delete, max_delete_percent of the mirror's files or the
  run's --allow-deletes allow. The mirror's files are counted while the dry run runs (a walk of
  names only), as the stage is copied (snapshots.py).
- The transfer then fills the stage: `--delete`, `--max-delete` at the limit the gates found (a
  source that changed since the dry run cannot delete more), no --delay-updates (nobody reads a
  stage), `--no-inc-recursive` (rsync.py). A source found empty by the transfer itself is
  refused too. Only then may the caller promote the stage.
- Before the transfer, the entries whose mode, owner or symlink mtime alone change (the dry
  run's `.f`/`.L` lines) get an inode of their own in the stage: rsync changes those in place.
- The report lists the transfer's own changes when the stage was an exact copy of the last good
  snapshot (the usual case), else (a stage resumed after a cut pull) the dry run's: either way,
  what changed between the last good snapshot and the new one.
- `plan()` is the dry run alone, with the tree the new snapshot will hold (predict.py), read
  over the same connection; it changes nothing anywhere.
"""

from __future__ import annotations

import dataclasses
import logging
import threading
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from failover.errors import SyncError, UnsafePlan
from failover.model.syncset import SyncSet
from failover.remote.openssh import SshMaster, shared
from failover.remote.ssh import SshTarget
from failover.sync import predict
from failover.sync.report import SyncReport, check_pull, make_report, path_key
from failover.sync.rsync import NoRsync, RsyncResult, ran, remote_path, rsync_argv, run_rsync
from failover.sync.rsync_output import in_place
from failover.sync.snapshots import Stage
from failover.sync.tree import Manifest, local_manifest

log = logging.getLogger(__name__)


def count_files(base: Path | None, excludes: list[str]) -> int:
    """The entries of a snapshot (folders and symlinks too), its excluded paths left out."""
    return len(local_manifest(base, excludes, names_only=True)) if base else 0


def _gated_dry_run(sset: SyncSet, target: SshTarget, host_path: str, base: Path | None,
                   into: Path, ssh: SshMaster, timeout: float, allow: int | None,
                   cancel: threading.Event | None = None) -> tuple[RsyncResult, int] | NoRsync:
    """rsync's dry run of the pull into `into` and the gates (counting the files of `base`
    meanwhile): the plan, and the deletion limit for the transfer; NoRsync when the host has
    no rsync."""
    with ThreadPoolExecutor(1) as pool:
        counting = pool.submit(count_files, base, sset.exclude)
        try:
            plan = run_rsync(rsync_argv(remote_path(target, host_path), f"{into}/", target,
                                        delete=True, dry_run=True, excludes=sset.exclude,
                                        control=ssh.ready()),
                             timeout, target=target, master=ssh, cancel=cancel)
        except SyncError as e:
            if "change_dir" not in str(e):  # rsync's words for a source folder it cannot enter
                raise
            raise SyncError(f"{e}. Check {path_key(sset, target.host)} ({target.host}:"
                            f"{host_path}); the mirror keeps its last good copy") from None
        now = counting.result()
    if isinstance(plan, NoRsync):
        return plan
    if plan.source_files is None:
        raise SyncError(f"rsync with {target.describe()} printed no file count (--stats); "
                        "the pull cannot be gated")
    limit = check_pull(sset, target.host, host_path, now=now, after=plan.source_files,
                       deleted=len(plan.deleted), allow=allow)
    return plan, limit


def pull(sset: SyncSet, target: SshTarget, host_path: str, stage: Stage, timeout: float,
         allow: int | None = None, opened: SshMaster | None = None,
         cancel: threading.Event | None = None) -> SyncReport | NoRsync:
    """Fill `stage` from host:path once the gates pass (see the module docstring); the caller
    promotes it. UnsafePlan, SyncError as raised; NoRsync (before anything changed) when the
    host has no rsync."""
    base = stage.base.path if stage.base else None
    src = remote_path(target, host_path)
    with shared(opened, target) as ssh:
        gated = _gated_dry_run(sset, target, host_path, base,
                               base or stage.snapshots.plan_target(), ssh, timeout, allow, cancel)
        if isinstance(gated, NoRsync):
            return gated
        plan, limit = gated
        into = stage.ready()
        stage.unshare(in_place(plan.itemized))
        done = ran(run_rsync(rsync_argv(src, f"{into}/", target, delete=True, dry_run=False,
                                        excludes=sset.exclude, max_delete=limit,
                                        bwlimit=sset.bwlimit, io_timeout=sset.io_timeout,
                                        staged=True, itemize=True, control=ssh.ready()),
                             timeout, target=target, master=ssh, keep_fds=stage.lock_fds,
                             cancel=cancel))
    if done.source_files == 0:  # emptied since the dry run
        raise UnsafePlan(f"sync {sset.name} from {target.host} refused: "
                         f"{target.host}:{host_path} was emptied during the pull; the mirror "
                         "keeps its last good copy")
    late = set(in_place(done.itemized)) - set(in_place(plan.itemized))
    if late:
        log.warning("shared: set=%s changed_in_place=%d first=%s (attributes changed on the "
                    "source during the pull; older snapshots show them too)", sset.name,
                    len(late), sorted(late)[0])
    if not stage.pristine:
        done = dataclasses.replace(done, created=plan.created, updated=plan.updated,
                                   deleted=plan.deleted)
    log.info("synced: set=%s direction=pull host=%s created=%d updated=%d deleted=%d files=%d "
             "bytes_received=%d stage=%s", sset.name, target.host, len(done.created),
             len(done.updated), len(done.deleted), done.files_transferred, done.bytes_received,
             "fresh" if stage.pristine else "resumed")
    return make_report(sset, "pull", target.host, done, dry_run=False)


def plan(sset: SyncSet, target: SshTarget, host_path: str, base: Path | None, into: Path,
         timeout: float, allow: int | None = None, opened: SshMaster | None = None,
         cancel: threading.Event | None = None) -> tuple[SyncReport, Manifest | None] | NoRsync:
    """The pull's dry run and gates against the last good snapshot `base` (`into`: it, or a
    path that does not exist), and the tree the new snapshot will hold (None when the source
    could not be listed; the report then says the push is predicted from the mirror)."""
    with shared(opened, target) as ssh:
        gated = _gated_dry_run(sset, target, host_path, base, into, ssh, timeout, allow, cancel)
        if isinstance(gated, NoRsync):
            return gated
        found = gated[0]
        tree: Manifest | None = None
        try:
            tree = predict.list_tree(ssh, host_path, sset.exclude, timeout)
        except SyncError as e:
            found = dataclasses.replace(found, warnings=[
                *found.warnings, f"the push is predicted from the mirror as it is: {e}"])
    log.info("planned: set=%s direction=pull host=%s created=%d updated=%d deleted=%d",
             sset.name, target.host, len(found.created), len(found.updated), len(found.deleted))
    return make_report(sset, "pull", target.host, found, dry_run=True), tree
