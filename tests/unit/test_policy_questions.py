"""policy.py's questions, each one pure function: is this host down? may automation act now?"""

from __future__ import annotations

import pytest

from failover import policy
from failover.model.state import Flip, State
from failover.policy import Status
from tests.unit.test_policy import PRIMARY_DOWN, inventory, rounds

NOW = 10_000.0


@pytest.mark.parametrize(("was_down", "failed", "passed", "down"), [
    (False, 0, 1, False), (False, 2, 0, False), (False, 3, 0, True), (False, 9, 0, True),
    (True, 0, 1, True), (True, 0, 2, False), (True, 4, 0, True),
])
def test_host_down_after_failure_threshold_up_after_recovery_threshold(
        was_down: bool, failed: int, passed: int, down: bool) -> None:
    inv = inventory()  # failure_threshold 3, recovery_threshold 2
    assert policy.host_down(inv, was_down, failed, passed) is down


def test_cooldown_left_counts_from_the_last_flip() -> None:
    inv = inventory()  # cooldown 30m
    assert policy.cooldown_left(inv, State(), NOW) == 0.0
    flipped = State(last_flip=Flip(at=NOW - 600, to="standby", run_id="r0"))
    assert policy.cooldown_left(inv, flipped, NOW) == 1200.0
    assert policy.cooldown_left(inv, flipped, NOW + 3600) == 0.0


def test_auto_flips_in_window() -> None:
    inv = inventory(auto_failover_window="1h")
    state = State(auto_flips=[NOW - 7200, NOW - 1800, NOW - 1])
    assert policy.auto_flips_in_window(inv, state, NOW) == [NOW - 1800, NOW - 1]


@pytest.mark.parametrize(("over", "state", "reason"), [
    ({}, State(), None),
    ({"auto_failover": False}, State(), "auto_failover_off"),
    ({}, State(last_flip=Flip(at=NOW - 60, to="primary", run_id="r0")), "cooldown"),
    ({"max_auto_failovers": 1}, State(auto_flips=[NOW - 7200]), "max_auto_failovers"),
])
def test_may_act_names_the_brake_and_the_override(over: dict[str, object], state: State,
                                                  reason: str | None) -> None:
    inv = inventory(**over)
    hold = policy.may_act(inv, state, "failover", "standby", NOW)
    assert (hold.reason if hold else None) == reason
    if hold is not None:
        assert "failover --to standby --yes" in hold.text


def test_may_act_for_a_failback_asks_for_its_own_consent() -> None:
    assert policy.may_act(inventory(), State(), "failback", "primary", NOW) is not None
    hold = policy.may_act(inventory(auto_failback=True), State(), "failback", "primary", NOW)
    assert hold is None


def test_decide_blocks_with_what_may_act_says() -> None:
    inv = inventory(auto_failover=False)
    state, d = rounds(inv, State(active="primary"), PRIMARY_DOWN, 3)
    hold = policy.may_act(inv, state, "failover", "standby", 1002.0)
    assert hold is not None
    assert d.page is not None
    assert (d.status, d.action, d.page.reason) == (Status.CRITICAL, "none", hold.reason)
    assert d.reasons[1] == hold.text
