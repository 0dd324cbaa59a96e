"""The mirror's snapshots (failover/sync/snapshots.py) on real files: stage, promote, prune, the
work after a pull, what snapshots share, a mirror from before snapshots."""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest

from failover.errors import SyncError
from failover.sync.snapshots import (
    Snapshot,
    Snapshots,
    describe_age,
    snapshot_id,
)
from tests.synctree import mirror_settled, tree


def good_pull(snaps: Snapshots, files: dict[str, str]) -> Snapshot:
    """One pull that writes `files` (name -> content; "" deletes) into the stage, promoted."""
    with snaps.pulling() as stage:
        into = stage.ready()
        for name, text in files.items():
            path = into / name
            path.parent.mkdir(parents=True, exist_ok=True)
            if text:
                tmp = path.with_name(".tmp-" + path.name)  # a new inode, as rsync writes one
                tmp.write_text(text)
                os.replace(tmp, path)
            else:
                path.unlink()
        done = stage.promote()
    mirror_settled(snaps.root.parent, snaps.link.name)
    return done


def ids(snaps: Snapshots) -> list[str]:
    return sorted(n for n in os.listdir(snaps.dir) if not n.startswith("."))


def test_each_good_pull_is_a_snapshot_and_the_link_shows_the_last(tmp_path: Path) -> None:
    snaps = Snapshots(tmp_path / "mirror", "webroot", keep=2)
    assert snaps.last_good() is None
    first = good_pull(snaps, {"index.html": "v1", "img/logo.txt": "logo"})
    kept = first.path  # pruned after the third pull; read it while it is there
    assert (kept / "index.html").read_text() == "v1"
    assert (tmp_path / "mirror").stat().st_mode & 0o777 == 0o700
    assert snaps.link.is_symlink()
    assert os.readlink(snaps.link) == f".snapshots/webroot/{first.id}"  # relative
    second = good_pull(snaps, {"index.html": "v2"})
    index = {os.stat(p / "index.html").st_ino for p in (first.path, second.path)}
    assert len(index) == 2  # changed content: a new inode; the first snapshot keeps v1
    assert (first.path / "index.html").read_text() == "v1"
    third = good_pull(snaps, {"new.html": "new"})
    assert ids(snaps) == [second.id, third.id]  # keep: 2, the oldest removed
    assert not [n for n in os.listdir(snaps.dir) if n.startswith(".trash")]
    assert tree(snaps.link) == tree(third.path)
    assert (snaps.link / "index.html").read_text() == "v2"
    assert (second.path / "index.html").read_text() == "v2"
    assert not (second.path / "new.html").exists()
    # unchanged files are one inode in every snapshot; a changed one is not
    logo = {os.stat(p / "img" / "logo.txt").st_ino for p in (second.path, third.path)}
    assert len(logo) == 1
    last = snaps.last_good()
    assert last is not None
    assert last.id == third.id
    assert last.taken_at is not None
    assert abs(last.taken_at - time.time()) < 3600


def test_a_stage_is_a_hard_link_copy_of_the_last_good_snapshot(tmp_path: Path) -> None:
    snaps = Snapshots(tmp_path / "mirror", "webroot", keep=3)
    first = good_pull(snaps, {"a.txt": "a", "sub/b.txt": "b"})
    assert sorted(os.listdir(snaps.dir)) == [".lock", first.id]  # no stage, no trash left
    with snaps.pulling() as stage:
        assert stage.pristine
        assert stage.base == first
        into = stage.ready()
        assert tree(into) == tree(first.path)
        assert os.stat(into / "a.txt").st_ino == os.stat(first.path / "a.txt").st_ino
        assert os.stat(into / "sub").st_ino != os.stat(first.path / "sub").st_ino


def test_a_refused_pull_changes_nothing_and_leaves_a_pristine_stage(tmp_path: Path) -> None:
    snaps = Snapshots(tmp_path / "mirror", "webroot", keep=3)
    first = good_pull(snaps, {"a.txt": "a"})
    before = tree(snaps.link)
    def refused(snaps: Snapshots) -> None:
        with snaps.pulling():
            raise RuntimeError("refused by its gates")

    with pytest.raises(RuntimeError):
        refused(snaps)
    assert snaps.last_good() == first
    assert tree(snaps.link) == before
    with snaps.pulling() as stage:  # the copy started by the refused pull, finished, is reused
        assert stage.pristine
        assert tree(stage.path) == before


