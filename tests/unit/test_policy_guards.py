"""policy.py (issue 3): severity, all hosts failing at once, max_auto_failovers, flapping."""

from __future__ import annotations

import pytest

from failover import policy
from failover.checks.http import HttpCheck, status_range
from failover.model.results import CheckResult, ControlResult, RoundReport
from failover.model.state import State
from failover.policy import Status
from tests.unit.test_policy import inventory


def report(results: dict[tuple[str, str], bool], severity: dict[str, str] | None = None,
           warning: str = "") -> RoundReport:
    sev = severity or {}
    rows = tuple(CheckResult(h, c, ok, 0.01, "" if ok else "refused", severity=sev.get(c,
                             "critical"), warning=warning if ok else "")
                 for (h, c), ok in results.items())
    return RoundReport(0.0, 0.1, rows, (ControlResult("tcp://127.0.0.1:53", True),))


def hosts_ok(primary: bool, standby: bool = True, third: bool = True) -> RoundReport:
    return report({("primary", "web"): primary, ("standby", "web"): standby,
                   ("third", "web"): third})


def play(inv: object, state: State, reports: list[RoundReport],
         start: float = 1000.0) -> tuple[State, list[policy.Decision]]:
    decisions = []
    for i, r in enumerate(reports):
        state = policy.record_round(inv, state, r, start + i)  # type: ignore[arg-type]
        decisions.append(policy.decide(inv, state, r, start + i))  # type: ignore[arg-type]
    return state, decisions


def test_every_host_failing_at_once_is_unknown_and_counts_nothing() -> None:
    inv = inventory()
    state, decisions = play(inv, State(active="primary"), [hosts_ok(False, False, False)] * 5)
    assert {(d.status, d.action) for d in decisions} == {(Status.UNKNOWN, "none")}
    assert "checker's own problem" in decisions[-1].reasons[0]
    assert state.hosts == {}  # nothing counted: the checker could not judge


def test_one_host_passing_one_check_means_the_round_is_judged() -> None:
    inv = inventory()
    r = report({("primary", "web"): False, ("primary", "mail"): True,
                ("standby", "web"): False, ("third", "web"): False})
    _, decisions = play(inv, State(active="primary"), [r])
    assert decisions[0].status == Status.WARNING


def test_a_failing_warning_check_never_makes_a_host_down() -> None:
    inv = inventory()
    r = report({("primary", "web"): True, ("primary", "disk"): False,
                ("standby", "web"): True, ("third", "web"): True}, {"disk": "warning"})
    state, decisions = play(inv, State(active="primary"), [r] * 6)
    assert not state.hosts["primary"].down
    assert state.hosts["primary"].checks["disk"].fail == 6
    assert {(d.status, d.action) for d in decisions} == {(Status.WARNING, "none")}
    assert any("primary/disk" in reason for reason in decisions[-1].reasons)


def test_a_passing_check_with_a_warning_is_a_warning() -> None:
    inv = inventory()
    r = report({("primary", "web"): True, ("standby", "web"): True, ("third", "web"): True},
               warning="TLS certificate for shop.test expires in 2.0 days")
    _, decisions = play(inv, State(active="primary"), [r])
    assert (decisions[0].status, decisions[0].action) == (Status.WARNING, "none")
    assert "expires in 2.0 days" in decisions[0].reasons[0]


def test_flapping_every_round_for_20_rounds_never_fails_over_with_the_defaults() -> None:
    inv = inventory(failure_threshold=3, recovery_threshold=5)
    flaps = [hosts_ok(i % 2 == 1) for i in range(20)]
    state, decisions = play(inv, State(active="primary"), flaps)
    assert all(d.action == "none" for d in decisions)
    assert not state.hosts["primary"].down


def test_max_auto_failovers_blocks_the_next_flip_and_pages() -> None:
    inv = inventory(cooldown=0, max_auto_failovers=1, auto_failover_window="24h")
    state = State(active="primary", auto_flips=[1000.0])
    state, decisions = play(inv, state, [hosts_ok(False)] * 3, start=2000.0)
    d = decisions[-1]
    assert (d.status, d.action) == (Status.CRITICAL, "none")
    assert "automatic failover blocked" in d.reasons[-1]
    assert d.page is not None
    assert d.page.reason == "max_auto_failovers"
    assert "automatic failover blocked" in d.page.text
    assert "`failover failover --to standby --yes -i /x/inventory.yaml`" in d.page.text


def test_the_window_expires() -> None:
    inv = inventory(cooldown=0, max_auto_failovers=1, auto_failover_window="1h")
    state = State(active="primary", auto_flips=[0.0])
    _, decisions = play(inv, state, [hosts_ok(False)] * 3, start=3601.0)
    assert (decisions[-1].action, decisions[-1].to) == ("failover", "standby")


def test_max_auto_failovers_zero_never_flips_automatically() -> None:
    inv = inventory(max_auto_failovers=0)
    _, decisions = play(inv, State(active="primary"), [hosts_ok(False)] * 3)
    assert decisions[-1].action == "none"
    assert decisions[-1].page is not None


@pytest.mark.parametrize(("item", "expected"), [
    (200, (200, 200)), ("2xx", (200, 299)), ("301-308", (301, 308)), ("204", (204, 204))])
def test_status_ranges(item: int | str, expected: tuple[int, int]) -> None:
    assert status_range(item) == expected


@pytest.mark.parametrize("item", ["2x", "6xx", "299-200", "abc", 99])
def test_bad_status_ranges(item: int | str) -> None:
    with pytest.raises(ValueError, match="is not a status"):
        status_range(item)


def test_status_ok_mixes_codes_and_ranges() -> None:
    check = HttpCheck.parse({"name": "web", "type": "http", "url": "http://x/",
                                      "expect_status": [200, "3xx"]})
    assert [check.status_ok(s) for s in (200, 204, 301, 399, 404)] == [
        True, False, True, True, False]
