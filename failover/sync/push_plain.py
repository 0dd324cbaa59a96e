"""The plain push strategy: rsync the mirror onto the host's folder in place, gated first.

Contract:
- Plan, then apply, over one ssh connection (openssh.shared). With a pushed record (tree.py)
  the push knows what it would delete from the record, so it skips the dry run when that is
  within max_delete; the real run's `--max-delete` still stops rsync at the limit if the host
  holds files the record does not (exit 25, nothing past the limit deleted). Without a record,
  or over the limit by the record, rsync's dry run decides first (report.check_deletions).
- The real run never leaves a half-updated tree (`--delay-updates`, `--delete-delay`: rsync.py).
- Idempotent: a second push of an unchanged mirror transfers and deletes nothing.
- A host without rsync is the result NoRsync, before anything changed.
"""

from __future__ import annotations

import logging

from failover.remote.openssh import shared
from failover.sync.push_job import Push
from failover.sync.report import SyncReport, check_deletions, make_report
from failover.sync.rsync import NoRsync, ran, remote_path, rsync_argv, run_rsync
from failover.sync.tree import Pushed, local_manifest

log = logging.getLogger(__name__)


def push(job: Push) -> SyncReport | NoRsync:
    """Push `job.local` onto the host's folder (see the module docstring)."""
    sset, target = job.sset, job.target
    src, dst = f"{job.local}/", remote_path(target, job.host_path)
    with shared(job.opened, target) as master:
        tree_now = local_manifest(job.local, sset.exclude, names_only=True)
        known = job.records.load(sset.name, target, job.host_path, sset.exclude)
        trusted = known is not None and not known.release and \
            len(known.entries.keys() - tree_now.keys()) <= sset.max_delete
        control = master.ready()
        if not trusted:
            plan = run_rsync(rsync_argv(src, dst, target, delete=True, dry_run=True,
                                        excludes=sset.exclude, control=control),
                             job.timeout, target=target, master=master, cancel=job.cancel)
            if isinstance(plan, NoRsync):
                return plan
            check_deletions(sset, target.host, plan, job.allow)
        job.records.forget(sset.name, target.host)
        found = run_rsync(rsync_argv(src, dst, target, delete=True, dry_run=False,
                                     excludes=sset.exclude, max_delete=sset.max_delete,
                                     bwlimit=sset.bwlimit, io_timeout=sset.io_timeout,
                                     control=control),
                          job.timeout, target=target, master=master, cancel=job.cancel)
        if isinstance(found, NoRsync) and trusted:  # the first rsync of this push
            return found
        result = ran(found)
    job.records.save(sset.name, target, job.host_path, sset.exclude, Pushed("", tree_now))
    log.info("synced: set=%s direction=push host=%s created=%d updated=%d deleted=%d "
             "files=%d bytes_sent=%d record=%s", sset.name, target.host,
             len(result.created), len(result.updated), len(result.deleted),
             result.files_transferred, result.bytes_sent, "used" if trusted else "no")
    return make_report(sset, "push", target.host, result, dry_run=False)
