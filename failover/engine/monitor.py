"""One monitoring round, as cron's `failover check` and `watch` run it: probe, count, decide, act.

The round gathers every host's results before anything is decided; the decision is policy.py's;
acting means running the inventory's failover (or failback) playbook with from/to set.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path

from failover import policy
from failover.engine.context import RunContext
from failover.engine.journal import Journal
from failover.errors import FailoverError, Interrupted, UnsafePlan, UsageError
from failover.model.inventory import Inventory
from failover.model.results import RoundReport
from failover.model.state import State
from failover.policy import Decision, Status
from failover.state.audit import AuditLog
from failover.state.store import StateStore

log = logging.getLogger(__name__)


@dataclass
class RoundOutcome:
    report: RoundReport
    decision: Decision
    state: State
    run: Journal | None = None
    run_error: str | None = None

    @property
    def status(self) -> Status:
        return self.decision.status


def playbook_path(inv: Inventory, name: str) -> Path:
    """The file of the inventory's playbook `name`, or `name` as a file next to the inventory."""
    if name in inv.playbooks:
        return inv.playbooks[name]
    path = inv.path.parent / name
    if not path.is_file():
        raise UsageError(f"no playbook {name!r}: not in the inventory's playbooks "
                         f"({', '.join(inv.playbooks) or 'none'}) and no file {path}")
    return path


def run_playbook(ctx: RunContext, name: str, variables: dict[str, str],
                 resume: Journal | None = None) -> Journal:
    """Load the inventory's playbook `name` (or a file path) and run it (or, with `resume`,
    continue that interrupted run of it: engine/resume.py)."""
    from failover.config import load_playbook
    from failover.engine.runner import Runner

    inv = ctx.inventory
    path = playbook_path(inv, name)
    playbook = load_playbook(path, inv)
    if name == "failover" and not ctx.accept_stale and resume is None:
        from failover.freshness import refusal  # the freshness gate, before any change

        if reason := refusal(inv, ctx.state, variables.get("to", ""), ctx.clock()):
            raise UnsafePlan(reason)
    return Runner(ctx, playbook, path, variables, name=name, resume=resume).run()


def _freshness(inventory: Inventory, state: State, decision: Decision, now: float) -> Decision:
    """An OK round with a standby older than its sets' max_age is a WARNING (freshness.py)."""
    from failover.freshness import standby_warnings

    if decision.status != Status.OK or not (stale := standby_warnings(inventory, state, now)):
        return decision
    return replace(decision, status=Status.WARNING, reasons=(*decision.reasons, *stale))


def assess(inventory: Inventory, store: StateStore, audit: AuditLog, state: State, *,
           record: bool, clock: Callable[[], float]) -> RoundOutcome:
    """Probe every host, count the round into the streaks and decide.

    With record=False nothing is written: the streaks shown are what this round would make them.
    """
    from failover.checks import run_round

    report = run_round(inventory)
    now = clock()
    counted = policy.record_round(inventory, state, report, now)
    decision = policy.decide(inventory, counted, report, now)
    decision = _freshness(inventory, counted, decision, now)
    if record:
        audit.write("round", online=report.online, active=counted.active,
                    results=[{"host": r.host, "check": r.check, "ok": r.ok,
                              "latency": round(r.latency, 4), "detail": r.detail}
                             for r in report.results],
                    control=[{"target": c.target, "ok": c.ok} for c in report.control])
        audit.write("decision", **decision.to_json())
        store.save(counted)
    return RoundOutcome(report, decision, counted)


def act(outcome: RoundOutcome, inventory: Inventory, store: StateStore, audit: AuditLog, *,
        emit: Callable[[str], None], clock: Callable[[], float]) -> None:
    """Run the playbook the decision calls for (if any); the outcome records how it went."""
    from failover.engine.guard import count_auto_flip, page_if_blocked

    decision = outcome.decision
    outcome.state = page_if_blocked(decision, inventory, outcome.state, store, audit, clock)
    if decision.action == "none":
        return
    assert decision.to is not None
    started = clock()
    ctx = RunContext(inventory=inventory, store=store, audit=audit, state=outcome.state,
                     emit=emit, clock=clock)
    try:
        outcome.run = run_playbook(ctx, decision.action,
                                   {"from": decision.from_ or "", "to": decision.to})
        if outcome.run.failed:
            outcome.run_error = f"run {outcome.run.id} {outcome.run.status}: {outcome.run.error}"
    except Interrupted:  # Ctrl-C or SIGTERM: the run tells what it changed (exit 130)
        if ctx.run_id:
            count_auto_flip(inventory, ctx.state, store, started)
        raise
    except FailoverError as e:
        outcome.run_error = str(e)
        log.error("playbook failed: playbook=%s error=%s", decision.action, e)
        if not ctx.run_id:  # refused before its first step (e.g. a stale standby): tell a person
            audit.write("run_refused", playbook=decision.action, to=decision.to, error=str(e))
            refused = replace(decision, page=f"{inventory.site}: automatic {decision.action} "
                                             f"from {decision.from_} to {decision.to} refused: {e}")
            ctx.state = page_if_blocked(refused, inventory, ctx.state, store, audit, clock)
    outcome.state = ctx.state
    if ctx.run_id:  # the playbook started (ok or not): one automatic flip used, for max_auto_*
        outcome.state = count_auto_flip(inventory, outcome.state, store, started)
