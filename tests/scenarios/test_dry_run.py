"""A dry run lists exactly what the real run then does: the pull's and the push's `+ ~ -`.

Through the real executable on the rig: a seeded random mix of changes on the primary, on a
fresh site (empty mirror, an older standby) and on a site synced before; `failover --dry-run`
then `failover --yes`, and `sync --dry-run` then `sync --yes`; a plain and an atomic set.
"""

from __future__ import annotations

import json
import random
import zlib
from typing import Any

import pytest

from tests.site import Site
from tests.synctree import mutate, shop_tree, tree

Lists = dict[str, dict[str, list[str]]]  # pull|push -> created|updated|deleted -> sorted names


def lists(doc: dict[str, Any], command: str) -> Lists:
    """The created/updated/deleted lists of the pull and the push in a --json document."""
    if command == "sync":
        reports = {t["direction"]: t["report"] for t in doc["transfers"]}
    else:
        step = next(s for s in doc["run"]["steps"] if s["action"] == "sync")
        reports = {d: step["data"][d] for d in ("pull", "push")}
    assert all(reports.values()), doc
    return {d: {k: sorted(r[k]) for k in ("created", "updated", "deleted")}
            for d, r in reports.items()}


def run_json(site: Site, *args: str) -> dict[str, Any]:
    p = site.run(*args, "--json")
    assert p.returncode == 0, p.stdout + p.stderr
    doc: dict[str, Any] = json.loads(p.stdout)
    return doc


@pytest.fixture(params=["plain", "atomic"])
def any_site(request: pytest.FixtureRequest) -> Site:
    return request.getfixturevalue("atomic_site" if request.param == "atomic" else "site")


@pytest.mark.parametrize("command", ["failover", "sync"])
@pytest.mark.parametrize("history", ["fresh", "synced"])
def test_the_dry_run_lists_what_the_real_run_does(any_site: Site, history: str,
                                                   command: str) -> None:
    site = any_site
    atomic = site.standby.webroot.is_symlink() or "atomic: true" in site.inventory.read_text()
    rng = random.Random(zlib.crc32(f"{history}/{command}/{atomic}".encode()))
    shop_tree(site.primary.webroot, rng)
    (site.standby.webroot / "old").mkdir()
    (site.standby.webroot / "old" / "sale.html").write_text("last year's sale\n")
    (site.standby.webroot / "standby.log").write_text("excluded: never pushed, never pulled\n")
    if history == "synced":
        assert site.run("sync", "--yes").returncode == 0
    mutate(site.primary.webroot, rng)
    mirror = site.state_dir / "mirror" / "webroot"
    before = (tree(site.standby.webroot), tree(mirror) if mirror.exists() else None)

    dry = lists(run_json(site, command, "--dry-run"), command)
    assert (tree(site.standby.webroot), tree(mirror) if mirror.exists() else None) == before, \
        "the dry run changed a tree"
    real = lists(run_json(site, command, "--yes"), command)

    assert dry == real
    assert all(real["pull"].values()) or history == "fresh", real  # the test can fail
    assert all(real["push"].values()), real
    assert "debug.log" not in str(real)
    assert "cache/" not in str(real)
    assert ("standby.log" in real["push"]["deleted"]) == (atomic and history == "fresh")


def test_the_dry_run_speaks_in_the_conditional(site: Site) -> None:
    """Fresh site: the mirror is empty, yet the push is listed, as what would happen."""
    (site.standby.webroot / "old.html").write_text("gone after the push\n")
    p = site.run("failover", "--dry-run")
    assert p.returncode == 0, p.stdout + p.stderr
    assert "would pull primary -> mirror:" in p.stdout
    assert "would push mirror -> standby:" in p.stdout
    assert "+ orders.txt" in p.stdout
    assert "- old.html" in p.stdout
    assert "would sync set webroot to standby" in p.stdout
    assert "IGNORED" not in p.stdout
    assert "empty" not in p.stdout
    assert "dry run done: nothing changed" in p.stdout
    assert not (site.state_dir / "mirror" / "webroot").exists()

    p = site.run("sync", "--dry-run")
    assert p.returncode == 0, p.stdout + p.stderr
    assert "would pull webroot primary -> mirror: 4 created, 0 updated, 0 deleted" in p.stdout
    assert "would push webroot mirror -> standby: 1 created, 2 updated, 1 deleted" in p.stdout
    assert "cannot be planned" not in p.stdout


def test_a_dry_run_whose_pull_cannot_run_predicts_the_push_from_the_mirror(
        warm_site: Site) -> None:
    site = warm_site
    (site.standby.webroot / "orders.txt").unlink()  # the standby drifted; the mirror has it
    (site.primary.webroot / "new.txt").write_text("not in the mirror yet\n")
    site.primary.link_down()
    p = site.run("failover", "--dry-run", "--json")
    assert p.returncode == 0, p.stdout + p.stderr
    step = next(s for s in json.loads(p.stdout)["run"]["steps"] if s["action"] == "sync")
    assert step["data"]["pull"] is None
    assert step["data"]["push"]["created"] == ["orders.txt"]
    assert step["detail"].startswith("pull from primary failed (")
    assert step["detail"].endswith("); would push the last good mirror (0 min old)")
