"""Atomic releases on the rig: readers never see a mix, rollback, an interrupted push resumes."""

from __future__ import annotations

import os
import threading
import time
from pathlib import Path

import pytest

from failover.errors import SyncError
from failover.remote.ssh import ssh_target
from failover.sync import release
from failover.sync.mirror import Mirror
from tests.rig import Rig
from tests.synctree import fill, make_inventory, published, settled, tree, versions, www


def test_reader_never_sees_a_mix_and_rollback_restores(rig: Rig, tmp_path: Path) -> None:
    mirror, primary, standby = published(rig, tmp_path, files=300, atomic=True)
    v1 = tree(standby)
    assert versions(standby) == {"v1"}

    fill(primary, "v2", files=300)
    mirror.pull("webroot", "primary")
    seen: list[set[str]] = []
    done = threading.Event()

    def reader() -> None:
        while not done.is_set():
            seen.append(versions(standby))

    thread = threading.Thread(target=reader)
    thread.start()
    try:
        mirror.push("webroot", "standby")
    finally:
        time.sleep(0.05)  # let the reader take a few snapshots of the new tree too
        done.set()
        thread.join()
    assert {"v1"} in seen  # it read before the swap ...
    assert {"v2"} in seen  # ... and after it ...
    assert all(len(s) == 1 for s in seen)  # ... and never a mix
    assert tree(standby) == tree(mirror.path("webroot"))

    old, new = release.rollback(ssh_target(mirror.inventory, "standby"), str(standby))
    assert old != new
    assert tree(standby) == v1
    assert versions(standby) == {"v1"}


def test_link_down_mid_push_keeps_the_live_tree_and_the_next_run_resumes(
        host_reset: Rig, tmp_path: Path) -> None:
    rig = host_reset
    mirror, primary, standby = published(rig, tmp_path, files=4, atomic=True, bwlimit=1500,
                                         io_timeout=2)
    old_tree = tree(standby)

    fill(primary, "v2", files=30, size=250_000)  # ~7.5 MB at 1.5 MB/s: ~5 s
    mirror.pull("webroot", "primary")
    errors: list[Exception] = []

    def push() -> None:
        try:
            mirror.push("webroot", "standby")
        except SyncError as e:
            errors.append(e)

    thread = threading.Thread(target=push)
    thread.start()
    stage = Path(f"{standby}.releases/.next")
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:  # wait until the new release has some bytes in it
        staged = list(stage.rglob("*.bin")) if stage.is_dir() else []
        if sum(p.stat().st_size for p in staged if p.is_file()) > 1_000_000:
            break
        time.sleep(0.05)
    else:
        pytest.fail("the push never started writing")
    with rig.standby.link_down():
        thread.join(timeout=60)
        assert not thread.is_alive()
    assert errors, "the push should have failed with the link down"
    assert str(errors[0]) == (f"rsync with standby ({rig.standby.address} port 22) failed "
                              "(exit 30, timed out sending or receiving data): [sender] io "
                              "timeout after 2 seconds -- exiting")
    assert tree(standby) == old_tree  # the live tree is the old one, complete

    fast = make_inventory(rig, tmp_path, atomic=True)
    report = Mirror(fast).push("webroot", "standby")
    assert tree(standby) == tree(mirror.path("webroot"))
    assert versions(standby) == {"v2"}
    assert report.bytes_sent < 30 * 250_000  # resumed: what arrived before the cut is not resent


def test_each_push_sends_only_its_own_changes_and_detects_no_change(
        rig: Rig, tmp_path: Path) -> None:
    mirror, primary, standby = published(rig, tmp_path, atomic=True, keep_releases=2)
    for i in range(5):  # past keep_releases: old releases are pruned as pushes go on
        # a different file each time (a stage made from an older release would send them all
        # again), one file deleted and one created in the middle
        changed = primary / f"d{i % 2}" / f"f{i:04d}.bin"
        changed.write_bytes(b"v2\n" + os.urandom(1000))
        if i == 2:
            (primary / "d0" / "f0010.bin").unlink()
            (primary / "d1" / "new.bin").write_bytes(b"new")
        mirror.pull("webroot", "primary")
        report = mirror.push("webroot", "standby")
        assert tree(standby) == tree(mirror.path("webroot"))
        # only this push's changes travel
        assert report.files_transferred == (2 if i == 2 else 1), report
        assert report.updated == [changed.relative_to(primary).as_posix()]
    assert report.bytes_sent < 5_000
    settled(standby)  # the next stage is a hard-link copy of the live release; old ones gone
    assert tree(Path(f"{standby}.releases/.next")) == tree(standby)
    assert os.stat(f"{standby}.releases/.next/index.html").st_ino == \
        os.stat(standby / "index.html").st_ino
    releases = sorted(d for d in os.listdir(f"{standby}.releases") if not d.startswith("."))
    assert len(releases) == 2
    assert sorted(d for d in os.listdir(f"{standby}.releases") if d.startswith(".")) == \
        [".lock", ".next"]
    assert mirror.push("webroot", "standby").lines() == ["no changes"]
    assert sorted(d for d in os.listdir(f"{standby}.releases") if not d.startswith(".")) == \
        releases


def test_a_symlink_in_the_live_release_is_never_written_through(rig: Rig,
                                                                tmp_path: Path) -> None:
    """A folder that is a symlink to outside the tree in the live release (and so in the next
    stage, its hard-link copy) and a real folder in the mirror: the push replaces the symlink
    with the folder, and nothing is written where the symlink pointed."""
    inv = make_inventory(rig, tmp_path, atomic=True, keep_releases=2)
    primary, standby = www(inv, "primary"), www(inv, "standby")
    outside = standby.parent / "outside"
    outside.mkdir(parents=True)
    fill(primary, "v1", files=4)
    (primary / "x").symlink_to(outside)
    mirror = Mirror(inv)
    for i in range(4):
        if i == 1:  # x becomes a real folder, with a file in it
            (primary / "x").unlink()
            (primary / "x").mkdir()
            (primary / "x" / "f").write_text("shop data\n")
        else:
            (primary / "index.html").write_text(f"round {i}\n")
        mirror.pull("webroot", "primary")
        mirror.push("webroot", "standby")
        assert tree(standby) == tree(mirror.path("webroot"))
    assert list(outside.iterdir()) == []


def test_without_flock_on_the_host_the_push_prepares_its_own_stage(host_reset: Rig,
                                                                   tmp_path: Path) -> None:
    rig = host_reset
    inv = make_inventory(rig, tmp_path, atomic=True, keep_releases=2)
    primary, standby = www(inv, "primary"), www(inv, "standby")
    fill(primary, "v1", files=20)
    mirror = Mirror(inv)
    with rig.standby.hide_tools("flock"):
        assert "missing" in rig.standby.ssh(["sh", "-c", "command -v flock || echo missing"]).stdout
        for i in range(4):
            (primary / "d0" / f"f{2 * i:04d}.bin").write_bytes(b"v2\n" + os.urandom(1000))
            mirror.pull("webroot", "primary")
            report = mirror.push("webroot", "standby")
            assert tree(standby) == tree(mirror.path("webroot"))
            assert report.files_transferred == (21 if i == 0 else 1)
            # nothing runs after the session: old releases are removed before it ends, and
            # the next push copies the live release itself
            assert [d for d in os.listdir(f"{standby}.releases") if d.startswith(".")] == []
        assert len(os.listdir(f"{standby}.releases")) == 2
