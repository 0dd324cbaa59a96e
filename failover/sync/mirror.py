"""The orchestrator's mirror of each sync set: pull from a host, push to a host.

Contract (DESIGN.md "Invariants"):
- Plan, then apply: a sync knows what it would delete before it changes anything, and a plan
  that deletes more than the set's `max_delete` raises UnsafePlan before anything changes. The
  plan comes from a dry run (`--dry-run`), or, for a push, from the record of what the last
  complete push left on that host (tree.py), which spares the dry run. The real run of a plain
  set carries `--max-delete` as a second gate: it never deletes more than that, even when the
  host holds files the plan did not know of. An atomic set is gated on the host, before the
  swap, whenever the record does not name the live release (release.py).
- One ssh connection per pull or push (rsync.SshMaster), opened first so its handshake overlaps
  the walk of the mirror; the dry run, the transfer and the publish all ride it.
- `dry_run=True` returns that plan and changes nothing anywhere (not even the mirror folder).
- A real run never leaves a half-updated tree (`--delay-updates`, `--delete-delay`; see rsync.py).
- Pushing an empty or never-pulled mirror is refused: it would wipe the host.
- A set with `atomic: true` is pushed as a whole new release behind a symlink (release.py);
  its plan and max_delete gate compare against the live release.
- Idempotent: a second sync of an unchanged tree transfers and deletes nothing.
- Which host may be written to is the caller's decision (the engine never pushes to the active
  host); this module does what it is asked.

The mirror lives in `<state_dir>/mirror/<set>/`; `state_dir/mirror` is created 0700, so the copy
is private to the orchestrator's user while the set's own folder keeps the mode of the source
tree (rsync -a copies it, and a push must give the host the same mode, not 0700).
"""

from __future__ import annotations

import dataclasses
import logging
import os
import shlex
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Literal

from failover.errors import SyncError, UnsafePlan, UsageError
from failover.model.inventory import Inventory, SyncSet
from failover.sync import release, sftp
from failover.sync.rsync import (
    PARTIAL_DIR,
    RsyncMissing,
    RsyncResult,
    SshMaster,
    remote_path,
    rsync_argv,
    run_rsync,
)
from failover.sync.ssh import SshTarget, ssh_target
from failover.sync.tree import Manifest, Pushed, PushedRecords, diff, excluded, local_manifest

log = logging.getLogger(__name__)

Direction = Literal["pull", "push"]
DEFAULT_TIMEOUT = 3600.0


@dataclass(frozen=True)
class SyncReport:
    """What one pull or push changed (or, with dry_run, would change)."""

    set: str
    direction: Direction
    host: str
    dry_run: bool
    created: list[str]
    updated: list[str]
    deleted: list[str]
    bytes_sent: int
    files_transferred: int
    bytes_received: int = 0
    warnings: list[str] = field(default_factory=list)
    transport: str = "rsync"  # or "sftp" (the fallback for hosts without rsync)

    @property
    def changed(self) -> bool:
        return bool(self.created or self.updated or self.deleted)

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    def summary(self) -> str:
        verb = "would change" if self.dry_run else "changed"
        where = f"{self.direction} {self.set} {'from' if self.direction == 'pull' else 'to'} " \
                f"{self.host}"
        if not self.changed:
            return f"{where}: no changes"
        return (f"{where}: {verb} {len(self.created)} created, {len(self.updated)} updated, "
                f"{len(self.deleted)} deleted")

    def lines(self) -> list[str]:
        """For humans: `+ new`, `~ changed`, `- deleted`, `! warning`; `no changes` if none."""
        out = [f"+ {name}" for name in self.created]
        out += [f"~ {name}" for name in self.updated]
        out += [f"- {name}" for name in self.deleted]
        out += [f"! {w}" for w in self.warnings]
        return out or ["no changes"]


