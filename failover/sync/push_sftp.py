"""The SFTP push strategy: the mirror onto a host without rsync (`transport: sftp`, or `auto`
and no rsync there), through one paramiko SFTP session (sftp.py); same plan, gates and atomic
publish as over rsync.

Contract:
- The connection is made while the mirror is walked. The plan is tree.diff of the mirror and
  the host's tree (files by size and whole-second mtime: all SFTP carries); the max_delete gate
  (report.check_deletions) runs before anything changes, and the push sends exactly that plan.
- An atomic set: a new release made with `cp -al` of the live one (or started by
  release.inspect in the same command that checks the live release is the record's), then
  swapped in with one rename. An atomic set whose pushed record names the live release takes
  the live tree from the record instead of listing it. A pending release (an interrupted push)
  is filled further.
- A plain set: changed files are staged next to their targets and renamed into place together
  at the end, then deletions run (like rsync's --delay-updates --delete-delay).
- Idempotent: a second push of an unchanged mirror sends nothing.
"""

from __future__ import annotations

import dataclasses
import logging
from concurrent.futures import ThreadPoolExecutor

from failover.sync import predict, release
from failover.sync.push_job import Push
from failover.sync.report import SyncReport, check_deletions, make_report
from failover.sync.sftp import SftpSession
from failover.sync.tree import Manifest, Pushed, diff, local_manifest

log = logging.getLogger(__name__)


def push(job: Push, tree: Manifest | None = None) -> SyncReport:
    """Push the mirror `job.local` over SFTP (see the module docstring). With `tree`
    (nanosecond mtimes), a dry run: the plan of pushing a mirror that holds it (`job.local`
    is not read then)."""
    sset, target, host_path = job.sset, job.target, job.host_path
    local, records, allow = job.local, job.records, job.allow
    base = release.base_path(host_path)
    dry_run = tree is not None
    with ThreadPoolExecutor(1) as pool:
        connecting = pool.submit(SftpSession, target, sset.io_timeout)
        src = predict.whole_seconds_tree(tree) if tree is not None else \
            local_manifest(local, sset.exclude)
        known = records.load(sset.name, target, host_path, sset.exclude)
        session = connecting.result()
    # the record predicts a change within the gate: start the new release in the same
    # command that checks the live one is the record's
    predicted = diff(src, known.entries) if known and known.release else None
    new_id, old_id = release.release_ids()
    prepare = not dry_run and predicted is not None and predicted.changed and \
        len(predicted.deleted) <= sset.max_delete
    with session as s:
        live = release.inspect(target, base, s.run, expect=known.release if known else "",
                               new=new_id if prepare else "",
                               keep=sset.keep_releases) if sset.atomic else None
        live_dir = (live.path if live else base) or base
        live_id = live_dir.rsplit("/", 1)[-1] if live and live.kind == "link" else ""
        prepared = bool(live and live.prepared)  # then nothing newer was pending either
        pending = live.pending() if live else None
        if known and live_id and known.release == live_id and not pending:
            live_files = known.entries
        else:
            live_files = s.manifest(live_dir, sset.exclude)
        plan = diff(src, live_files)
        check_deletions(sset, target.host, plan, allow)
        if dry_run or not (plan.changed or pending or (live and live.kind != "link")):
            if not dry_run and live_id:
                records.save(sset.name, target, host_path, sset.exclude, Pushed(live_id, src))
            return make_report(sset, "push", target.host, dataclasses.replace(
                plan, bytes_sent=0) if dry_run else plan, dry_run=dry_run, transport="sftp")
        records.forget(sset.name, target.host)
        if live is None:
            s.run(["mkdir", "-p", "--", base], f"creating {base}")
            s.apply_push(local, base, src, s.manifest(base, sset.exclude),
                         plan, staged=True)
            done = plan
        else:
            if pending:
                new_id, old_id = release.ids_for(pending)
            work = f"{base}.releases/{new_id}"
            if not pending and not prepared:
                s.run(["sh", "-c", 'mkdir -p -- "$1" && if [ -n "$2" ]; then cp -al -- '
                       '"$2" "$3"; else mkdir -- "$3"; fi', "sh", f"{base}.releases",
                       live.path or "", work], f"preparing release {new_id}")
            # a fresh `cp -al` copy IS the live tree; only a pending one must be read again
            have = s.manifest(work, sset.exclude) if pending or not live.path else live_files
            done = diff(src, have)
            s.apply_push(local, work, src, have, done, staged=False)
            if prepared:  # pruned already: one SFTP rename publishes it
                s.swap(base, f"{base.rsplit('/', 1)[-1]}.releases/{new_id}")
                log.info("published: host=%s path=%s release=%s", target.host, base, new_id)
            else:
                release.publish(target, base, new_id, old_id, sset.keep_releases, s.run)
            records.save(sset.name, target, host_path, sset.exclude, Pushed(new_id, src))
    log.info("synced: set=%s direction=push host=%s transport=sftp created=%d updated=%d "
             "deleted=%d files=%d bytes_sent=%d", sset.name, target.host, len(plan.created),
             len(plan.updated), len(plan.deleted), done.files_transferred, done.bytes_sent)
    return make_report(sset, "push", target.host, dataclasses.replace(
        plan, bytes_sent=done.bytes_sent, files_transferred=done.files_transferred),
        dry_run=False, transport="sftp")
