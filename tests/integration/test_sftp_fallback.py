"""The SFTP fallback on the rig: the standby's sshd sessions have no rsync on their PATH."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from failover.errors import UnsafePlan
from failover.sync.mirror import Mirror
from tests.rig import Rig
from tests.synctree import fill, make_inventory, tree, versions, www


@pytest.fixture
def no_rsync(host_reset: Rig) -> Iterator[Rig]:
    with host_reset.standby.hide_tools("rsync"):
        cp = host_reset.standby.ssh(["sh", "-c", "command -v rsync || echo missing"])
        assert cp.stdout.strip() == "missing"
        assert host_reset.primary.ssh(["sh", "-c", "command -v rsync"]).returncode == 0
        yield host_reset


@pytest.mark.parametrize("atomic", [True, False])
def test_sftp_push_syncs_the_tree_then_only_changed_files(no_rsync: Rig, tmp_path: Path,
                                                          atomic: bool) -> None:
    inv = make_inventory(no_rsync, tmp_path, atomic=atomic)
    primary = www(inv, "primary")
    fill(primary, "v1", files=40)
    (primary / "var" / "cache").mkdir(parents=True)
    (primary / "var" / "cache" / "x").write_text("excluded\n")
    (primary / "debug.log").write_text("excluded\n")
    mirror = Mirror(inv)
    mirror.pull("webroot", "primary")  # rsync: the primary has it
    standby = www(inv, "standby")

    first = mirror.push("webroot", "standby")
    assert first.transport == "sftp"
    assert first.files_transferred == 41
    assert tree(standby) == tree(mirror.path("webroot"))
    assert not (standby / "debug.log").exists()
    assert (standby / "link").is_symlink()

    (primary / "d0" / "f0000.bin").write_bytes(b"v2\nchanged")
    (primary / "d1" / "f0001.bin").unlink()
    (primary / "new.txt").write_text("new\n")
    mirror.pull("webroot", "primary")
    second = mirror.push("webroot", "standby")
    assert second.transport == "sftp"
    assert second.created == ["new.txt"]
    assert second.updated == ["d0/f0000.bin"]
    assert second.deleted == ["d1/f0001.bin"]
    assert second.files_transferred == 2
    assert second.bytes_sent == len(b"v2\nchanged") + 4
    assert tree(standby) == tree(mirror.path("webroot"))
    assert mirror.push("webroot", "standby").lines() == ["no changes"]
    assert versions(standby) >= {"v1", "v2"}


def test_sftp_keeps_the_gates_and_pulls_too(no_rsync: Rig, tmp_path: Path) -> None:
    inv = make_inventory(no_rsync, tmp_path, atomic=True, max_delete=3)
    fill(www(inv, "primary"), "v1", files=10)
    mirror = Mirror(inv)
    mirror.pull("webroot", "primary")
    mirror.push("webroot", "standby")
    before = tree(www(inv, "standby"))
    for i in range(0, 10, 2):
        (www(inv, "primary") / f"d0/f{i:04d}.bin").unlink()
    other = Mirror(inv.replace(state_dir=tmp_path / "other"))
    pulled = other.pull("webroot", "standby")  # no rsync there: the pull goes through SFTP
    assert pulled.transport == "sftp"
    assert tree(other.path("webroot")) == before
    with pytest.raises(UnsafePlan, match="max_delete=3"):
        mirror.pull("webroot", "primary")
    assert tree(www(inv, "standby")) == before
