"""The atomic push strategy (`atomic: true`): the mirror becomes a whole new release on the
host, filled and published behind one symlink in ONE ssh session (release.py, scripts/*.sh).

Contract:
- The wrapper script runs the receiving rsync into `<path>.releases/.next/` (a hard-link copy
  of the live tree, made on the host after the previous push, so only changed files are
  written), then swaps the symlink with one rename(2): readers see the old tree or the new one.
- With a pushed record (tree.py) whose release is still live, the diff, the max_delete gate and
  the changed/unchanged decision are made here from the record, exactly, before the session
  starts; otherwise the host compares the staged tree with the live one and gates the deletions
  before the swap. Either way nothing readers see changes unless the gate passes; deletions of
  paths the set excludes are not counted (predict.own_deletions).
- An interrupted fill leaves `.next` behind; the next push fills it further (resume).
- A host without rsync is the result NoRsync, before anything changed.
"""

from __future__ import annotations

import dataclasses
import logging
import shlex
import time

from failover.remote.openssh import shared
from failover.sync import predict, release
from failover.sync.push_job import Push
from failover.sync.report import SyncReport, check_deletions, make_report
from failover.sync.rsync import NoRsync, remote_path, rsync_argv, run_rsync
from failover.sync.tree import Pushed, diff, local_manifest

log = logging.getLogger(__name__)


def push(job: Push) -> SyncReport | NoRsync:
    """Fill the staged release and publish it (see the module docstring). The ssh handshake
    overlaps the walk of the mirror."""
    sset, target, host_path = job.sset, job.target, job.host_path
    base = release.base_path(host_path)
    started = time.monotonic()
    with shared(job.opened, target) as master:
        tree_now = local_manifest(job.local, sset.exclude, mtime_ns=True)
        known = job.records.load(sset.name, target, host_path, sset.exclude, mtime_ns=True)
        planned = diff(tree_now, known.entries) if known and known.release else None
        expect = known.release if known and planned is not None and \
            len(planned.deleted) <= sset.max_delete else ""
        job.records.forget(sset.name, target.host)
        new_id, old_id = release.release_ids()
        script = release.release_script(base, new_id, old_id, sset.keep_releases,
                                        sset.max_delete, expect,
                                        bool(planned and planned.changed))
        stage = remote_path(target, release.stage_path(base))
        done = run_rsync(rsync_argv(f"{job.local}/", stage, target, delete=True, dry_run=False,
                                    excludes=sset.exclude, bwlimit=sset.bwlimit,
                                    io_timeout=sset.io_timeout, delete_excluded=True,
                                    staged=True, wrapper=shlex.join(script),
                                    control=master.ready()),
                         job.timeout, target=target, master=master, cancel=job.cancel)
    if isinstance(done, NoRsync):
        return done
    filled = time.monotonic()
    staged = release.read_notes(done.notes, target.describe())
    if staged.outcome == "refused":  # the live tree may hold excluded files: not ours
        check_deletions(sset, target.host, dataclasses.replace(
            done, deleted=predict.own_deletions(staged.deleted, sset.exclude)), job.allow)
        staged = release.publish_stage(target, base, new_id, old_id, sset.keep_releases, -1)
    changes = staged if staged.compared or planned is None else planned
    plan = dataclasses.replace(done, created=changes.created, updated=changes.updated,
                               deleted=changes.deleted)
    job.records.save(sset.name, target, host_path, sset.exclude,
                     Pushed(staged.release, tree_now), mtime_ns=True)
    log.info("synced: set=%s direction=push host=%s release=%s outcome=%s created=%d "
             "updated=%d deleted=%d files=%d bytes_sent=%d seconds=%.2f record=%s",
             sset.name, target.host, staged.release, staged.outcome, len(plan.created),
             len(plan.updated), len(plan.deleted), done.files_transferred, done.bytes_sent,
             filled - started, "used" if expect else "no")
    return make_report(sset, "push", target.host, plan, dry_run=False)
