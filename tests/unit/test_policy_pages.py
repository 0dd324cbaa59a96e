"""policy.py (pure): every case where the active host is down and automation does not act says
why, pages with its own reason, and names the exact command that overrides it."""

from __future__ import annotations

import pytest

from failover import policy
from failover.model.state import Flip, HostState, MirrorState, State
from failover.model.syncset import SyncSet
from failover.policy import Status
from tests.unit.test_policy import PRIMARY_DOWN, inventory, rounds

OVERRIDE = "`failover failover --to standby --yes -i /x/inventory.yaml`"


def test_cooldown_blocks_pages_and_names_the_override() -> None:
    inv = inventory(cooldown="30m")
    state = State(active="primary", last_flip=Flip(at=900.0, to="primary", run_id="r1"))
    _, d = rounds(inv, state, PRIMARY_DOWN, 3)
    assert (d.status, d.action) == (Status.CRITICAL, "none")
    assert d.page is not None
    assert d.page.reason == "cooldown"
    assert "failover blocked: cooldown for" in d.page.text
    assert OVERRIDE in d.page.text
    assert d.page.text.startswith("shop.test: active host primary is down (3 failed rounds")
    assert OVERRIDE in d.reasons[-1]  # the person running `check` reads it too


def test_auto_failover_off_pages() -> None:
    inv = inventory(auto_failover=False)
    _, d = rounds(inv, State(active="primary"), PRIMARY_DOWN, 3)
    assert d.page is not None
    assert d.page.reason == "auto_failover_off"
    assert "policy.auto_failover is false" in d.page.text
    assert OVERRIDE in d.page.text


def test_no_healthy_standby_pages_with_the_first_standby() -> None:
    inv = inventory(recovery_threshold=5)
    state = State(active="primary", hosts={"third": HostState(down=True)})  # third recovering
    _, d = rounds(inv, state, {"primary": False, "standby": False, "third": True}, 3)
    assert (d.status, d.action, d.to) == (Status.CRITICAL, "none", None)
    assert d.page is not None
    assert d.page.reason == "no_healthy_standby"
    assert "no standby passed its checks this round" in d.page.text
    assert OVERRIDE in d.page.text


def test_a_stale_standby_is_refused_by_the_policy_and_pages() -> None:
    webroot = SyncSet.parse({"name": "webroot", "path": "/srv/www/", "max_age": "1h"})
    inv = inventory(cooldown=0).replace(sync=[webroot])
    state = State(active="primary", mirrors={"webroot": MirrorState(pushed={"standby": 0.0})})
    _, d = rounds(inv, state, PRIMARY_DOWN, 3, now=10000.0)
    assert (d.status, d.action) == (Status.CRITICAL, "none")
    assert d.page is not None
    assert d.page.reason == "stale_standby"
    assert "refused: standby standby is stale" in d.page.text
    assert ("`failover failover --to standby --yes --accept-stale -i /x/inventory.yaml`"
            in d.page.text)


def test_a_healthy_round_pages_nobody() -> None:
    _, d = rounds(inventory(), State(active="primary"), PRIMARY_DOWN, 2)
    assert d.status == Status.WARNING
    assert d.page is None


@pytest.mark.parametrize(("marks", "now", "due"), [
    ({}, 100.0, True),
    ({"cooldown": 50.0}, 100.0, False),  # paged 50 s ago, window 1h
    ({"cooldown": 50.0}, 50.0 + 3600, True),  # the window is over
    ({"max_auto_failovers": 50.0}, 100.0, True),  # another reason's page does not count
    ({"cooldown": 500.0}, 100.0, True),  # a mark from the future (clock moved back)
])
def test_page_due(marks: dict[str, float], now: float, due: bool) -> None:
    assert policy.page_due(marks, "cooldown", now, 3600.0) is due


def test_lock_held_pages_only_when_the_active_host_is_down() -> None:
    inv = inventory()
    up = State(active="primary", hosts={"primary": HostState(fail=1)})
    assert policy.lock_held_page(inv, up, "held by pid 7") is None
    assert policy.lock_held_page(inv, State(), "held by pid 7") is None  # no round yet
    down = State(active="primary", hosts={"primary": HostState(fail=3, down=True)})
    page = policy.lock_held_page(inv, down, "another failover run holds it (pid 7)")
    assert page is not None
    assert page.reason == "lock_held"
    assert "(pid 7)" in page.text
    assert OVERRIDE in page.text


def test_preferred_host_is_the_policy_key_or_the_first_host() -> None:
    assert policy.preferred_host(inventory()) == "primary"
    assert policy.preferred_host(inventory(preferred="standby")) == "standby"


def test_auto_failback_goes_to_the_preferred_host() -> None:
    inv = inventory(auto_failback=True, preferred="standby", cooldown=0, failback_after=0)
    _, d = rounds(inv, State(active="primary"), {"primary": True, "standby": True,
                                                  "third": True}, 2)
    assert (d.action, d.from_, d.to) == ("failback", "primary", "standby")
    assert d.reasons == ("preferred host standby healthy for 2 rounds", "failing back to standby")
