"""One monitoring round, as cron's `failover check` and `watch` run it: probe, count, decide, act.

The round gathers every host's results before anything is decided; the decision is policy.py's;
acting means running the inventory's failover (or failback) playbook with from/to set. A round
that can make the active host down gets ready for the run while it waits on its probes
(warmup.py), and tells the run which hosts' SSH gave no answer (`ssh_unanswered`).
"""

from __future__ import annotations

import logging
import sys
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

import msgspec

from failover import dualstack, policy
from failover.engine import fallback
from failover.errors import FailoverError, Interrupted, UnsafePlan, UsageError
from failover.model.inventory import Inventory
from failover.model.results import RoundReport
from failover.model.services import who
from failover.model.state import HostState, State
from failover.policy import Decision, Status
from failover.state.audit import AuditLog
from failover.state.base import StateBackend

if TYPE_CHECKING:  # the engine proper is imported when a round acts, not for a healthy one
    from failover.engine.context import RunContext
    from failover.engine.journal import Journal
    from failover.engine.warmup import WarmUp
    from failover.notify.dispatch import Dispatcher
    from failover.remote.openssh import SshMaster

log = logging.getLogger(__name__)


class RoundOutcome(msgspec.Struct):
    report: RoundReport
    decision: Decision
    state: State
    run: Journal | None = None
    run_error: str | None = None
    page_note: str | None = None  # what became of this round's page (engine/guard.py)
    notes: list[str] = []  # what else the round did (a demoted host fenced: engine/fence.py)
    warm: WarmUp | None = None  # begun during the round (warmup.py); act() takes or closes it
    notices: Dispatcher | None = None  # hosts down/recovered, owed messages (notify/events.py)

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

    if ctx.inventory.whole is not None:  # leaving a fallback host: it is among the hosts
        from failover.engine.fallback import leaving

        ctx.inventory = leaving(ctx.inventory, variables.get("from"))
    inv = ctx.inventory
    path = playbook_path(inv, name)
    playbook = load_playbook(path, inv)
    if name == "failover" and not ctx.accept_stale and resume is None:
        from failover.freshness import refusal  # the freshness gate, before any change

        if reason := refusal(inv, ctx.state, variables.get("to", ""), ctx.clock()):
            raise UnsafePlan(reason)
    if name == "failback" and resume is None:
        _failback_gate(ctx, variables.get("to", ""))
    journal = Runner(ctx, playbook, path, variables, name=name, resume=resume).run()
    left = inv.hosts.get(variables.get("from", ""))
    if left is not None and left.role == "fallback" and journal.status == "ok":
        from failover.engine.fallback import arrived

        ctx.save_state(arrived(ctx.state, variables["to"], ctx.clock()))
    return journal


def _failback_gate(ctx: RunContext, to: str) -> None:
    """A failback moves the site back only to a host the rounds have seen healthy; --force
    overrides it (audited). A dry run says what a real run would meet."""
    passed = ctx.state.hosts.get(to, HostState()).ok
    needed = ctx.inventory.policy.recovery_threshold
    if passed >= needed:
        return
    why = f"{to} has passed {passed} of {needed} rounds in a row (policy.recovery_threshold)"
    reason = (f"failback refused: {why}; let `failover check` rounds show it healthy first, "
              "or add --force to move back now")
    if ctx.dry_run:
        ctx.emit(f"note: a real run would stop here: {reason}")
    elif ctx.force:
        ctx.emit(f"--force: {why}; failing back anyway")
        ctx.record("failback_forced", to=to, reason=reason)
    else:
        raise UnsafePlan(reason)


def _unfinished(inventory: Inventory, store: StateBackend, decision: Decision) -> Decision:
    """A run that died or was interrupted holds automation back: CRITICAL, nothing started,
    until a person resumes or abandons it (engine/resume.py)."""
    from failover.engine.resume import stuck_reason, unfinished

    journal = unfinished(inventory, store)
    if journal is None or decision.status == Status.UNKNOWN:
        return decision
    return Decision(Status.CRITICAL, "none", (stuck_reason(journal), *decision.reasons))


def _freshness(inventory: Inventory, state: State, decision: Decision, now: float) -> Decision:
    """An OK round with a standby older than its sets' max_age is a WARNING (freshness.py)."""
    from failover.freshness import standby_warnings

    if decision.status != Status.OK or not (stale := standby_warnings(inventory, state, now)):
        return decision
    return msgspec.structs.replace(decision, status=Status.WARNING,
                                   reasons=(*decision.reasons, *stale))


Count = Callable[[Inventory, State, RoundReport, float], State]


def assess(inventory: Inventory, store: StateBackend, audit: AuditLog, state: State, *,
           record: bool, clock: Callable[[], float], report: RoundReport | None = None,
           count: Count = policy.record_round) -> RoundOutcome:
    """Probe every host (unless given the round's `report`), count the round into the streaks
    (`count`: several checkers count by quorum, coord/round.py) and decide.

    With record=False nothing is written: the streaks shown are what this round would make them.
    """
    from failover.checks import run_round

    warm = None
    if record:
        from failover.engine import warmup

        warm = warmup.start(inventory, state)
    try:
        report = run_round(inventory) if report is None else report
    except BaseException:
        if warm is not None:
            warm.close()
        raise
    now = clock()
    counted = count(inventory, state, report, now)
    notes: list[str] = []
    if record and any(not d.fenced for d in counted.demoted.values()):
        from failover.engine.fence import fence_again

        counted, notes = fence_again(inventory, counted, report, audit, now)
    notices = None
    if record and (inventory.notify or inventory.state_dir.joinpath("outbox.json").exists()):
        from failover.notify.events import round_notices

        notices = round_notices(inventory, audit, state, counted, report)
    decision = _decide(inventory, counted, report, now)
    decision = _freshness(inventory, counted, decision, now)
    decision = _unfinished(inventory, store, decision)
    if record:
        audit.write_round(
            {"online": report.online, "active": counted.active,
             "results": [{"host": r.host, "check": r.check, "ok": r.ok,
                          "latency": round(r.latency, 4), "detail": r.detail,
                          **({"family": r.family} if r.family else {})}
                         for r in report.results],
             "control": [{"target": c.target, "ok": c.ok} for c in report.control]},
            decision.to_json(), healthy=_healthy(report, decision),
            hosts=sorted({r.host for r in report.results}))
        store.save(counted)
    return RoundOutcome(report, decision, counted, notes=notes, warm=warm, notices=notices)


