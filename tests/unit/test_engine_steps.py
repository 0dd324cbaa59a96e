"""engine/steps/: the step contract, the registry, the RunContext sink, the shared DNS change."""

from __future__ import annotations

import importlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from failover.engine.active import run_target
from failover.engine.context import RunContext
from failover.engine.outcome import Outcome
from failover.engine.steps.base import Action
from failover.engine.steps.registry import ACTIONS, action_for
from failover.engine.steps.zones import DnsChange
from failover.errors import ProviderError, StepFailed, UsageError
from failover.model import playbook as pb
from failover.model.state import State
from failover.state.audit import AuditLog
from tests.unit.test_policy import inventory


@dataclass
class MemoryStore:
    """What a RunContext needs of its state store: save."""

    saved: list[State] = field(default_factory=list)

    def save(self, state: State) -> None:
        self.saved.append(state)


def context(tmp_path: Path, *, dry_run: bool = False) -> RunContext:
    return RunContext(inventory=inventory(), store=MemoryStore(),  # type: ignore[arg-type]
                      audit=AuditLog(tmp_path), state=State(active="primary"), dry_run=dry_run,
                      run_id="r1")


def audit_events(tmp_path: Path) -> list[str]:
    return [line["event"] for line in AuditLog(tmp_path).read()]


def test_every_playbook_action_has_one_step_module_named_after_it() -> None:
    assert list(ACTIONS) == list(pb.ACTIONS)
    for key, action in ACTIONS.items():
        assert action.key == key
        assert type(action).__module__ == f"failover.engine.steps.{key}"
        assert importlib.import_module(f"failover.engine.steps.{key}")
    assert action_for("dns_ttl") is ACTIONS["dns_ttl"]


@dataclass
class Probe(Action[pb.NotifyAction, str]):
    """An action that says which of its parts ran."""

    key = "probe"
    calls: list[str] = field(default_factory=list)
    bad: bool = False

    def validate(self, ctx: RunContext, p: pb.NotifyAction) -> None:
        self.calls.append("validate")
        if self.bad:
            raise StepFailed("probe.message: bad")

    def plan(self, ctx: RunContext, p: pb.NotifyAction) -> str:
        self.calls.append("plan")
        return p.message.upper()

    def describe(self, ctx: RunContext, p: pb.NotifyAction, plan: str) -> Outcome:
        self.calls.append("describe")
        return Outcome("dry-run", f"would {plan}")

    def apply(self, ctx: RunContext, p: pb.NotifyAction, plan: str) -> Outcome:
        self.calls.append("apply")
        return Outcome(detail=plan)


def test_run_validates_plans_then_describes_in_a_dry_run_and_applies_otherwise(
        tmp_path: Path) -> None:
    params = pb.NotifyAction(message="go")
    dry, real = Probe(), Probe()
    assert dry.run(context(tmp_path, dry_run=True), params) == Outcome("dry-run", "would GO")
    assert dry.calls == ["validate", "plan", "describe"]
    assert real.run(context(tmp_path), params) == Outcome(detail="GO")
    assert real.calls == ["validate", "plan", "apply"]
    undo = Probe()
    assert undo.undo(context(tmp_path), params) == Outcome(detail="GO")  # default: run
    bad = Probe(bad=True)
    with pytest.raises(StepFailed, match=r"probe\.message"):
        bad.run(context(tmp_path), params)
    assert bad.calls == ["validate"]  # nothing planned, nothing applied


def test_a_change_ends_as_its_block_does(tmp_path: Path) -> None:
    ctx = context(tmp_path)
    with ctx.change("command", "standby", "true"):
        pass
    with pytest.raises(ProviderError), ctx.change("push", "standby", "web"):
        raise ProviderError("api down")
    def exits_1() -> None:
        with ctx.change("command", "standby", "false") as c:
            c.end("failed", "exit 1")
            raise StepFailed("exited 1")

    with pytest.raises(StepFailed):
        exits_1()
    with pytest.raises(KeyboardInterrupt), ctx.change("pipe", "standby", "a (tar)"):
        raise KeyboardInterrupt
    assert [(c.kind, c.status, c.detail) for c in ctx.effects.changes] == [
        ("command", "done", ""), ("push", "failed", "api down"),
        ("command", "failed", "exit 1"), ("pipe", "running", "")]


