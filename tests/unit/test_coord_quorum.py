"""The quorum over checkers' views (failover/coord/views.py combine): pure."""

from __future__ import annotations

from pathlib import Path

import pytest

from failover.coord.views import combine, summary
from failover.model.coordination import View
from failover.model.state import HostState

HOSTS = ["primary", "standby"]


def view(checker: str, fail: int, down: bool, *, online: bool = True, ok: int = 0) -> View:
    return View(checker=checker, at=0.0, round=1, online=online, active="primary",
                hosts={"primary": HostState(fail=fail, ok=ok, down=down),
                       "standby": HostState(ok=5)})


def test_down_only_when_a_quorum_of_live_checkers_says_so() -> None:
    one = {"a": view("a", 3, True), "b": view("b", 0, False, ok=4), "c": view("c", 0, False)}
    assert combine(HOSTS, one, 2)["primary"].down is False
    two = {**one, "b": view("b", 3, True)}
    assert combine(HOSTS, two, 2)["primary"] == HostState(fail=3, down=True)
    assert "primary down for a, b, failing for a, b (agreed by a quorum)" in \
        " ".join(summary(HOSTS, two, 2))


def test_offline_or_missing_checkers_do_not_count() -> None:
    views = {"a": view("a", 3, True), "b": view("b", 3, True, online=False)}
    assert combine(HOSTS, views, 2)["primary"].down is False
    assert "too few to agree on anything: nobody acts" in summary(HOSTS, views, 2)[0]


def test_recovery_needs_a_quorum_too() -> None:
    views = {"a": view("a", 0, False, ok=5), "b": view("b", 0, False, ok=1),
             "c": view("c", 0, False, ok=0)}
    assert combine(HOSTS, views, 2)["primary"].ok == 1


def test_lint_knows_where_each_checker_runs() -> None:
    from failover.config.blast import blast_radius
    from failover.model.inventory import Inventory

    inv = Inventory.parse({
        "site": "shop", "path": "/x/inventory.yaml", "state_dir": "/x",
        "hosts": {"primary": {"address": "203.0.113.10", "provider": "hoster-a"},
                  "standby": {"address": "198.51.100.10", "provider": "hoster-b"}},
        "ssh": {"known_hosts": "/x/known_hosts"},
        "checks": [{"name": "t", "type": "tcp", "port": 1}],
        "dns": [{"provider": "powerdns", "zone": "shop.example.", "api_url": "http://192.0.2.1",
                 "api_key": "k", "records": [{"name": "@", "type": "A"}]}],
        "coordination": {"etcd": {"endpoints": ["http://203.0.113.20:2379",
                                                "http://192.0.2.7:2379"]},
                         "checker": "c1", "provider": "hoster-b"}})
    warnings = [w for w in blast_radius(inv) if w.startswith("coordination")]
    assert warnings == [
        "coordination.etcd.endpoints: http://203.0.113.20:2379 shares fate with host primary "
        "(203.0.113.20 is in 203.0.113.0/24): etcd must outlive the hosts it decides about",
        "coordination.provider: this checker runs at hoster-b, like host standby: when "
        "standby's hoster is down, so is this checker's view (place checkers outside the "
        "hosters they watch)"]


def test_validate_says_what_is_wrong_with_coordination(monkeypatch: pytest.MonkeyPatch,
                                                        tmp_path: Path) -> None:
    from tests.unit.test_config import MINIMAL, problems

    monkeypatch.chdir(tmp_path)  # problems() writes inventory.yaml where it runs

    assert problems(MINIMAL + """\
    coordination:
      etcd: {endpoints: ["etcd1:2379", "http://10.0.0.1:2379/v3"], prefix: failover, lease_ttl: 1s}
    """) == [
        "inventory.yaml:15:22 coordination.etcd.endpoints[0]: 'etcd1:2379' is not an etcd client "
        "URL (http://HOST:2379 or https://HOST:2379, no path)",
        "inventory.yaml:15:36 coordination.etcd.endpoints[1]: 'http://10.0.0.1:2379/v3' is not "
        "an etcd client URL (http://HOST:2379 or https://HOST:2379, no path)",
        "inventory.yaml:15:72 coordination.etcd.prefix: 'failover' does not start with '/' "
        "(e.g. /failover/shop.example/)",
        "inventory.yaml:15:93 coordination.etcd.lease_ttl: must be 2 or more, got 1.0",
    ]
    assert problems(MINIMAL + """\
    coordination:
      etcd: {endpoints: ["http://10.0.0.1:2379"]}
      quorum: 4
    """)[-1] == ("inventory.yaml:16:11 coordination.quorum: 4 is more than expected_checkers (3): "
                 "no failure could ever be agreed on; give 2-3")