class Mirror:
    """The orchestrator's copies of the inventory's sync sets."""

    def __init__(self, inventory: Inventory, *, timeout: float = DEFAULT_TIMEOUT,
                 cancel: threading.Event | None = None) -> None:
        self.inventory = inventory
        self.timeout = timeout
        self.cancel = cancel  # set by cancel_transfers(): running rsyncs stop (TransferCancelled)
        self.root = inventory.state_dir / "mirror"
        self.records = PushedRecords(self.root)

    def cancel_transfers(self) -> None:
        """Stop the rsync transfers running in other threads (an interruption in the main one).

        A stopped push leaves the host's live files as they were (--delay-updates, or a staged
        release that is never swapped in). SFTP transfers are not stopped: they end on their own.
        """
        if self.cancel is not None:
            self.cancel.set()

    def _set_dir(self, set_name: str) -> Path:
        self._sync_set(set_name)
        return self.root / set_name

    def path(self, set_name: str) -> Path:
        """`<state_dir>/mirror/<set>/`, created (0700) if missing."""
        path = self._set_dir(set_name)
        for folder in (self.inventory.state_dir, self.root, path):
            if not folder.is_dir():
                folder.mkdir(mode=0o700, parents=True, exist_ok=True)
        os.chmod(self.root, 0o700)
        return path

    def is_empty(self, set_name: str) -> bool:
        path = self._set_dir(set_name)
        return not path.is_dir() or not any(p.name != PARTIAL_DIR for p in path.iterdir())

    def pull(self, set_name: str, from_host: str, *, dry_run: bool = False) -> SyncReport:
        """host:path -> mirror. Deletes from the mirror what the host no longer has."""
        sset = self._sync_set(set_name)
        target = ssh_target(self.inventory, from_host)
        local = self._set_dir(set_name) if dry_run else self.path(set_name)
        if sset.transport == "sftp":
            return self._pull_sftp(sset, target, _host_path(sset, from_host), local, dry_run)
        src = remote_path(target, _host_path(sset, from_host))
        try:
            return self._sync(sset, "pull", target, src, f"{local}/", dry_run)
        except RsyncMissing as e:
            if sset.transport != "auto":
                raise
            log.warning("fallback: set=%s host=%s transport=sftp reason=%s", sset.name,
                        from_host, "no rsync on the host")
            return self._pull_sftp(sset, target, _host_path(sset, from_host), local, dry_run,
                                   why=str(e))

    def push(self, set_name: str, to_host: str, *, dry_run: bool = False) -> SyncReport:
        """mirror -> host:path. Deletes from the host what the mirror does not have."""
        sset = self._sync_set(set_name)
        target = ssh_target(self.inventory, to_host)
        if self.is_empty(set_name):
            raise SyncError(f"mirror of set {set_name} is empty; run a pull first "
                            f"(failover sync {set_name})")
        src = f"{self._set_dir(set_name)}/"
        host_path = _host_path(sset, to_host)
        if sset.transport == "sftp":
            return self._push_sftp(sset, target, host_path, dry_run)
        try:
            if sset.atomic:
                return self._push_release(sset, target, src, host_path, dry_run)
            return self._sync(sset, "push", target, src, remote_path(target, host_path), dry_run,
                              host_path)
        except RsyncMissing:
            if sset.transport != "auto":
                raise
            log.warning("fallback: set=%s host=%s transport=sftp reason=%s", sset.name,
                        to_host, "no rsync on the host")
            return self._push_sftp(sset, target, host_path, dry_run)

    def _push_sftp(self, sset: SyncSet, target: SshTarget, host_path: str,
                   dry_run: bool) -> SyncReport:
        """The SFTP fallback (sftp.py): same plan, gates and atomic publish as rsync.

        The connection is made while the mirror is walked. An atomic set whose pushed record
        names the live release takes the live tree from the record instead of listing it.
        """
        local = self._set_dir(sset.name)
        base = release.base_path(host_path)
        with ThreadPoolExecutor(1) as pool:
            connecting = pool.submit(sftp.SftpSession, target, sset.io_timeout)
            src = local_manifest(local, sset.exclude)
            known = self.records.load(sset.name, target, host_path, sset.exclude)
            session = connecting.result()
        # the record predicts a change within the gate: start the new release in the same
        # command that checks the live one is the record's
        predicted = diff(src, known.entries) if known and known.release else None
        new_id, old_id = release.release_ids()
        prepare = not dry_run and predicted is not None and _changes(predicted) and \
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
            _check_deletions(sset, "push", target.host, plan)
            if dry_run or not (_changes(plan) or pending or (live and live.kind != "link")):
                if not dry_run and live_id:
                    self.records.save(sset.name, target, host_path, sset.exclude,
                                      Pushed(live_id, src))
                return _report(sset, "push", target.host, plan, dry_run=dry_run,
                               transport="sftp")
            self.records.forget(sset.name, target.host)
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
                self.records.save(sset.name, target, host_path, sset.exclude,
                                  Pushed(new_id, src))
        log.info("synced: set=%s direction=push host=%s transport=sftp created=%d updated=%d "
                 "deleted=%d files=%d bytes_sent=%d", sset.name, target.host, len(plan.created),
                 len(plan.updated), len(plan.deleted), done.files_transferred, done.bytes_sent)
        return _report(sset, "push", target.host, dataclasses.replace(
            plan, bytes_sent=done.bytes_sent, files_transferred=done.files_transferred),
            dry_run=False, transport="sftp")

    def _pull_sftp(self, sset: SyncSet, target: SshTarget, host_path: str, local: Path,
                   dry_run: bool, why: str = "") -> SyncReport:
        with sftp.SftpSession(target, sset.io_timeout) as s:
            remote = host_path.rstrip("/")
            src = s.manifest(remote, sset.exclude)
            if not src:
                raise SyncError(f"{remote} on {target.describe()} is missing or empty; nothing "
                                "to pull" + (f" ({why})" if why else ""))
            plan = diff(src, local_manifest(local, sset.exclude)
                             if local.is_dir() else {})
            _check_deletions(sset, "pull", target.host, plan)
            if not dry_run:
                s.apply_pull(remote, local, src, plan)
        return _report(sset, "pull", target.host, plan, dry_run=dry_run, transport="sftp")

    def _push_release(self, sset: SyncSet, target: SshTarget, src: str, host_path: str,
                      dry_run: bool) -> SyncReport:
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
        A dry run plans against the live tree instead.
        """
        base = release.base_path(host_path)
        if dry_run:
            live = release.inspect(target, base)
            plan = run_rsync(rsync_argv(src, remote_path(target, f"{live.path or base}/"),
                                        target, delete=True, dry_run=True,
                                        excludes=sset.exclude), self.timeout, target=target,
                             cancel=self.cancel)
            _check_deletions(sset, "push", target.host, plan)
            return _report(sset, "push", target.host, plan, dry_run=True)
        started = time.monotonic()
        with SshMaster(target) as master:
            tree_now = local_manifest(self._set_dir(sset.name), sset.exclude, mtime_ns=True)
            known = self.records.load(sset.name, target, host_path, sset.exclude, mtime_ns=True)
            planned = diff(tree_now, known.entries) if known and known.release else None
            expect = known.release if known and planned is not None and \
                len(planned.deleted) <= sset.max_delete else ""
            self.records.forget(sset.name, target.host)
            new_id, old_id = release.release_ids()
            script = release.release_script(base, new_id, old_id, sset.keep_releases,
                                            sset.max_delete, expect,
                                            bool(planned and _changes(planned)))
            done = run_rsync(rsync_argv(src, remote_path(target, release.stage_path(base)),
                                        target, delete=True, dry_run=False,
                                        excludes=sset.exclude, bwlimit=sset.bwlimit,
                                        io_timeout=sset.io_timeout, delete_excluded=True,
                                        staged=True, wrapper=shlex.join(script),
                                        control=master.ready()),
                             self.timeout, target=target, master=master,
                             cancel=self.cancel)
        filled = time.monotonic()
        staged = release.read_notes(done.notes, target.describe())
        if staged.outcome == "refused":  # the live tree may hold excluded files: not ours
            counted = [p for p in staged.deleted
                       if not excluded(p.rstrip("/"), p.endswith("/"), sset.exclude)]
            _check_deletions(sset, "push", target.host, dataclasses.replace(
                done, deleted=counted))
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
        return _report(sset, "push", target.host, plan, dry_run=False)

    def _sync(self, sset: SyncSet, direction: Direction, target: SshTarget, src: str, dst: str,
              dry_run: bool, host_path: str = "") -> SyncReport:
        """A plain (not atomic) pull or push: plan, gate, apply, over one ssh connection.

        A push with a pushed record (tree.py) knows what it would delete from the record, so it
        skips the dry run when that is within max_delete; the real run's `--max-delete` still
        stops rsync at the limit if the host holds files the record does not (exit 25, nothing
        past the limit deleted). Without a record, or over the limit by the record, a dry run
        decides first.
        """
        with SshMaster(target) as master:
            tree_now: Manifest | None = None
            trusted = False
            if direction == "push" and not dry_run:
                tree_now = local_manifest(self._set_dir(sset.name), sset.exclude,
                                          names_only=True)
                known = self.records.load(sset.name, target, host_path, sset.exclude)
                trusted = known is not None and not known.release and \
                    len(known.entries.keys() - tree_now.keys()) <= sset.max_delete
            control = master.ready()
            if not trusted:
                plan = run_rsync(rsync_argv(src, dst, target, delete=True, dry_run=True,
                                            excludes=sset.exclude, control=control),
                                 self.timeout, target=target, master=master,
                                 cancel=self.cancel)
                _check_deletions(sset, direction, target.host, plan)
                if dry_run:
                    log.info("planned: set=%s direction=%s host=%s created=%d updated=%d "
                             "deleted=%d", sset.name, direction, target.host, len(plan.created),
                             len(plan.updated), len(plan.deleted))
                    return _report(sset, direction, target.host, plan, dry_run=True)
            if tree_now is not None:
                self.records.forget(sset.name, target.host)
            result = run_rsync(rsync_argv(src, dst, target, delete=True, dry_run=False,
                                          excludes=sset.exclude, max_delete=sset.max_delete,
                                          bwlimit=sset.bwlimit, io_timeout=sset.io_timeout,
                                          control=control),
                               self.timeout, target=target, master=master,
                               cancel=self.cancel)
        if tree_now is not None:
            self.records.save(sset.name, target, host_path, sset.exclude, Pushed("", tree_now))
        log.info("synced: set=%s direction=%s host=%s created=%d updated=%d deleted=%d "
                 "files=%d bytes_sent=%d bytes_received=%d record=%s", sset.name, direction,
                 target.host, len(result.created), len(result.updated), len(result.deleted),
                 result.files_transferred, result.bytes_sent, result.bytes_received,
                 "used" if trusted else "no")
        return _report(sset, direction, target.host, result, dry_run=False)

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


def _check_deletions(sset: SyncSet, direction: Direction, host: str, plan: RsyncResult) -> None:
    count = len(plan.deleted)
    if count <= sset.max_delete:
        return
    where = f"to {host}" if direction == "push" else f"from {host}"
    what = "files" if direction == "push" else "files from the mirror"
    log.warning("refused: set=%s direction=%s host=%s deletions=%d max_delete=%d", sset.name,
                direction, host, count, sset.max_delete)
    raise UnsafePlan(f"sync {sset.name} {where} would delete {count} {what}, more than "
                     f"max_delete={sset.max_delete}; raise sync[{sset.name}].max_delete in the "
                     "inventory to allow it")


def _changes(result: RsyncResult) -> bool:
    return bool(result.created or result.updated or result.deleted)


def _report(sset: SyncSet, direction: Direction, host: str, result: RsyncResult, *,
            dry_run: bool, transport: str = "rsync") -> SyncReport:
    return SyncReport(set=sset.name, direction=direction, host=host, dry_run=dry_run,
                      created=result.created, updated=result.updated, deleted=result.deleted,
                      bytes_sent=result.bytes_sent, files_transferred=result.files_transferred,
                      bytes_received=result.bytes_received, warnings=result.warnings,
                      transport=transport)
