"""After Ctrl-C or SIGTERM in a run: make the state true, tell the team if DNS moved, report.

Called by the runner once the journal says `interrupted`. In order:
1. state.json's active host is made to match what DNS holds (a signal can land between the flip
   and the line that records it);
2. the audit log gets `run_interrupted`, with every change the run had made (engine/effects.py);
3. if DNS points elsewhere than before the run, every notify channel is told (a second Ctrl-C
   while sending is reported, not raised), and the audit log gets the outcome;
4. an InterruptReport for the command line, which says what changed and what to run next.
"""

from __future__ import annotations

import logging

from failover.engine.context import RunContext
from failover.engine.effects import InterruptReport, dns_fact, facts, unchanged_zones
from failover.engine.journal import Journal
from failover.interrupt import signal_name
from failover.model.playbook import Step

log = logging.getLogger(__name__)


def wrap_up(ctx: RunContext, journal: Journal, exc: BaseException, *, playbook: str,
            steps: list[Step], before: str | None) -> InterruptReport:
    from failover.engine.resume import first_undone

    variables = journal.variables
    to = variables.get("to")
    applied = [plan.zone for _, plan in ctx.dns_applied]
    dns_line = dns_fact(applied, ctx.effects, ctx.active_before_flip or before)
    split = bool(unchanged_zones(applied, ctx.effects))
    _reconcile(ctx, before, split)
    running = next((r for r in reversed(journal.steps) if r.status == "running"), None)
    total = len(steps)
    if running is None:
        where = "before its first step" if not journal.steps else "between two steps"
    elif running.phase == "rescue":
        where = f"during rescue step {running.index + 1} ({running.name})"
    else:
        where = f"during step {running.index + 1}/{total} ({running.name})"
    undone = first_undone(journal)
    in_rescue = any(r.phase == "rescue" for r in journal.steps)
    remaining = [] if in_rescue else [f"{i + 1}/{total} {s.title}"
                                      for i, s in enumerate(steps) if i >= undone]
    hosts = [to] if to in ctx.inventory.hosts else []
    report = InterruptReport(
        title=f"run {journal.id} ({journal.title})", where=where, signal=signal_name(exc),
        facts=[dns_line, *facts(ctx.effects.changes, hosts)], journal=journal.path,
        run_id=journal.id,
        dns_changed=bool(applied), playbook=playbook, from_=variables.get("from"), to=to,
        preferred=next(iter(ctx.inventory.hosts)),
        continue_at=undone + 1 if applied and not split and not in_rescue else None,
        remaining=remaining)
    ctx.audit.write("run_interrupted", run_id=journal.id, signal=report.signal, where=where,
                    dns={"zones": applied, "to": ctx.effects.dns_to if applied else None},
                    changes=[c.to_json() for c in ctx.effects.changes])
    if applied:
        report.notified = _tell_team(ctx, journal, report, dns_line)
    return report


def _reconcile(ctx: RunContext, before: str | None, split: bool) -> None:
    """state.json's active host = the host DNS points at (unless DNS is split between hosts)."""
    if split or ctx.effects.dns_to is None:
        return
    holds = ctx.effects.dns_to if ctx.dns_applied else (ctx.active_before_flip or before)
    if holds is not None and ctx.state.active != holds:
        log.warning("state corrected: active=%s (what DNS holds after the interruption)", holds)
        ctx.set_active(holds, changed=True)


def _tell_team(ctx: RunContext, journal: Journal, report: InterruptReport, dns_line: str) -> str:
    from failover.notify import channels_for, send_all

    channels = channels_for(ctx.inventory, "run_interrupted")
    if not channels:
        return "no notify channel hears run_interrupted: tell the team yourself that DNS moved"
    message = (f"{ctx.inventory.site}: run {journal.id} ({journal.title}, {report.from_} -> "
               f"{report.to}) was INTERRUPTED by {report.signal} {report.where}. {dns_line}. "
               + (f"Not done: {', '.join(report.remaining)}. " if report.remaining else "")
               + f"Journal: {journal.path}")
    try:
        # one attempt (someone is waiting at the terminal); what fails is owed to the next round
        failures = send_all(ctx.inventory, message, event="run_interrupted", audit=ctx.audit,
                            notice_id=f"{journal.id}:run_interrupted", retry=False)
    except KeyboardInterrupt:
        failures = ["interrupted again while sending"]
    ctx.audit.write("notify", run_id=journal.id, about="run_interrupted", message=message,
                    channels=channels, failures=failures)
    if len(failures) == channels:
        return ("the team was NOT told that DNS moved (owed to the next check round): "
                + "; ".join(failures))
    if not failures:
        return f"the team was told that DNS moved (notify: {channels} channel(s))"
    return (f"the team was told that DNS moved (notify: {channels - len(failures)} of {channels} "
            f"channels; failed: {'; '.join(failures)})")
