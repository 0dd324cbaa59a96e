"""The mirror keeps its last good copy (snapshots.py, pull.py) on the rig: a pull's gates over
rsync and SFTP, what snapshots share when only a mode changes, and a pull killed mid-transfer."""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from failover.errors import UnsafePlan
from failover.model.inventory import Inventory
from failover.sync.mirror import Mirror
from tests.rig import Rig
from tests.synctree import (
    fill,
    inventory_doc,
    make_inventory,
    mirror_settled,
    tree,
    www,
)


def pulled(rig: Rig, tmp_path: Path, **sync: object) -> tuple[Mirror, Path]:
    """Set `webroot` with 20 files of v1 pulled from the primary once: (its mirror, the
    primary's path)."""
    inv = make_inventory(rig, tmp_path, **sync)
    primary = www(inv, "primary")
    fill(primary, "v1")
    mirror = Mirror(inv)
    mirror.pull("webroot", "primary")
    return mirror, primary


def pointed_at(inv: Inventory, folder: Path) -> Inventory:
    """`inv` with the set's path on the primary pointed at `folder`."""
    sset = inv.sync[0]
    assert isinstance(sset.path, dict)
    return inv.replace(sync=[sset.replace(path={**sset.path, "primary": f"{folder}/"})])


@pytest.mark.parametrize("transport", ["rsync", "sftp"])
def test_the_gates_refuse_a_wrong_path_before_the_mirror_changes(rig: Rig, tmp_path: Path,
                                                                 transport: str) -> None:
    mirror, primary = pulled(rig, tmp_path, transport=transport, max_delete=200)
    good = mirror.last_good("webroot")
    assert good is not None
    before = tree(mirror.path("webroot"))
    assert len(before) == 24  # 20 files in d0/ and d1/, index.html, link
    empty, one = primary.parent / "empty", primary.parent / "one"
    empty.mkdir()
    one.mkdir()
    (one / "index.html").write_text("the wrong folder\n")

    with pytest.raises(UnsafePlan) as err:
        Mirror(pointed_at(mirror.inventory, empty)).pull("webroot", "primary")
    assert f"primary:{empty}/ holds no files" in str(err.value)
    with pytest.raises(UnsafePlan) as err:
        Mirror(pointed_at(mirror.inventory, one)).pull("webroot", "primary")
    assert str(err.value).startswith(
        "sync webroot from primary would delete 23 files from the mirror, more than "
        f"max_delete_percent=25 (6 of 24) allows: primary:{one}/ holds 1 file, the mirror "
        "24 files. Check sync[webroot].path.primary first.")
    with pytest.raises(UnsafePlan, match="would delete 23 files"):  # a dry run says the same
        Mirror(pointed_at(mirror.inventory, one)).pull("webroot", "primary", dry_run=True)
    assert mirror.last_good("webroot") == good
    assert tree(mirror.path("webroot")) == before

    report = Mirror(pointed_at(mirror.inventory, one), allow_deletes=23).pull("webroot",
                                                                             "primary")
    assert len(report.deleted) == 23
    assert tree(mirror.path("webroot")) == tree(one)
    assert tree(good.path) == before  # the older snapshot is still whole
    mirror_settled(tmp_path / ".failover")


def test_a_mode_change_on_the_source_stays_out_of_older_snapshots(rig: Rig,
                                                                 tmp_path: Path) -> None:
    mirror, primary = pulled(rig, tmp_path)
    first = mirror.last_good("webroot")
    assert first is not None
    mirror_settled(tmp_path / ".failover")
    page = Path("d0") / "f0000.bin"
    mode = os.lstat(first.path / page).st_mode
    link_mtime = os.lstat(first.path / "link").st_mtime_ns
    os.chmod(primary / page, 0o600)
    os.utime(primary / "link", ns=(10**9, 10**9), follow_symlinks=False)

    report = mirror.pull("webroot", "primary")
    assert sorted(report.updated) == ["d0/f0000.bin", "link"]
    second = mirror.last_good("webroot")
    assert second is not None
    assert os.lstat(second.path / page).st_mode & 0o777 == 0o600
    assert os.lstat(second.path / "link").st_mtime_ns == 10**9
    assert os.lstat(first.path / page).st_mode == mode  # rsync's chmod did not reach it
    assert os.lstat(first.path / "link").st_mtime_ns == link_mtime
    same = Path("d1") / "f0001.bin"  # unchanged: one inode in both snapshots
    assert os.lstat(first.path / same).st_ino == os.lstat(second.path / same).st_ino
    mirror_settled(tmp_path / ".failover")


