"""The mirror keeps its last good copy: each pull fills a new snapshot of the set, which becomes
the *last good* one only once the pull's gates passed (report.check_pull).

Layout, under `<state_dir>/mirror/` (0700):

    <set>                      -> .snapshots/<set>/<id>   the last good tree (relative symlink)
    .snapshots/<set>/<id>/     the newest `keep_snapshots` good pulls; ids are UTC start times
    .snapshots/<set>/.next/    the pull being filled: nothing reads it
    .snapshots/<set>/.lock     flock: held by a pull, then by the work after it (below)

Contract:
- A pull fills the stage `.next`, a hard-link copy of the last good snapshot (`cp -al`:
  unchanged files cost no copy and no disk), then `promote()` renames it `<id>` and points
  `<set>` at it with one rename(2). Until then `<set>` shows the last good snapshot and pushes
  read it (resolved once per push: `last_good()`); a refused, failed or cut pull leaves it as
  it was. A `.next` left by a cut pull is filled further by the next pull (resume).
- What snapshots share: a file whose content and attributes are the same in several of them is
  one inode. Changed content is never written through a shared inode: rsync (no --inplace) and
  the SFTP pull write it to a new file renamed over the name. rsync changes a mode, an owner or
  a symlink's mtime in place, though, when only that changed: `Stage.unshare` first gives those
  entries, as the pull's dry run lists them, an inode of their own. An attribute that changes on
  the source between the dry run and the transfer (a few milliseconds) is still changed in
  place, in the older snapshots too; content never is.
- The stage is copied while the pull's dry run runs (`cp -al` of 20,000 files: ~0.2 s, hidden
  behind the dry run: bench/pull.py). A pull refused by its gates keeps that copy, whole and
  marked pristine, for the next pull.
- After a promotion, the snapshots past `keep` (never the live one) are renamed `.trash.<id>`
  at once and removed in the background (~0.2-0.6 s for 20,000 files): the caller does not
  wait. That work holds the set's lock, so a next pull waits for it; so do the processes that
  write into a stage (cp, rsync), should they outlive a killed pull.
- A stage is *pristine* when it is an exact copy of the last good snapshot: what the transfer
  then reports is exactly what changed in the mirror. A resumed stage is not (its caller
  reports the dry run's lists).
- A mirror from before snapshots (a plain folder at `<set>`) becomes the first snapshot, named
  by the newest change time in it (so its age is never understated); an empty one is removed.
"""

from __future__ import annotations

import contextlib
import logging
import os
import shutil
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from failover.errors import SyncError
from failover.sync.localfs import (
    fsync_dir,
    lock_within,
    newest_change,
    own_inode,
    read_text_or_empty,
)
from failover.sync.rsync import PARTIAL_DIR

log = logging.getLogger(__name__)

SNAPSHOTS = ".snapshots"
STAGE = ".next"
PRISTINE = ".next.pristine"  # holds the id of the snapshot `.next` is an exact copy of
LOCK_WAIT = 300.0
_ID_FORMAT = "%Y%m%dT%H%M%S.%fZ"

# The work after a promotion, in the background (the outer shell returns at once), holding the
# set's lock through the inherited descriptor: $1 the set's snapshots folder.
_AFTER = r"""(cd -- "$1" && rm -rf -- .trash.*) </dev/null >/dev/null 2>&1 &"""


@dataclass(frozen=True)
class Snapshot:
    """One good pull of a set: its folder (resolved) and its id."""

    path: Path
    id: str

    @property
    def taken_at(self) -> float | None:
        """When its pull started (epoch seconds); None for a folder not named by us."""
        try:
            return datetime.strptime(self.id, _ID_FORMAT).replace(tzinfo=UTC).timestamp()
        except ValueError:
            return None


def snapshot_id(at: float | None = None) -> str:
    return datetime.fromtimestamp(time.time() if at is None else at, UTC).strftime(_ID_FORMAT)


def describe_age(seconds: float) -> str:
    """`12 min old`, `5 h old`, `3 days old`."""
    minutes = max(0.0, seconds) / 60
    if minutes < 120:
        return f"{minutes:.0f} min old"
    if minutes < 48 * 60:
        return f"{minutes / 60:.0f} h old"
    return f"{minutes / 1440:.0f} days old"


