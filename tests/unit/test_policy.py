"""policy.py: streaks, thresholds, cooldown, control targets -> Decision (pure)."""

from __future__ import annotations

from pathlib import Path

import pytest

from failover import policy
from failover.model.inventory import Inventory
from failover.model.results import CheckResult, ControlResult, RoundReport
from failover.model.state import Flip, HostState, State
from failover.policy import Status


def inventory(**policy_over: object) -> Inventory:
    return Inventory.parse({
        "site": "shop.test", "path": Path("/x/inventory.yaml"), "state_dir": Path("/x/.failover"),
        "hosts": {"primary": {"address": "10.203.0.11"}, "standby": {"address": "10.203.0.12"},
                  "third": {"address": "10.203.0.13"}},
        "ssh": {"known_hosts": Path("/x/known_hosts")},
        "dns": [{"provider": "powerdns", "zone": "shop.test.", "api_url": "http://127.0.0.1:1",
                 "api_key": "k", "records": [{"name": "@", "type": "A"}]}],
        "checks": [{"name": "web", "type": "tcp", "port": 80}],
        "control_targets": ["tcp://127.0.0.1:53"],
        "policy": {"failure_threshold": 3, "recovery_threshold": 2, "cooldown": "30m",
                   "auto_failover": True, **policy_over},
    })


def report(ok: dict[str, bool], online: bool = True) -> RoundReport:
    results = tuple(CheckResult(h, "web", v, 0.01, "" if v else "refused") for h, v in ok.items())
    return RoundReport(0.0, 0.1, results, (ControlResult("tcp://127.0.0.1:53", online),))


def rounds(inv: Inventory, state: State, ok: dict[str, bool], n: int,
           now: float = 1000.0) -> tuple[State, policy.Decision]:
    decision = None
    for i in range(n):
        r = report(ok)
        state = policy.record_round(inv, state, r, now + i)
        decision = policy.decide(inv, state, r, now + i)
    assert decision is not None
    return state, decision


ALL_UP = {"primary": True, "standby": True, "third": True}
PRIMARY_DOWN = {"primary": False, "standby": True, "third": True}


def test_healthy_round_is_ok() -> None:
    inv = inventory()
    _, d = rounds(inv, State(active="primary"), ALL_UP, 1)
    assert (d.status, d.action) == (Status.OK, "none")


def test_failures_below_threshold_warn_then_failover_at_threshold() -> None:
    inv = inventory()
    state, d = rounds(inv, State(active="primary"), PRIMARY_DOWN, 2)
    assert (d.status, d.action) == (Status.WARNING, "none")
    assert "2 of 3 rounds" in d.reasons[0]
    state, d = rounds(inv, state, PRIMARY_DOWN, 1)
    assert (d.status, d.action) == (Status.CRITICAL, "failover")
    assert (d.from_, d.to) == ("primary", "standby")
    assert state.hosts["primary"].down


def test_a_passing_round_resets_the_streak() -> None:
    inv = inventory()
    state, _ = rounds(inv, State(active="primary"), PRIMARY_DOWN, 2)
    state, _ = rounds(inv, state, ALL_UP, 1)
    state, d = rounds(inv, state, PRIMARY_DOWN, 2)
    assert d.action == "none"
    assert state.hosts["primary"].fail == 2


def test_failover_picks_the_first_healthy_standby_in_priority_order() -> None:
    inv = inventory()
    _, d = rounds(inv, State(active="primary"),
                  {"primary": False, "standby": False, "third": True}, 3)
    assert (d.action, d.to) == ("failover", "third")


def test_no_healthy_standby_blocks_with_critical() -> None:
    # the standbys answer again, but are still down by policy (not yet recovery_threshold rounds)
    inv = inventory(recovery_threshold=10)
    down = HostState(down=True)
    _, d = rounds(inv, State(active="primary", hosts={"standby": down, "third": down}),
                  {"primary": False, "standby": True, "third": True}, 3)
    assert (d.status, d.action) == (Status.CRITICAL, "none")
    assert "no standby passed" in d.reasons[-1]


def test_offline_checker_never_acts_and_counts_nothing() -> None:
    inv = inventory()
    state = State(active="primary")
    for _ in range(5):
        r = report(PRIMARY_DOWN, online=False)
        state = policy.record_round(inv, state, r, 1.0)
        d = policy.decide(inv, state, r, 1.0)
        assert (d.status, d.action) == (Status.UNKNOWN, "none")
    assert state.hosts == {}


def test_cooldown_blocks_a_second_automatic_flip() -> None:
    inv = inventory()
    flipped = State(active="primary",
                    last_flip=Flip.parse({"at": 900.0, "from": "standby", "to": "primary",
                                                   "run_id": "r1"}))
    _, d = rounds(inv, flipped, PRIMARY_DOWN, 3, now=1000.0)
    assert (d.status, d.action) == (Status.CRITICAL, "none")
    assert "cooldown" in d.reasons[-1]
    _, d = rounds(inv, flipped, PRIMARY_DOWN, 3, now=900.0 + 1800)
    assert d.action == "failover"


def test_auto_failover_off_needs_a_person() -> None:
    inv = inventory(auto_failover=False)
    _, d = rounds(inv, State(active="primary"), PRIMARY_DOWN, 3)
    assert (d.status, d.action) == (Status.CRITICAL, "none")
    assert "auto_failover is false" in d.reasons[-1]


def test_unhealthy_standby_is_a_warning() -> None:
    inv = inventory()
    _, d = rounds(inv, State(active="primary"),
                  {"primary": True, "standby": False, "third": True}, 1)
    assert (d.status, d.reasons) == (Status.WARNING, ("standby standby unhealthy",))


@pytest.mark.parametrize(("auto", "action"), [(False, "none"), (True, "failback")])
def test_failback_only_when_enabled_and_recovered(auto: bool, action: str) -> None:
    inv = inventory(auto_failback=auto, failback_after=0)
    _, d = rounds(inv, State(active="standby"), ALL_UP, 2)
    assert d.action == action


def test_auto_failback_waits_out_its_stability_window() -> None:
    inv = inventory(auto_failback=True, failback_after="10m")
    state, d = rounds(inv, State(active="standby"), ALL_UP, 2)  # recovered: 2 rounds
    assert d.action == "none"
    state, d = rounds(inv, state, ALL_UP, 1, now=1000 + 599)
    assert d.action == "none"  # 599 s of passed rounds: not yet
    state, d = rounds(inv, state, PRIMARY_DOWN, 1, now=1000 + 600)  # one failed round
    state, d = rounds(inv, state, ALL_UP, 2, now=1000 + 700)
    assert d.action == "none"  # the window starts again
    state, d = rounds(inv, state, ALL_UP, 1, now=1000 + 700 + 600)
    assert (d.action, d.to) == ("failback", "primary")
