"""Mirror pull/push with rsync over the rig's real sshd: plan, apply, gates, host keys."""

from __future__ import annotations

import filecmp
import os
from pathlib import Path

import pytest

from failover.errors import HostKeyMismatch, SyncError, UnsafePlan
from failover.model.inventory import Inventory
from failover.sync.mirror import Mirror
from tests.rig import Rig
from tests.synctree import fill_shop, make_inventory, tree, www


@pytest.fixture
def shop(rig: Rig, tmp_path: Path) -> Inventory:
    inv = make_inventory(rig, tmp_path)
    fill_shop(www(inv, "primary"))
    www(inv, "standby").mkdir(parents=True)
    return inv


def test_pull_then_push_makes_identical_trees(shop: Inventory) -> None:
    mirror = Mirror(shop)
    pulled = mirror.pull("webroot", "primary")
    assert pulled.direction == "pull"
    assert not pulled.dry_run
    assert "index.html" in pulled.created
    assert "img/a name with spaces.png" in pulled.created
    assert pulled.files_transferred == 4
    assert pulled.bytes_received > 200_000
    assert mirror.path("webroot").parent.stat().st_mode & 0o777 == 0o700

    pushed = mirror.push("webroot", "standby")
    assert pushed.files_transferred == 4
    assert pushed.bytes_sent > 200_000
    assert "+ index.html" in pushed.lines()

    expected = {k: v for k, v in tree(www(shop, "primary")).items()
                if not k.startswith("var/cache") and not k.endswith(".log")}
    assert tree(mirror.path("webroot")) == expected
    assert tree(www(shop, "standby")) == expected
    assert not filecmp.dircmp(mirror.path("webroot"), www(shop, "standby")).diff_files
    assert not (www(shop, "standby") / ".rsync-partial").exists()

    again = mirror.push("webroot", "standby")  # idempotent: nothing left to do
    assert again.lines() == ["no changes"]
    assert again.files_transferred == 0


@pytest.mark.parametrize("atomic", [False, True], ids=["plain", "atomic"])
def test_a_same_size_rewrite_within_one_second_is_synced(rig: Rig, tmp_path: Path,
                                                          atomic: bool) -> None:
    """rsync's default quick check compares whole seconds: a file rewritten at the same size
    in the same second as the last sync would be skipped on the pull and on the push."""
    inv = make_inventory(rig, tmp_path, atomic=atomic)
    primary, standby = www(inv, "primary"), www(inv, "standby")
    primary.mkdir(parents=True)
    if not atomic:
        standby.mkdir(parents=True)
    second = 1_700_000_000 * 10**9
    mirror = Mirror(inv)
    for text, ns in (("4\n", second + 100), ("5\n", second + 500_000_000)):
        (primary / "version.txt").write_text(text)
        os.utime(primary / "version.txt", ns=(ns, ns))
        pulled = mirror.pull("webroot", "primary")
        pushed = mirror.push("webroot", "standby")
    assert pulled.updated == pushed.updated == ["version.txt"]
    assert (standby / "version.txt").read_text() == "5\n"
    assert mirror.push("webroot", "standby").lines() == ["no changes"]


def test_push_updates_and_deletes(shop: Inventory) -> None:
    mirror = Mirror(shop)
    mirror.pull("webroot", "primary")
    mirror.push("webroot", "standby")
    primary = www(shop, "primary")
    (primary / "style.css").write_text("body{color:green}\n")
    (primary / "index.html").unlink()
    (primary / "new.html").write_text("new\n")
    (www(shop, "standby") / "stray.html").write_text("only on the standby\n")

    mirror.pull("webroot", "primary")
    report = mirror.push("webroot", "standby")
    assert report.created == ["new.html"]
    assert report.updated == ["style.css"]
    assert sorted(report.deleted) == ["index.html", "stray.html"]
    assert report.lines() == ["+ new.html", "~ style.css"] + [
        f"- {n}" for n in report.deleted]
    assert (www(shop, "standby") / "style.css").read_text() == "body{color:green}\n"
    assert not (www(shop, "standby") / "stray.html").exists()


def test_dry_run_changes_nothing(shop: Inventory) -> None:
    mirror = Mirror(shop)
    plan = mirror.pull("webroot", "primary", dry_run=True)
    assert plan.dry_run
    assert "index.html" in plan.created
    assert not (shop.state_dir / "mirror" / "webroot").exists()

    mirror.pull("webroot", "primary")
    (www(shop, "standby") / "stray.html").write_text("x\n")
    before = tree(www(shop, "standby"))
    plan = mirror.push("webroot", "standby", dry_run=True)
    assert plan.dry_run
    assert "+ index.html" in plan.lines()
    assert "- stray.html" in plan.lines()
    assert plan.files_transferred == 4  # what it would transfer
    assert tree(www(shop, "standby")) == before