def _children(pid: int) -> list[tuple[int, str]]:
    """(pid, name) of the processes whose parent is `pid`."""
    found = []
    for stat_file in Path("/proc").glob("[0-9]*/stat"):
        try:
            text = stat_file.read_text()
        except OSError:
            continue
        name = text[text.index("(") + 1:text.rindex(")")]
        if int(text[text.rindex(")") + 2:].split()[1]) == pid:
            found.append((int(stat_file.parent.name), name))
    return found


PULL = """
import json, sys
from failover.model.inventory import Inventory
from failover.sync.mirror import Mirror
Mirror(Inventory.parse(json.load(open(sys.argv[1])))).pull("webroot", "primary")
"""


def test_a_pull_killed_mid_transfer_leaves_the_last_good_snapshot(rig: Rig,
                                                                  tmp_path: Path) -> None:
    mirror, primary = pulled(rig, tmp_path)
    good = mirror.last_good("webroot")
    assert good is not None
    before = tree(mirror.path("webroot"))
    mirror_settled(tmp_path / ".failover")
    fill(primary, "v2")
    (primary / "big.bin").write_bytes(os.urandom(1_000_000))
    slow = tmp_path / "slow.json"
    slow.write_text(json.dumps(inventory_doc(rig, tmp_path, bwlimit=100)))
    proc = subprocess.Popen([sys.executable, "-c", PULL, str(slow)])
    stage = tmp_path / ".failover" / "mirror" / ".snapshots" / "webroot" / ".next"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:  # until rsync writes big.bin into the stage
        if stage.is_dir() and any(p.name.startswith(".big.bin.") for p in stage.iterdir()):
            break
        time.sleep(0.05)
    else:
        proc.kill()
        pytest.fail("the pull never reached big.bin")
    children = _children(proc.pid)
    proc.kill()  # no clean-up at all: what a crash or the OOM killer leaves
    proc.wait()
    try:
        assert mirror.last_good("webroot") == good
        assert tree(mirror.path("webroot")) == before  # pushes still read v1, whole

        report = mirror.pull("webroot", "primary")  # waits while the orphan rsync writes
        assert sorted(report.created) == ["big.bin"]
        assert len(report.updated) == 21  # every .bin of v2 and index.html
        assert tree(mirror.path("webroot")) == tree(primary)
        assert tree(good.path) == before
    finally:
        for pid, name in children:  # the ssh master the killed pull left behind
            if name not in ("ssh", "rsync"):
                continue
            with contextlib.suppress(ProcessLookupError):
                os.killpg(pid, signal.SIGKILL)
        mirror_settled(tmp_path / ".failover")


def test_the_lock_is_kept_by_a_transfer_that_outlives_its_pull(rig: Rig,
                                                               tmp_path: Path) -> None:
    """What lets the next pull wait for an orphan rsync: rsync inherits the set's lock."""
    inv = make_inventory(rig, tmp_path, bwlimit=50)
    primary = www(inv, "primary")
    fill(primary, "v1", files=2)
    (primary / "big.bin").write_bytes(os.urandom(2_000_000))
    slow = tmp_path / "slow.json"
    slow.write_text(json.dumps(inventory_doc(rig, tmp_path, bwlimit=50)))
    proc = subprocess.Popen([sys.executable, "-c", PULL, str(slow)])
    stage = tmp_path / ".failover" / "mirror" / ".snapshots" / "webroot" / ".next"
    deadline = time.monotonic() + 60
    rsync: list[int] = []
    while time.monotonic() < deadline and not rsync:
        if stage.is_dir() and any(p.name.startswith(".big.bin.") for p in stage.iterdir()):
            rsync = [pid for pid, name in _children(proc.pid) if name == "rsync"]
        time.sleep(0.05)
    children = _children(proc.pid)
    lock = os.open(stage.parent / ".lock", os.O_RDONLY)
    try:
        assert rsync, "the pull never reached big.bin"
        os.kill(proc.pid, signal.SIGSTOP)  # frozen: it cannot read rsync's output, nor end
        os.kill(rsync[0], signal.SIGSTOP)  # nor can rsync end while we look
        proc.kill()
        proc.wait()
        with pytest.raises(BlockingIOError):  # the pull is gone; its rsync still holds the lock
            fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
    finally:
        for pid, name in children:  # the rsync and the ssh master the killed pull left
            if name not in ("ssh", "rsync"):
                continue
            with contextlib.suppress(ProcessLookupError):
                os.killpg(pid, signal.SIGKILL)
        os.close(lock)
    assert Mirror(inv).last_good("webroot") is None  # nothing was promoted
    mirror_settled(tmp_path / ".failover")
