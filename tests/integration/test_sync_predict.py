"""predict.py on the rig: a dry run's pull and push lists equal the real run's, for the changes
that tell the transports' views apart (a kind that changes, symlinks, modes), for a plain and an
atomic set over rsync, and for SFTP (a host without rsync, and `transport: sftp`)."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from failover.sync.mirror import Mirror
from failover.sync.report import SyncReport
from tests.rig import Rig
from tests.synctree import make_inventory, settled, www


def lists(report: SyncReport) -> dict[str, list[str]]:
    return {"created": sorted(report.created), "updated": sorted(report.updated),
            "deleted": sorted(report.deleted)}


def dry_then_real(mirror: Mirror) -> tuple[SyncReport, SyncReport]:
    """Dry run then real run of pull + push: (real pull, real push), after checking that the
    dry run listed exactly what each of them reports."""
    planned, future = mirror.plan_pull("webroot", "primary")
    predicted = mirror.push("webroot", "standby", dry_run=True, tree=future)
    pulled = mirror.pull("webroot", "primary")
    pushed = mirror.push("webroot", "standby")
    assert (lists(planned), lists(predicted)) == (lists(pulled), lists(pushed))
    assert (planned.dry_run, predicted.dry_run, predicted.transport) == \
        (True, True, pushed.transport)
    return pulled, pushed


def odd_tree(root: Path) -> None:
    (root / "a").mkdir(parents=True)
    (root / "a" / "x.txt").write_text("x\n")
    (root / "b").write_text("a file that becomes a folder\n")
    (root / "c").mkdir()
    (root / "c" / "y.txt").write_text("in a folder that becomes a file\n")
    (root / "d").mkdir()
    (root / "link").symlink_to("a/x.txt")
    (root / "same-link").symlink_to("a/x.txt")
    (root / "debug.log").write_text("excluded\n")


def odd_changes(root: Path) -> None:
    (root / "b").unlink()
    (root / "b").mkdir()
    (root / "b" / "inside.txt").write_text("i\n")
    shutil.rmtree(root / "c")
    (root / "c").write_text("now a file\n")
    (root / "link").unlink()
    (root / "link").symlink_to("b/inside.txt")  # another target
    old = os.lstat(root / "same-link").st_mtime_ns
    (root / "same-link").unlink()
    (root / "same-link").symlink_to("a/x.txt")  # made again: same target, newer mtime
    os.utime(root / "same-link", ns=(old + 10**9, old + 10**9), follow_symlinks=False)
    (root / "d").chmod(0o700)
    (root / "a" / "x.txt").chmod(0o640)
    (root / "new.txt").write_text("new\n")


@pytest.mark.parametrize("atomic", [False, True], ids=["plain", "atomic"])
def test_kinds_symlinks_and_modes(rig: Rig, tmp_path: Path, atomic: bool) -> None:
    inv = make_inventory(rig, tmp_path, atomic=atomic)
    primary, standby = www(inv, "primary"), www(inv, "standby")
    odd_tree(primary)
    if not atomic:
        standby.mkdir(parents=True)
        (standby / "stray.txt").write_text("only on the standby\n")
    mirror = Mirror(inv)
    first_pull, first_push = dry_then_real(mirror)  # the mirror is empty: predicted anyway
    assert "c/y.txt" in first_pull.created
    assert ("stray.txt" in first_push.deleted) != atomic
    settled(standby)
    odd_changes(primary)
    pulled, pushed = dry_then_real(mirror)
    if atomic:  # the pushed record names the live release: the real push reports its diff
        assert (pushed.created, sorted(pushed.updated), pushed.deleted) == (
            ["b/inside.txt", "new.txt"], ["a/x.txt", "b/", "c", "link"], ["c/y.txt"])
    else:  # rsync's view: a new kind is created, a symlink's time and a folder's mode count
        assert (sorted(pushed.created), sorted(pushed.updated), pushed.deleted) == (
            ["b/", "b/inside.txt", "c", "new.txt"], ["a/x.txt", "d/", "link", "same-link"],
            ["c/y.txt"])
        assert lists(pulled) == lists(pushed)
    settled(standby)


@pytest.fixture
def no_rsync(host_reset: Rig) -> Iterator[Rig]:
    with host_reset.standby.hide_tools("rsync"):
        yield host_reset


@pytest.mark.parametrize("transport", ["auto", "sftp"])
def test_sftp_push_predicted_in_whole_seconds(no_rsync: Rig, tmp_path: Path,
                                              transport: str) -> None:
    inv = make_inventory(no_rsync, tmp_path, atomic=True, transport=transport)
    primary = www(inv, "primary")
    odd_tree(primary)
    mirror = Mirror(inv)
    _, first = dry_then_real(mirror)
    assert first.transport == "sftp"
    odd_changes(primary)
    (primary / "a" / "x.txt").write_text("y\n")  # same size, within a second: SFTP cannot tell
    _, pushed = dry_then_real(mirror)
    assert pushed.created == ["b/inside.txt", "new.txt"]
    assert pushed.deleted == ["c/y.txt"]


def test_a_source_that_cannot_be_listed_predicts_the_push_from_the_mirror(
        host_reset: Rig, tmp_path: Path) -> None:
    inv = make_inventory(host_reset, tmp_path)
    primary = www(inv, "primary")
    odd_tree(primary)
    www(inv, "standby").mkdir(parents=True)
    mirror = Mirror(inv)
    dry_then_real(mirror)
    (primary / "new.txt").write_text("new\n")
    with host_reset.primary.hide_tools("find"):
        planned, future = mirror.plan_pull("webroot", "primary")
    assert future is None
    assert planned.created == ["new.txt"]  # rsync's own dry run still lists the pull
    [warning] = planned.warnings
    assert warning.startswith("the push is predicted from the mirror as it is: listing "
                              f"{primary}/ on primary ({host_reset.primary.address} port 22) "
                              "failed (exit 127)")
    assert mirror.push("webroot", "standby", dry_run=True, tree=future).lines() == ["no changes"]