def test_a_dry_run_notes_no_change_writes_no_audit_and_saves_no_state(tmp_path: Path) -> None:
    ctx = context(tmp_path, dry_run=True)
    with ctx.change("command", "standby", "true") as c:
        c.end("done")
    ctx.record("dns_change", to="standby")
    ctx.set_active("standby", changed=True)
    assert ctx.effects.changes == []
    assert audit_events(tmp_path) == []
    assert ctx.store.saved == []  # type: ignore[attr-defined]
    assert ctx.state.active == "standby"  # the run itself goes on with what it would be


@dataclass(frozen=True)
class FakePlan:
    zone: str
    changes: tuple[str, ...]
    provider: str = "fake"

    @property
    def empty(self) -> bool:
        return not self.changes

    def lines(self) -> list[str]:
        return list(self.changes) or [f"{self.zone}: no change"]

    def to_json(self) -> dict[str, Any]:
        return {"zone": self.zone, "changes": list(self.changes)}


@dataclass
class FakeProvider:
    ATOMIC = True
    applied: list[str] = field(default_factory=list)
    fail: bool = False

    def apply(self, plan: FakePlan) -> None:
        if self.fail:
            raise ProviderError(f"{plan.zone}: refused")
        self.applied.append(plan.zone)


def test_one_dns_change_for_flips_and_ttls(tmp_path: Path) -> None:
    a, b = FakeProvider(), FakeProvider()
    change = DnsChange([(a, FakePlan("a.", ("www A 1 -> 2",))), (b, FakePlan("b.", ()))])  # type: ignore[list-item]
    assert not change.empty
    assert change.lines == ["www A 1 -> 2", "b.: no change"]
    assert change.zones() == [{"zone": "a.", "changes": ["www A 1 -> 2"]}]
    assert [z["zone"] for z in change.zones(changed_only=False)] == ["a.", "b."]
    ctx = context(tmp_path)
    record: list[Any] = []
    change.apply(ctx, record=record, to="standby")
    assert (a.applied, b.applied) == (["a."], [])  # an empty plan is no transaction
    assert [plan.zone for _, plan in record] == ["a."]
    [line] = list(AuditLog(tmp_path).read())
    assert (line["event"], line["to"], line["zones"]) == ("dns_change", "standby",
                                                          change.zones())


def test_a_dns_change_that_fails_writes_no_audit_line(tmp_path: Path) -> None:
    change = DnsChange([(FakeProvider(fail=True), FakePlan("a.", ("x",)))])  # type: ignore[list-item]
    with pytest.raises(ProviderError, match="refused"):
        change.apply(context(tmp_path), ttl_only=True)
    assert audit_events(tmp_path) == []


def test_a_rescue_of_a_run_that_changed_no_dns_puts_nothing_back(tmp_path: Path) -> None:
    ctx = context(tmp_path)
    out = action_for("dns").undo(ctx, pb.DnsAction(to="standby"))
    assert out.detail == "this run changed no DNS; nothing to put back"
    assert ctx.state.active == "primary"
    with pytest.raises(StepFailed, match=r"dns\.to: unknown host 'nowhere'"):
        action_for("dns").undo(ctx, pb.DnsAction(to="nowhere"))


def test_run_target() -> None:
    inv = inventory()
    assert run_target(inv, "failover", "primary", None) == "standby"
    assert run_target(inv, "failover", "primary", "third") == "third"
    assert run_target(inv, "maintenance", "primary", "primary") == "primary"
    with pytest.raises(UsageError, match="already the active host"):
        run_target(inv, "failover", "primary", "primary")
    assert run_target(inv, "failback", "standby", None) == "primary"
    with pytest.raises(UsageError, match="already on its preferred host primary"):
        run_target(inv, "failback", "primary", None)
    with pytest.raises(UsageError, match="that is the active host"):
        run_target(inv, "failback", "standby", "standby")
