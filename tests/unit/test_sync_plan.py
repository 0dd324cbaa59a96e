"""Pure parts of issue 4: freshness, the direction guard, SFTP manifests and excludes."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from failover.errors import UsageError
from failover.freshness import data_ages, refusal, standby_warnings
from failover.model.inventory import Inventory
from failover.model.state import MirrorState, State
from failover.sync.cycle import plan_sync
from failover.sync.tree import Entry, diff, excluded, local_manifest

NOW = 1_800_000_000.0


def inventory(tmp_path: Path, **sync: Any) -> Inventory:
    return Inventory.parse({
        "site": "shop.test", "path": str(tmp_path / "inventory.yaml"),
        "state_dir": str(tmp_path / ".failover"),
        "hosts": {"a": {"address": "127.0.0.1"}, "b": {"address": "127.0.0.2"},
                  "c": {"address": "127.0.0.3"}},
        "ssh": {"known_hosts": str(tmp_path / "kh")},
        "dns": [{"provider": "powerdns", "zone": "shop.test.", "api_url": "http://127.0.0.1:1",
                 "api_key": "x", "records": [{"name": "@", "type": "A"}]}],
        "checks": [{"name": "ssh", "type": "tcp", "port": 22}],
        "sync": [{"name": "web", "path": "/srv/web/", **sync}, {"name": "media", "path": "/m"}],
    })


def state(**pushed: float) -> State:
    return State(active="a", mirrors={"web": MirrorState(pulled_at=NOW, pushed=pushed)})


def test_sync_set_defaults(tmp_path: Path) -> None:
    sset = inventory(tmp_path).sync_set("web")
    assert (sset.keep_releases, sset.max_age, sset.transport, sset.atomic) == (5, None, "auto",
                                                                                 False)


def test_freshness_without_max_age_is_never_stale(tmp_path: Path) -> None:
    inv = inventory(tmp_path)
    assert standby_warnings(inv, State(active="a"), NOW) == []
    assert refusal(inv, State(active="a"), "b", NOW) is None


def test_freshness_with_max_age(tmp_path: Path) -> None:
    inv = inventory(tmp_path, max_age="1h")
    st = state(b=NOW - 600, c=NOW - 7200)
    ages = {a.host: a for h in ("b", "c") for a in data_ages(inv, st, h, NOW) if a.set == "web"}
    assert ages["b"].age == 600
    assert not ages["b"].stale
    assert ages["c"].stale
    assert standby_warnings(inv, st, NOW) == [
        "standby c set web: data 2h old, max_age 1h: older than max_age"]
    assert refusal(inv, st, "b", NOW) is None
    reason = refusal(inv, st, "c", NOW)
    assert reason is not None
    assert "--accept-stale" in reason
    assert "data 2h old" in reason
    never = refusal(inv, State(active="a"), "b", NOW)
    assert never is not None
    assert "never synced" in never


def test_direction_guard_defaults_and_explicit_names(tmp_path: Path) -> None:
    inv = inventory(tmp_path)
    plan = plan_sync(inv, "a", [], None, None)
    assert (plan.sets, plan.source, plan.targets) == (["web", "media"], "a", ["b", "c"])
    plan = plan_sync(inv, "a", ["web"], "b", None)  # a pull from a standby: named explicitly
    assert (plan.source, plan.targets) == ("b", ["c"])  # the active host is never a default
    assert plan_sync(inv, "a", [], "b", ["a"]).targets == ["a"]  # only when named
    with pytest.raises(UsageError, match="unknown sync set 'nope'; sync sets: web, media"):
        plan_sync(inv, "a", ["nope"], None, None)
    with pytest.raises(UsageError, match="the host the sync pulls from"):
        plan_sync(inv, "a", [], None, ["a"])
    with pytest.raises(UsageError, match="unknown host 'x'"):
        plan_sync(inv, "a", [], None, ["x"])


def test_excludes_follow_rsync_forms() -> None:
    pats = ["*.log", "cache/", "var/tmp"]
    assert excluded("a/b/error.log", False, pats)
    assert excluded("x/cache", True, pats)
    assert not excluded("x/cache", False, pats)  # `cache/` matches directories only
    assert excluded("var/tmp", True, pats)
    assert not excluded("other/var/tmp", True, pats)  # `a/b` is anchored at the root
    assert not excluded("index.html", False, pats)


def test_manifest_diff_sends_only_changes(tmp_path: Path) -> None:
    src = {"d": Entry("d"), "d/a": Entry("f", 3, 10), "d/b": Entry("f", 5, 10),
           "l": Entry("l", link="d/a")}
    dst = {"d": Entry("d"), "d/a": Entry("f", 3, 10), "d/b": Entry("f", 5, 9),
           "l": Entry("l", link="d/b"), "old": Entry("d"), "old/x": Entry("f", 1, 1)}
    plan = diff(src, dst)
    assert plan.created == []
    assert plan.updated == ["d/b", "l"]
    assert plan.deleted == ["old/x", "old/"]
    assert (plan.files_transferred, plan.bytes_sent) == (1, 5)

    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "f").write_text("abc")
    (tmp_path / "skip.log").write_text("x")
    (tmp_path / "ln").symlink_to("sub/f")
    m = local_manifest(tmp_path, ["*.log"])
    assert set(m) == {"sub", "sub/f", "ln"}
    assert m["ln"].link == "sub/f"
    assert m["sub/f"].size == 3