class Snapshots:
    """The snapshots of one set in one mirror (see the module docstring)."""

    def __init__(self, mirror_root: Path, set_name: str, keep: int,
                 lock_wait: float = LOCK_WAIT) -> None:
        self.root = mirror_root
        self.link = mirror_root / set_name
        self.dir = mirror_root / SNAPSHOTS / set_name
        self.keep = keep
        self.lock_wait = lock_wait

    def last_good(self) -> Snapshot | None:
        """The snapshot `<set>` shows, resolved now (a later pull does not change what the
        caller reads from it); None before the first good pull."""
        path = Path(os.path.realpath(self.link))
        if not path.is_dir() or (not self.link.is_symlink() and not any(path.iterdir())):
            return None
        return Snapshot(path, path.name)

    def plan_target(self) -> Path:
        """What a pull's dry run compares the source with: the last good snapshot, or a path
        that does not exist (and is never made) before the first one."""
        base = self.last_good()
        return base.path if base else self.dir / ".none"

    @contextlib.contextmanager
    def pulling(self) -> Iterator[Stage]:
        """Lock the set's snapshots and yield the stage of a new pull (SyncError when the lock
        stays held `lock_wait` seconds). Leaving without `Stage.promote()` leaves the last good
        snapshot as it was."""
        state_dir = self.root.parent
        for folder in (state_dir, self.root, self.root / SNAPSHOTS, self.dir):
            if not folder.is_dir():
                folder.mkdir(mode=0o700, parents=True, exist_ok=True)
        os.chmod(self.root, 0o700)
        fd = os.open(self.dir / ".lock", os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)
        try:
            lock_within(fd, self.dir, self.lock_wait)
            self._migrate()
            stage = Stage(self, self.last_good(), fd)
            try:
                yield stage
            finally:
                stage.finish()
        finally:
            os.close(fd)

    def point_at(self, snapshot: Path) -> None:
        """`<set>` -> `snapshot`, with one rename(2) over the old link."""
        tmp = self.root / f".{self.link.name}.new"
        tmp.unlink(missing_ok=True)
        os.symlink(os.path.relpath(snapshot, self.root), tmp)
        os.replace(tmp, self.link)
        fsync_dir(self.root)

    def prune(self, live: str) -> None:
        """Rename the snapshots past `keep` (never `live`) to `.trash.<id>` for the work after."""
        ids = sorted(n for n in os.listdir(self.dir) if not n.startswith("."))
        for old in ids[:-self.keep]:
            if old != live:
                os.rename(self.dir / old, self.dir / f".trash.{old}")

    def _migrate(self) -> None:
        """A plain folder at `<set>` (a mirror from before snapshots) becomes a snapshot."""
        if self.link.is_symlink() or not self.link.is_dir():
            return
        shutil.rmtree(self.link / PARTIAL_DIR, ignore_errors=True)
        if not any(self.link.iterdir()):
            self.link.rmdir()
            return
        target = self.dir / snapshot_id(newest_change(self.link))
        os.rename(self.link, target)
        self.point_at(target)
        log.info("migrated: mirror=%s snapshot=%s", self.link, target.name)


class Stage:
    """A pull's next snapshot, `.next` (see the module docstring). `base`: the last good
    snapshot when the pull started. `lock_fds`: the set's lock, for the processes that write
    into the stage to inherit: one that outlives the pull (its caller killed) keeps the next
    pull waiting, never writing beside it."""

    def __init__(self, snapshots: Snapshots, base: Snapshot | None, lock_fd: int) -> None:
        self.snapshots = snapshots
        self.base = base
        self.lock_fds = (lock_fd,)
        at = time.time()
        while (snapshots.dir / snapshot_id(at)).exists():  # the clock went back: never reuse
            at += 0.001
        self.id = snapshot_id(at)
        self.path = snapshots.dir / STAGE
        self.promoted: Snapshot | None = None
        self._mark = snapshots.dir / PRISTINE
        self._tmp = snapshots.dir / f"{STAGE}.tmp"
        self._copy: subprocess.Popen[bytes] | None = None
        if self.path.is_dir():
            self.pristine = base is not None and read_text_or_empty(self._mark) == base.id
            if not self.pristine:
                log.info("resumed: stage=%s", self.path)
            return
        self.pristine = True
        shutil.rmtree(self._tmp, ignore_errors=True)  # a copy cut short
        if base is None:  # the first pull: ready() makes an empty stage
            return
        # copied while the pull's dry run runs; ready() waits for it
        self._copy = subprocess.Popen(["cp", "-al", "--", str(base.path), str(self._tmp)],
                                      stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                      stderr=subprocess.PIPE, pass_fds=self.lock_fds)

    def ready(self) -> Path:
        """The stage, whole, for the transfer to write into (no longer pristine after that)."""
        self._wait_copy(check=True)
        self._mark.unlink(missing_ok=True)
        self.path.mkdir(mode=0o700, exist_ok=True)
        return self.path

    def unshare(self, names: list[str]) -> None:
        """Give each of `names` (files, symlinks) in the stage an inode of its own, with the
        same content and attributes, so a change rsync makes in place stays in this stage."""
        for name in names:
            own_inode(self.path / name)

    def promote(self) -> Snapshot:
        """Make the filled stage the last good snapshot, and prune to `keep`."""
        snaps = self.snapshots
        new = snaps.dir / self.id
        os.rename(self.path, new)
        snaps.point_at(new)
        snaps.prune(live=self.id)
        self.promoted = Snapshot(new, self.id)
        log.info("promoted: mirror=%s snapshot=%s", snaps.link, self.id)
        return self.promoted

    def finish(self) -> None:
        """End of the pull: a copy still running is finished (a pristine stage for the next
        pull); after a promotion, the pruned snapshots are removed in the background, which
        holds the lock till then."""
        self._wait_copy(check=False)
        if self.promoted is None:
            return
        try:
            subprocess.run(["sh", "-c", _AFTER, "sh", str(self.snapshots.dir)],
                           pass_fds=self.lock_fds, stdin=subprocess.DEVNULL,
                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False,
                           start_new_session=True)
        except OSError as e:  # .trash.* stays until the work after a later pull
            log.warning("not started: removing pruned snapshots in %s: %s", self.snapshots.dir,
                        e)

    def _wait_copy(self, *, check: bool) -> None:
        if self._copy is None:
            return
        copy, self._copy = self._copy, None
        _, err = copy.communicate()
        if copy.returncode == 0:
            os.rename(self._tmp, self.path)
            self._mark.write_text(f"{self.base.id if self.base else ''}\n")
        elif check:  # the half copy stays; the next pull removes it
            detail = err.decode("utf-8", "replace").strip().splitlines()
            raise SyncError(f"copying the last good snapshot {self.base.path if self.base else ''}"
                            f" to {self._tmp} failed (exit {copy.returncode})"
                            + (f": {detail[-1]}" if detail else "")
                            + "; the state dir needs a file system with hard links")
