"""The quorum over checkers' views (failover/coord/views.py combine): pure."""

from __future__ import annotations

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
