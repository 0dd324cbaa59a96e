"""The events people hear about, in words (notify/events.py): a run's end by its status, with its
timeline; a round's hosts declared down or recovered, once per change; stable ids."""

from __future__ import annotations

from types import SimpleNamespace

from failover.engine.journal import Journal, StepRecord
from failover.model.inventory import Policy
from failover.model.results import CheckResult, RoundReport
from failover.model.state import HostState, State
from failover.notify.events import host_changes, run_ended, run_started


def journal(status: str, error: str | None = None) -> Journal:
    steps = [StepRecord(0, "steps", "Point DNS at the standby", "dns", "ok", 100.0, 101.5,
                        "DNS points at standby")]
    if status == "rescued":
        steps.append(StepRecord(0, "rescue", "Put DNS back", "dns", "ok", 102.0, 102.25))
    return Journal(id="R1", playbook="/x/failover.yaml", title="Fail over", dry_run=False,
                   variables={"from": "primary", "to": "standby"}, who="me@here",
                   started_at=100.0, finished_at=103.0, status=status, error=error, steps=steps)


def test_a_run_starts_and_ends_by_its_status_with_its_timeline() -> None:
    started = run_started("shop.test", "failover", journal("running"))
    assert (started.event, started.id) == ("failover_started", "R1:failover_started")
    assert started.text == "shop.test: failover started: primary -> standby (run R1, Fail over)"

    done = run_ended("shop.test", "failover", journal("ok"), "standby")
    assert done is not None
    assert (done.event, done.id) == ("failover_done", "R1:failover_done")
    assert done.text == ("shop.test: failover done: the shop runs on standby (was primary); "
                         "run R1 took 3s")
    assert done.lines == ("[1] Point DNS at the standby: OK (1.5s) - DNS points at standby",)

    rescued = run_ended("shop.test", "failback", journal("rescued", "step 1 (x): boom"),
                        "standby")
    assert rescued is not None
    assert rescued.event == "failback_rescued"
    assert rescued.text.startswith("shop.test: failback FAILED and its rescue steps ran: step 1 "
                                   "(x): boom; active host: standby")
    assert rescued.lines[-1] == "[rescue 1] Put DNS back: OK (0.2s)"

    failed = run_ended("shop.test", "failover", journal("failed", "boom"), "primary")
    assert failed is not None
    assert failed.event == "failover_failed"
    assert run_ended("shop.test", "failover", journal("interrupted"), "x") is None


def test_a_host_declared_down_or_recovered_is_told_once_per_change() -> None:
    inv = SimpleNamespace(site="shop.test", policy=Policy(), service=None)
    report = RoundReport(0.0, 1.0, (CheckResult("primary", "storefront", False, 0.1,
                                                "connection refused"),))
    up = State(active="primary", hosts={"primary": HostState(fail=2)})
    down = State(active="primary", hosts={"primary": HostState(fail=3, down=True,
                                                                changed_at=50.0)})
    [notice] = host_changes(inv, up, down, report)
    assert (notice.event, notice.id) == ("host_down", "primary:host_down:50")
    assert notice.text == ("shop.test: host primary (the active host) is DOWN: 3 failed rounds "
                           "in a row (policy.failure_threshold 3)")
    assert notice.lines == ("storefront: connection refused",)
    assert host_changes(inv, down, down, report) == []  # still down: nothing new
    back = State(active="standby", hosts={"primary": HostState(ok=5, changed_at=90.0)})
    [notice] = host_changes(inv, down, back, report)
    assert notice.event == "host_recovered"
    assert notice.text.startswith("shop.test: host primary (a standby) recovered: 5 passed")
