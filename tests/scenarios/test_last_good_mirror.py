"""The mirror keeps its last good copy, through the real executable: a sync set pointed at the
wrong folder on the primary (empty, or one file) is refused before the mirror or the standby
change; a failover then pushes the last good snapshot; `--allow-deletes N` lets one run through.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

from tests.site import ZONE, Site
from tests.synctree import mirror_settled, tree

PRODUCTS = 36  # with index.html, img/, img/logo.txt, orders.txt, products/: 41 files


def seed_products(site: Site) -> None:
    (site.primary.webroot / "products").mkdir()
    for i in range(PRODUCTS):
        (site.primary.webroot / "products" / f"p{i:02d}.html").write_text(f"product {i}\n")


def wrong_folders(site: Site, tag: str) -> tuple[Path, Path]:
    """(an empty folder, a folder holding one file) on the primary."""
    empty = site.primary.data_dir / tag / "empty"
    one = site.primary.data_dir / tag / "one"
    for folder in (empty, one):
        folder.mkdir(parents=True)
    (one / "index.html").write_text("<button>Add to cart</button> not the shop\n")
    return empty, one


def point(site: Site, folder: Path) -> None:
    site.edit(lambda inv: inv["sync"][0]["path"].update(primary=f"{folder}/"))


def sync_step(site: Site) -> dict[str, Any]:
    return [e for e in site.audit() if e["event"] == "step" and e["action"] == "sync"][-1]


class Snapshot:
    """The mirror's last good snapshot and the standby's files, to compare file by file."""

    def __init__(self, site: Site) -> None:
        mirror_settled(site.state_dir)
        self.link = site.state_dir / "mirror" / "webroot"
        self.target = os.readlink(self.link)
        self.mirror = tree(self.link)
        self.standby = tree(site.standby.webroot)

    def unchanged(self, site: Site) -> None:
        mirror_settled(site.state_dir)
        assert os.readlink(self.link) == self.target
        assert tree(self.link) == self.mirror
        assert tree(site.standby.webroot) == self.standby


def test_a_wrong_path_is_refused_and_a_failover_pushes_the_last_good_snapshot(
        site: Site, tmp_path: Path) -> None:
    seed_products(site)
    first = site.run("sync", "--yes")
    assert first.returncode == 0, first.stdout + first.stderr
    good = Snapshot(site)
    assert good.mirror == tree(site.primary.webroot)
    assert len(good.mirror) == 41
    empty, one = wrong_folders(site, tmp_path.name)

    point(site, empty)
    p = site.run("sync", "--yes")
    assert p.returncode == 1, p.stdout + p.stderr
    assert f"primary:{empty}/ holds no files" in p.stdout
    assert "Check sync[webroot].path.primary" in p.stdout
    assert "push webroot" not in p.stdout  # a refused pull is not pushed
    good.unchanged(site)

    point(site, one)
    p = site.run("sync", "--yes")
    assert p.returncode == 1, p.stdout + p.stderr
    assert ("sync webroot from primary would delete 40 files from the mirror, more than "
            f"max_delete_percent=25 (10 of 41) allows: primary:{one}/ holds 1 file, the mirror "
            "41 files. Check sync[webroot].path.primary first. If the deletions are meant: "
            "--allow-deletes 40 for this run") in p.stdout
    good.unchanged(site)

    point(site, one.parent / "missing")  # a typo: no such folder
    p = site.run("sync", "--yes")
    assert p.returncode == 1, p.stdout + p.stderr
    assert "No such file or directory" in p.stdout
    assert (f"Check sync[webroot].path.primary (primary:{one.parent}/missing/); the mirror "
            "keeps its last good copy") in p.stdout
    good.unchanged(site)

    # the standby drifts; then the primary's link goes down
    (site.standby.webroot / "orders.txt").unlink()
    (site.standby.webroot / "products" / "p07.html").write_text("edited on the standby\n")
    site.primary.link_down()
    p = site.run("failover", "--yes")
    assert p.returncode == 0, p.stdout + p.stderr
    step = sync_step(site)
    assert step["status"] == "warning"
    assert step["detail"].startswith("pull from primary failed (")
    assert step["detail"].endswith("; pushed the last good mirror (0 min old)")
    assert step["data"]["snapshot"] == Path(good.target).name
    assert tree(site.standby.webroot) == good.mirror  # the last good snapshot, file by file
    assert site.dns()["www." + ZONE] == [site.standby.address]


def test_a_failover_whose_pull_is_refused_pushes_the_last_good_snapshot(
        site: Site, tmp_path: Path) -> None:
    seed_products(site)
    assert site.run("sync", "--yes").returncode == 0
    good = Snapshot(site)
    _, one = wrong_folders(site, tmp_path.name)
    point(site, one)
    (site.standby.webroot / "orders.txt").unlink()  # the standby drifted

    dry = site.run("failover", "--dry-run")
    assert dry.returncode == 0, dry.stdout + dry.stderr
    assert "would pull primary -> mirror: REFUSED" in dry.stdout
    assert "+ orders.txt" in dry.stdout  # the push of the last good snapshot, predicted
    p = site.run("failover", "--yes")
    assert p.returncode == 0, p.stdout + p.stderr
    step = sync_step(site)
    assert step["status"] == "warning"
    assert step["detail"].startswith("pull from primary refused (sync webroot from primary "
                                     "would delete 40 files from the mirror"), step["detail"]
    assert step["detail"].endswith("; pushed the last good mirror (0 min old)")
    assert step["data"]["pull"] is None
    assert step["data"]["push"]["created"] == ["orders.txt"]
    assert tree(site.standby.webroot) == good.mirror
    mirror_settled(site.state_dir)
    assert os.readlink(good.link) == good.target


def test_allow_deletes_lets_one_run_through_and_is_never_stored(site: Site,
                                                                 tmp_path: Path) -> None:
    seed_products(site)
    assert site.run("sync", "--yes").returncode == 0
    _, one = wrong_folders(site, tmp_path.name)
    point(site, one)
    good = Snapshot(site)

    short = site.run("sync", "--yes", "--allow-deletes", "39")
    assert short.returncode == 1, short.stdout + short.stderr
    assert "would delete 40 files from the mirror, more than --allow-deletes 39 allows" \
        in short.stdout
    good.unchanged(site)

    dry = site.run("sync", "--dry-run", "--allow-deletes", "40")
    assert dry.returncode == 0, dry.stdout + dry.stderr
    assert "would pull webroot primary -> mirror: 0 created, 1 updated, 40 deleted" in dry.stdout
    good.unchanged(site)

    p = site.run("sync", "--yes", "--allow-deletes", "40")
    assert p.returncode == 0, p.stdout + p.stderr
    assert tree(good.link) == tree(one)
    assert tree(site.standby.webroot) == tree(one)
    audited = [e for e in site.audit() if e["event"] == "sync"][-2:]
    assert [(e["direction"], e["allow_deletes"]) for e in audited] == [("pull", 40), ("push", 40)]
    assert "allow" not in (site.state_dir / "state.json").read_text()  # audited, not kept

    # the primary's real folder back, then the wrong one again: refused again without it
    point(site, site.primary.webroot)
    assert site.run("sync", "--yes").returncode == 0
    assert len(tree(good.link)) == 41
    point(site, one)
    again = site.run("sync", "--yes")
    assert again.returncode == 1, again.stdout + again.stderr
    assert "more than max_delete_percent=25 (10 of 41) allows" in again.stdout

    # `run` (and failover, failback) take it too
    warm = site.run("run", "warm", "--to", "standby", "--yes", "--allow-deletes", "40", "--json")
    assert warm.returncode == 0, warm.stdout + warm.stderr
    step = next(s for s in json.loads(warm.stdout)["run"]["steps"] if s["action"] == "sync")
    assert step["data"]["allow_deletes"] == 40
    assert len(step["data"]["pull"]["deleted"]) == 40
    assert tree(site.standby.webroot) == tree(one)

    odd = site.run("sync", "--rollback", "webroot", "--host", "standby", "--allow-deletes", "3")
    assert odd.returncode == 2, odd.stdout + odd.stderr
    assert "--allow-deletes goes with a sync; --rollback deletes nothing" in odd.stderr


def test_a_refused_sync_dry_run_says_so(site: Site, tmp_path: Path) -> None:
    seed_products(site)
    assert site.run("sync", "--yes").returncode == 0
    _, one = wrong_folders(site, tmp_path.name)
    point(site, one)
    p = site.run("sync", "--dry-run")
    assert p.returncode == 1, p.stdout + p.stderr
    assert "pull webroot primary -> mirror: dry run FAILED: sync webroot from primary would " \
           "delete 40 files from the mirror" in p.stdout
