"""Atomic releases on the rig: readers never see a mix, rollback, an interrupted push resumes."""

from __future__ import annotations

import os
import threading
import time
from pathlib import Path

import pytest

from failover.errors import SyncError
from failover.sync import release
from failover.sync.mirror import Mirror
from failover.sync.ssh import ssh_target
from tests.rig import Rig
from tests.synctree import fill, make_inventory, published, tree, versions, www


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
    assert str(errors[0]).startswith("rsync with standby")
    assert "exit" in str(errors[0])
    assert tree(standby) == old_tree  # the live tree is the old one, complete

    fast = make_inventory(rig, tmp_path, atomic=True)
    report = Mirror(fast).push("webroot", "standby")
    assert tree(standby) == tree(mirror.path("webroot"))
    assert versions(standby) == {"v2"}
    assert report.bytes_sent < 30 * 250_000  # resumed: what arrived before the cut is not resent


def test_recycled_stage_sends_only_changes_and_detects_no_change(rig: Rig, tmp_path: Path) -> None:
    inv = make_inventory(rig, tmp_path, atomic=True, keep_releases=2)
    primary, standby = www(inv, "primary"), www(inv, "standby")
    fill(primary, "v1", files=20)
    mirror = Mirror(inv)
    for i in range(4):  # past keep_releases: the oldest release becomes the next stage
        (primary / "version.txt").write_text(f"{i}\n")
        # same size: a distinct mtime is what tells rsync's quick check (pull and push) that it
        # changed; four writes can fall in one tick of the file system's clock
        os.utime(primary / "version.txt", (1_700_000_000 + i, 1_700_000_000 + i))
        mirror.pull("webroot", "primary")
        report = mirror.push("webroot", "standby")
        assert tree(standby) == tree(mirror.path("webroot"))
    assert report.updated == ["version.txt"]
    assert report.files_transferred == 1
    assert Path(f"{standby}.releases/.next").is_dir()
    published = sorted(os.listdir(f"{standby}.releases"))
    assert mirror.push("webroot", "standby").lines() == ["no changes"]
    assert sorted(os.listdir(f"{standby}.releases")) == published