def _decide(inventory: Inventory, state: State, report: RoundReport, now: float) -> Decision:
    """policy.decide; for a service with a `role: fallback` host, engine/fallback.py's too."""
    if inventory.whole is not None and state.active in fallback.fallbacks(inventory):
        return fallback.on_fallback(inventory, state, report)
    decision = policy.decide(inventory, state, report, now)
    decision = dualstack.refine(inventory, state, report, decision, now)  # issue 20
    return fallback.reconsider(inventory, state, report, decision)  # as it was, without one


def _healthy(report: RoundReport, decision: Decision) -> bool:
    """All is well: the audit log counts such a round instead of writing it (state/audit.py)."""
    return (report.online and bool(report.results) and all(r.ok for r in report.results)
            and decision.status == Status.OK and decision.action == "none"
            and decision.page is None)


def ssh_unanswered(inventory: Inventory, report: RoundReport) -> dict[str, str]:
    """Hosts whose SSH port gave no answer in this round -> why, in words.

    The evidence: a failing `tcp` check on the host's SSH port, or an `ssh` or `command` check
    that got no answer (timed out, refused, no route). A command that ran and failed, a refused
    login or a host key problem are answers: SSH works there, and a host key problem must stop
    the run where it meets it.
    """
    checks = {c.name: c for c in inventory.checks}
    found: dict[str, str] = {}
    for r in report.results:
        check = checks.get(r.check)
        if r.ok or not r.no_answer or r.host in found or check is None or r.family == "ipv6":
            continue  # (SSH goes to host.address, IPv4: an IPv6 probe is no evidence of it)
        ssh = inventory.hosts[r.host].ssh
        port = ssh.port if ssh else 22
        tcp_port = getattr(check, "port", None) if check.type == "tcp" else None
        if tcp_port == port or check.type in ("ssh", "command"):
            found[r.host] = (f"its SSH port {port} did not answer in this round "
                             f"({r.check}: {r.detail})")
    return found


def act(outcome: RoundOutcome, inventory: Inventory, store: StateBackend, audit: AuditLog, *,
        emit: Callable[[str], None], clock: Callable[[], float]) -> None:
    """Page a person when the decision says so, run the playbook it calls for (if any); the
    outcome records how it went. The round's warm-up (its ssh connection to the target) goes to
    the run or is closed."""
    decision = outcome.decision
    warm, outcome.warm = outcome.warm, None
    try:
        _act(outcome, inventory, store, audit, emit=emit, clock=clock,
             masters=warm.take(decision.to) if warm and decision.action != "none" else {})
    finally:
        if warm is not None:
            warm.close()
        if outcome.notices is not None:  # after the run: a slow channel never delays it
            if sys.exc_info()[0] is not None:  # Ctrl-C, SIGTERM: no waiting out the deadlines
                outcome.notices.hurry()
            outcome.notes += outcome.notices.settle()
            outcome.notices = None


def _act(outcome: RoundOutcome, inventory: Inventory, store: StateBackend, audit: AuditLog, *,
         emit: Callable[[str], None], clock: Callable[[], float],
         masters: dict[str, SshMaster]) -> None:
    from failover.engine.guard import clear_pages, count_auto_flip, send_page

    decision = outcome.decision
    if decision.page is not None:
        outcome.page_note = send_page(decision.page, inventory, audit, clock())
    elif decision.status != Status.UNKNOWN and not policy.active_down(outcome.state):
        clear_pages(inventory)
    if decision.action == "none":
        for master in masters.values():
            master.close()
        return
    assert decision.to is not None
    started = clock()
    from failover.engine.context import RunContext

    if decision.action == "fallback":  # records to the "back soon" page: a flip, no playbook
        from failover.engine.fallback import to_fallback

        return to_fallback(outcome, inventory, store, audit, emit=emit, clock=clock)
    ctx = RunContext(inventory=inventory, store=store, audit=audit, state=outcome.state,
                     emit=emit, clock=clock, ssh_masters=masters,
                     ssh_unanswered=ssh_unanswered(inventory, outcome.report))
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
        if not ctx.run_id:  # refused before its first step: tell a person
            audit.write("run_refused", playbook=decision.action, to=decision.to, error=str(e))
            command = policy.override_command(inventory, decision.action, decision.to)
            page = policy.Page("refused", f"{who(inventory)}: automatic "
                                          f"{decision.action} from {decision.from_} to "
                                          f"{decision.to} refused: {e}; to run it by hand: "
                                          f"`{command}`")
            outcome.page_note = send_page(page, inventory, audit, clock())
    finally:
        for master in ctx.ssh_masters.values():  # the runner closes them; not if it never ran
            master.close()
    outcome.state = ctx.state
    if ctx.run_id:  # the playbook started (ok or not): one automatic flip used, for max_auto_*
        outcome.state = count_auto_flip(inventory, outcome.state, store, started)