def test_max_delete_stops_the_push_before_any_change(rig: Rig, tmp_path: Path) -> None:
    inv = make_inventory(rig, tmp_path, max_delete=3)
    fill_shop(www(inv, "primary"))
    standby = www(inv, "standby")
    standby.mkdir(parents=True)
    for i in range(5):
        (standby / f"old-{i}.html").write_text("old\n")
    mirror = Mirror(inv)
    mirror.pull("webroot", "primary")
    before = tree(standby)
    with pytest.raises(UnsafePlan) as err:
        mirror.push("webroot", "standby")
    assert str(err.value) == ("sync webroot to standby would delete 5 files, more than "
                              "max_delete=3; check sync[webroot].path.standby first; if the "
                              "deletions are meant: --allow-deletes 5 for this run, or raise "
                              "sync[webroot].max_delete in the inventory")
    assert tree(standby) == before  # nothing deleted, nothing added
    with pytest.raises(UnsafePlan):  # a dry run shows the same refusal
        mirror.push("webroot", "standby", dry_run=True)
    with pytest.raises(UnsafePlan, match="more than --allow-deletes 4;"):
        Mirror(inv, allow_deletes=4).push("webroot", "standby")
    assert tree(standby) == before

    Mirror(inv, allow_deletes=5).push("webroot", "standby")  # the override, for one run
    assert tree(standby) == tree(mirror.path("webroot"))


def test_max_delete_guards_the_mirror_on_pull(rig: Rig, tmp_path: Path) -> None:
    inv = make_inventory(rig, tmp_path, max_delete=2)
    fill_shop(www(inv, "primary"))
    mirror = Mirror(inv)
    mirror.pull("webroot", "primary")
    for name in ("index.html", "style.css", "current"):
        (www(inv, "primary") / name).unlink()
    with pytest.raises(UnsafePlan, match=r"from primary would delete 3 files from the mirror"):
        mirror.pull("webroot", "primary")
    assert (mirror.path("webroot") / "index.html").exists()


def test_push_refuses_an_empty_mirror(shop: Inventory) -> None:
    (www(shop, "standby") / "index.html").write_text("keep me\n")
    with pytest.raises(SyncError, match="mirror of set webroot is empty; run a pull first"):
        Mirror(shop).push("webroot", "standby")
    assert (www(shop, "standby") / "index.html").read_text() == "keep me\n"


def test_wrong_host_key_stops_rsync(host_reset: Rig, shop: Inventory) -> None:
    mirror = Mirror(shop)
    with host_reset.primary.wrong_host_key(), pytest.raises(HostKeyMismatch) as err:
        mirror.pull("webroot", "primary")
    text = str(err.value)
    assert f"primary ({host_reset.primary.address} port 22)" in text
    assert "CHANGED" in text
    assert text.count("SHA256:") == 2
    assert "ssh-keyscan" in text
    assert not mirror.path("webroot").exists()  # no good pull yet, no mirror

    mirror.pull("webroot", "primary")
    with host_reset.standby.wrong_host_key(), pytest.raises(HostKeyMismatch, match="standby"):
        mirror.push("webroot", "standby")
    assert not any(www(shop, "standby").iterdir())


def test_unknown_host_key_stops_rsync(rig: Rig, tmp_path: Path) -> None:
    inv = make_inventory(rig, tmp_path)
    fill_shop(www(inv, "primary"))
    empty = tmp_path / "known_hosts"
    empty.write_text("")
    inv = inv.replace(ssh=inv.ssh.replace(known_hosts=empty))
    with pytest.raises(HostKeyMismatch, match=r"primary .* is not in known_hosts"):
        Mirror(inv).pull("webroot", "primary", dry_run=True)
    assert empty.read_text() == ""


def test_unreachable_host_is_a_sync_error(host_reset: Rig, shop: Inventory) -> None:
    with host_reset.primary.link_down(), pytest.raises(SyncError) as err:
        Mirror(shop).pull("webroot", "primary")
    assert "exit 255" in str(err.value)
    assert "timed out" in str(err.value)


def test_missing_source_path(shop: Inventory) -> None:
    other = shop.replace(sync=[shop.sync[0].replace(
        path={"primary": "/nonexistent/www", "standby": "/tmp/x"})])
    with pytest.raises(SyncError, match=r"exit 23, partial transfer.*nonexistent"):
        Mirror(other).pull("webroot", "primary")
