"""Sync sets with `atomic: true`: releases behind one symlink, swapped in one rename."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from failover.errors import UnsafePlan
from failover.model.inventory import Inventory
from failover.sync.mirror import Mirror
from failover.sync.release import KEEP_RELEASES
from tests.rig import Rig
from tests.synctree import fill_shop, make_inventory, tree, www


@pytest.fixture
def shop(rig: Rig, tmp_path: Path) -> Inventory:
    inv = make_inventory(rig, tmp_path, atomic=True, max_delete=3)
    fill_shop(www(inv, "primary"))
    return inv


def live(inv: Inventory, host: str) -> Path:
    return Path(inv.sync_set("webroot").path_on(host).rstrip("/"))


def releases(inv: Inventory, host: str) -> list[str]:
    """The release ids (not `.next`, the one being filled)."""
    return sorted(n for n in os.listdir(f"{live(inv, host)}.releases") if not n.startswith("."))


def test_first_push_turns_a_plain_directory_into_a_release(shop: Inventory) -> None:
    standby = live(shop, "standby")
    standby.mkdir(parents=True)
    (standby / "old.html").write_text("old\n")
    mirror = Mirror(shop)
    mirror.pull("webroot", "primary")

    report = mirror.push("webroot", "standby")
    assert report.deleted == ["old.html"]
    assert "index.html" in report.created
    assert standby.is_symlink()
    assert not os.readlink(standby).startswith("/")  # relative: survives a chroot
    assert tree(standby) == tree(mirror.path("webroot"))
    old, new = releases(shop, "standby")
    assert os.readlink(standby) == f"www.releases/{new}"
    assert os.listdir(f"{standby}.releases/{old}") == ["old.html"]  # moved aside, not lost


def test_push_swaps_releases_and_links_unchanged_files(shop: Inventory) -> None:
    mirror = Mirror(shop)
    mirror.pull("webroot", "primary")
    mirror.push("webroot", "standby")
    first = os.readlink(live(shop, "standby"))

    again = mirror.push("webroot", "standby")  # nothing changed: no new release
    assert again.lines() == ["no changes"]
    assert os.readlink(live(shop, "standby")) == first

    (www(shop, "primary") / "style.css").write_text("body{color:green}\n")
    mirror.pull("webroot", "primary")
    report = mirror.push("webroot", "standby")
    assert report.updated == ["style.css"]
    assert report.files_transferred == 1
    second = os.readlink(live(shop, "standby"))
    assert second != first
    standby = live(shop, "standby")
    assert (standby / "style.css").read_text() == "body{color:green}\n"
    old_logo = standby.parent / first / "img" / "logo.bin"
    assert old_logo.stat().st_ino == (standby / "img" / "logo.bin").stat().st_ino  # hard link
    assert (standby.parent / first / "style.css").read_text() == "body{}\n"  # old one intact


def test_old_releases_are_pruned(shop: Inventory) -> None:
    mirror = Mirror(shop)
    for i in range(KEEP_RELEASES + 1):
        (www(shop, "primary") / "version.txt").write_text(f"{i}\n")
        mirror.pull("webroot", "primary")
        mirror.push("webroot", "standby")
    kept = releases(shop, "standby")
    assert len(kept) == KEEP_RELEASES
    assert os.readlink(live(shop, "standby")) == f"www.releases/{kept[-1]}"
    assert (live(shop, "standby") / "version.txt").read_text() == f"{KEEP_RELEASES}\n"


def test_atomic_dry_run_and_max_delete(shop: Inventory) -> None:
    mirror = Mirror(shop)
    mirror.pull("webroot", "primary")
    mirror.push("webroot", "standby")
    before = (releases(shop, "standby"), tree(live(shop, "standby")))

    for name in ("index.html", "style.css"):
        (www(shop, "primary") / name).unlink()
    mirror.pull("webroot", "primary")
    plan = mirror.push("webroot", "standby", dry_run=True)
    assert sorted(plan.deleted) == ["index.html", "style.css"]
    assert (releases(shop, "standby"), tree(live(shop, "standby"))) == before

    (www(shop, "primary") / "current").unlink()
    (www(shop, "primary") / "img" / "logo.bin").unlink()
    mirror.pull("webroot", "primary")
    with pytest.raises(UnsafePlan, match=r"would delete 4 files, more than max_delete=3"):
        mirror.push("webroot", "standby")
    assert (releases(shop, "standby"), tree(live(shop, "standby"))) == before


def test_pull_reads_through_the_symlink(shop: Inventory, tmp_path: Path) -> None:
    mirror = Mirror(shop)
    mirror.pull("webroot", "primary")
    mirror.push("webroot", "standby")
    other = Mirror(shop.replace(state_dir=tmp_path / "other-state"))
    report = other.pull("webroot", "standby")
    assert "index.html" in report.created
    assert tree(other.path("webroot")) == tree(mirror.path("webroot"))
