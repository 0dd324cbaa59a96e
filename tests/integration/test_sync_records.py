"""The pushed record (tree.py) on the rig: a shortcut that is never the only safeguard.

A push trusts what it left on a host last time, so it needs no dry run and no walk of the host.
These tests change the host behind the record's back and check that what the user sees (the
tree on the host, the report, the refusals) stays true.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from failover.errors import SyncError, UnsafePlan
from failover.remote.ssh import ssh_target
from failover.sync import release
from failover.sync.mirror import Mirror
from tests.rig import Rig
from tests.synctree import fill, make_inventory, published, tree, versions, www


def _pushed(inv_dir: Path) -> list[str]:
    folder = inv_dir / ".failover" / "mirror" / ".pushed"
    return sorted(os.listdir(folder)) if folder.is_dir() else []


def test_a_rollback_behind_the_record_is_seen_and_undone(rig: Rig, tmp_path: Path) -> None:
    inv = make_inventory(rig, tmp_path, atomic=True)
    primary, standby = www(inv, "primary"), www(inv, "standby")
    mirror = Mirror(inv)
    for version in ("v1", "v2"):
        fill(primary, version)
        mirror.pull("webroot", "primary")
        mirror.push("webroot", "standby")
    assert _pushed(tmp_path) == ["webroot@standby"]
    release.rollback(ssh_target(inv, "standby"), str(standby))  # by hand, on the host
    assert versions(standby) == {"v1"}

    report = mirror.push("webroot", "standby")  # the record still says v2 is live
    assert versions(standby) == {"v2"}
    assert tree(standby) == tree(mirror.path("webroot"))
    # measured against the tree that was really live (v1): every file changed
    assert len(report.updated) == 21
    assert "index.html" in report.updated
    assert mirror.push("webroot", "standby").lines() == ["no changes"]


def test_a_file_edited_in_the_live_release_is_not_the_records_business(
        rig: Rig, tmp_path: Path) -> None:
    """Releases are not edited on the host (they share inodes); a push still publishes the
    mirror exactly, whatever was done to the live release."""
    mirror, primary, standby = published(rig, tmp_path, atomic=True)
    (primary / "new.html").write_text("new\n")
    mirror.pull("webroot", "primary")
    (standby / "stray.html").write_text("put there by hand\n")
    report = mirror.push("webroot", "standby")
    assert report.created == ["new.html"]
    assert tree(standby) == tree(mirror.path("webroot"))  # the stray file is not carried over


def test_max_delete_by_the_record_is_checked_by_the_host_before_refusing(
        rig: Rig, tmp_path: Path) -> None:
    mirror, _, standby = published(rig, tmp_path, atomic=True, max_delete=3)
    for path in sorted((mirror.path("webroot") / "d0").iterdir())[:5]:
        path.unlink()  # (on the mirror itself: a pull would stop at the same limit)
    before = tree(standby)
    with pytest.raises(UnsafePlan, match="would delete 5 files, more than max_delete=3"):
        mirror.push("webroot", "standby")
    assert tree(standby) == before
    assert _pushed(tmp_path) == []  # a refused push leaves no record: the next one checks


def test_plain_set_never_deletes_past_max_delete_even_when_the_record_is_wrong(
        rig: Rig, tmp_path: Path) -> None:
    inv = make_inventory(rig, tmp_path, max_delete=2)
    primary, standby = www(inv, "primary"), www(inv, "standby")
    standby.mkdir(parents=True)
    fill(primary, "v1")
    mirror = Mirror(inv)
    mirror.pull("webroot", "primary")
    mirror.push("webroot", "standby")
    for i in range(5):  # files the last push did not leave there: the record cannot know
        (standby / f"stray-{i}.html").write_text("by hand\n")
    (primary / "d0" / "f0000.bin").write_text("v2\n")
    mirror.pull("webroot", "primary")

    with pytest.raises(SyncError, match=r"exit 25, the --max-delete limit stopped deletions"):
        mirror.push("webroot", "standby")
    strays = sorted(p.name for p in standby.iterdir() if p.name.startswith("stray-"))
    assert len(strays) == 3  # two deleted, no more
    assert (standby / "d0" / "f0000.bin").read_text() == "v2\n"  # the update itself landed
    assert _pushed(tmp_path) == []

    with pytest.raises(UnsafePlan, match="would delete 3 files, more than max_delete=2"):
        mirror.push("webroot", "standby")  # no record: the dry run decides, before any change
    assert sorted(p.name for p in standby.iterdir() if p.name.startswith("stray-")) == strays


def test_a_record_for_other_excludes_or_a_damaged_one_is_ignored(
        rig: Rig, tmp_path: Path) -> None:
    mirror, primary, standby = published(rig, tmp_path, atomic=True)
    record = tmp_path / ".failover" / "mirror" / ".pushed" / "webroot@standby"
    record.write_bytes(record.read_bytes()[:-40])  # cut short
    (primary / "d1" / "f0001.bin").write_text("v2\n")
    mirror.pull("webroot", "primary")
    assert mirror.push("webroot", "standby").updated == ["d1/f0001.bin"]

    # the set now excludes *.bin: the record (made with other excludes) is not used, and the
    # host's own comparison shows what leaves the live tree
    other = make_inventory(rig, tmp_path, atomic=True, exclude=["*.bin"])
    report = Mirror(other).push("webroot", "standby")
    assert len(report.deleted) == 20
    assert all(p.endswith(".bin") for p in report.deleted)
    assert not any(p.suffix == ".bin" for p in standby.rglob("*"))
