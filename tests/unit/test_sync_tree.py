"""Manifests and pushed records (failover/sync/tree.py), on real files."""

from __future__ import annotations

import os
from pathlib import Path

from failover.remote.ssh import SshTarget
from failover.sync.tree import Entry, Pushed, PushedRecords, diff, local_manifest


def _target(tmp_path: Path, address: str = "10.203.0.12") -> SshTarget:
    return SshTarget("standby", address, 22, "deploy", tmp_path / "key", tmp_path / "kh", 5.0)


def _tree(root: Path) -> None:
    (root / "a" / "b").mkdir(parents=True)
    (root / "a" / "b" / "page.html").write_text("page\n")
    (root / "odd\tname\nhere").write_text("x\n")
    (root / "app.log").write_text("log\n")
    (root / "link").symlink_to("a/b/page.html")
    os.chmod(root / "a" / "b" / "page.html", 0o640)


def test_names_only_walk_finds_the_same_paths(tmp_path: Path) -> None:
    _tree(tmp_path)
    full = local_manifest(tmp_path, ["*.log"])
    names = local_manifest(tmp_path, ["*.log"], names_only=True)
    assert names.keys() == full.keys() == {"a", "a/b", "a/b/page.html", "odd\tname\nhere", "link"}
    assert full["a/b/page.html"] == Entry("f", 5, full["a/b/page.html"].mtime, 0o640)
    assert full["link"].link == "a/b/page.html"
    assert {k: e.kind for k, e in names.items()} == {k: e.kind for k, e in full.items()}


def test_a_mode_change_is_an_update(tmp_path: Path) -> None:
    _tree(tmp_path)
    before = local_manifest(tmp_path, [])
    os.chmod(tmp_path / "a" / "b" / "page.html", 0o644)
    os.chmod(tmp_path / "a", 0o700)  # directories compare by kind only, as the host does
    assert diff(local_manifest(tmp_path, []), before).updated == ["a/b/page.html"]


def test_records_round_trip_and_are_ignored_when_made_for_another_push(tmp_path: Path) -> None:
    tree_dir = tmp_path / "tree"
    tree_dir.mkdir()
    _tree(tree_dir)
    entries = local_manifest(tree_dir, [])
    records = PushedRecords(tmp_path / "mirror")
    target = _target(tmp_path)
    records.save("webroot", target, "/srv/shop/", ["*.log"], Pushed("20261126T000000.0Z", entries))
    path = tmp_path / "mirror" / ".pushed" / "webroot@standby"
    assert path.stat().st_mode & 0o777 == 0o600
    loaded = records.load("webroot", target, "/srv/shop/", ["*.log"])
    assert loaded == Pushed("20261126T000000.0Z", entries)

    assert records.load("webroot", target, "/srv/other/", ["*.log"]) is None
    assert records.load("webroot", target, "/srv/shop/", []) is None
    assert records.load("webroot", _target(tmp_path, "10.203.0.13"), "/srv/shop/",
                        ["*.log"]) is None
    path.write_bytes(path.read_bytes()[:-3])  # damaged: ignored, never a traceback
    assert records.load("webroot", target, "/srv/shop/", ["*.log"]) is None
    path.write_bytes(b"not json\n")
    assert records.load("webroot", target, "/srv/shop/", ["*.log"]) is None
    records.forget("webroot", "standby")
    assert not path.exists()