def test_a_stage_a_cut_pull_wrote_into_is_resumed_not_pristine(tmp_path: Path) -> None:
    snaps = Snapshots(tmp_path / "mirror", "webroot", keep=3)
    first = good_pull(snaps, {"a.txt": "a"})
    def cut(snaps: Snapshots) -> None:
        with snaps.pulling() as stage:
            (stage.ready() / "half.bin").write_text("half")
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        cut(snaps)
    assert snaps.last_good() == first
    assert not (snaps.link / "half.bin").exists()
    with snaps.pulling() as stage:
        assert not stage.pristine  # its transfer reports the dry run's lists
        assert (stage.ready() / "half.bin").read_text() == "half"


def test_unshare_keeps_an_in_place_change_out_of_older_snapshots(tmp_path: Path) -> None:
    snaps = Snapshots(tmp_path / "mirror", "webroot", keep=3)
    with snaps.pulling() as stage:
        into = stage.ready()
        (into / "page.html").write_text("page")
        (into / "same.html").write_text("same")
        (into / "link").symlink_to("page.html")
        os.chmod(into / "page.html", 0o644)
        first = stage.promote()
    mirror_settled(tmp_path, "webroot")
    old = os.lstat(first.path / "page.html")
    with snaps.pulling() as stage:
        into = stage.ready()
        assert os.lstat(into / "page.html").st_ino == old.st_ino  # shared, till unshared
        stage.unshare(["page.html", "link", "missing.html"])
        os.chmod(into / "page.html", 0o600)  # what rsync does in place for a mode change
        os.utime(into / "link", ns=(1, 1), follow_symlinks=False)
        new = os.lstat(into / "page.html")
        assert new.st_ino != old.st_ino
        assert (new.st_size, new.st_mtime_ns) == (old.st_size, old.st_mtime_ns)
        assert (into / "page.html").read_text() == "page"
        assert os.readlink(into / "link") == "page.html"
        assert os.stat(into / "same.html").st_ino == os.stat(first.path / "same.html").st_ino
        stage.promote()
    mirror_settled(tmp_path, "webroot")
    assert os.lstat(first.path / "page.html").st_mode & 0o777 == 0o644
    assert os.lstat(first.path / "link").st_mtime_ns != 1


def test_a_mirror_from_before_snapshots_becomes_the_first(tmp_path: Path) -> None:
    legacy = tmp_path / "mirror" / "webroot"
    (legacy / ".rsync-partial").mkdir(parents=True)
    (legacy / "index.html").write_text("old mirror\n")
    snaps = Snapshots(tmp_path / "mirror", "webroot", keep=3)
    before = snaps.last_good()
    assert before is not None  # pushes read it as it is
    assert before.taken_at is None
    with snaps.pulling() as stage:
        assert stage.base is not None
        migrated = stage.base
    assert snaps.link.is_symlink()
    assert (snaps.link / "index.html").read_text() == "old mirror\n"
    assert not (snaps.link / ".rsync-partial").exists()
    assert migrated.taken_at is not None
    assert migrated.taken_at <= time.time()  # named by its newest change: never younger

    empty = Snapshots(tmp_path / "other", "webroot", keep=3)
    (tmp_path / "other" / "webroot").mkdir(parents=True)  # made by an older `Mirror.path()`
    assert empty.last_good() is None
    with empty.pulling() as stage:
        assert stage.base is None
    assert not empty.link.exists()


def test_a_lock_held_too_long_is_a_sync_error(tmp_path: Path) -> None:
    import fcntl

    snaps = Snapshots(tmp_path / "mirror", "webroot", keep=3, lock_wait=0.2)
    good_pull(snaps, {"a": "a"})
    with open(snaps.dir / ".lock", "w") as held:
        fcntl.flock(held, fcntl.LOCK_EX)
        with pytest.raises(SyncError, match=r"stayed locked for 0.2s \(another pull, or the "
                                            r"work after one, is still running\)"), \
                snaps.pulling():
            pass


def test_ages_in_words() -> None:
    assert describe_age(20) == "0 min old"
    assert describe_age(119 * 60) == "119 min old"
    assert describe_age(5 * 3600) == "5 h old"
    assert describe_age(3 * 86400) == "3 days old"
    stamp = 1_700_000_000.25
    assert Snapshot(Path("/x"), snapshot_id(stamp)).taken_at == stamp
