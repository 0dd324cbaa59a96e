"""The last resort: a service's records on its `role: fallback` host (a static "back soon" page).

Route 53's failover-to-a-static-site and Cloudflare's fallback pool, for one service:
- When the active host is down, no real host of the service passed this round, the checker is
  online (policy.unjudgeable says so) and `policy.auto_failover` consents, and a fallback host
  passes the service's `fallback: true` checks: the records move there (`reconsider` decides it,
  `flip` does it). It is a DNS flip of this service's records only, through the `dns` step (which
  checks the fallback host again in the same run); never a sync, an ssh command or a playbook.
- While the records are there, every round is CRITICAL and pages (a person must know customers
  see the page). As soon as a real host passes a round, the records move to it through the
  inventory's normal failover playbook, from the fallback host (`on_fallback`); no cooldown holds
  that back: customers are seeing a maintenance page. Nothing is pulled from or fenced on the
  fallback host; the host that served last keeps its copy, any other is pushed the last good
  mirror (engine/steps/sync.py).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

import msgspec

from failover.errors import FailoverError
from failover.model.inventory import Host, Inventory
from failover.model.results import RoundReport
from failover.model.services import IMPLICIT, fallback_view, who
from failover.model.state import State
from failover.policy import Decision, Page, Status, override_command, unjudgeable
from failover.state.audit import AuditLog
from failover.state.base import StateBackend

log = logging.getLogger(__name__)


def fallbacks(unit: Inventory) -> dict[str, Host]:
    """The fallback hosts of the service `unit` is a view of (none for a whole inventory)."""
    from failover.model.services import fallback_hosts

    if unit.whole is None:
        return {}
    return fallback_hosts(unit.whole, unit.service or IMPLICIT)


def with_fallbacks(unit: Inventory, *, page_checks: bool = False) -> Inventory:
    """`unit` with its fallback hosts among its hosts (last): what a run away from one works
    with; with `page_checks`, also with their `fallback: true` checks as its only checks: what a
    flip to one works with (the dns step checks the target with the inventory's checks)."""
    assert unit.whole is not None
    page = fallback_view(unit.whole, unit.service or IMPLICIT)
    hosts = {**unit.hosts, **page.hosts}
    return unit.replace(hosts=hosts, checks=page.checks) if page_checks else \
        unit.replace(hosts=hosts)


def _page(unit: Inventory, why: str) -> Page:
    standby = next(iter(unit.hosts))
    return Page("no_healthy_standby",
                f"{who(unit)}: {why}; once a host "
                f"passes, a person can move the records there: "
                f"`{override_command(unit, 'failover', standby)}`")


def reconsider(unit: Inventory, state: State, report: RoundReport, decision: Decision) -> Decision:
    """Turn a blocked failover with no healthy standby into a flip to a fallback host that
    passes its checks now (CRITICAL either way, and the page stays)."""
    page = decision.page
    if page is None or page.reason != "no_healthy_standby" or not unit.policy.auto_failover \
            or any(report.host_ok(h) for h in unit.hosts) or not (found := fallbacks(unit)):
        return decision
    from failover.checks import run_round

    probe = run_round(fallback_view(unit.whole or unit, unit.service or IMPLICIT),
                      control=False)
    serving = [h for h in found if probe.host_ok(h)]
    if not serving:
        failed = "; ".join(f"{r.host}/{r.check}: {r.detail}" for r in probe.results if not r.ok)
        return msgspec.structs.replace(decision, reasons=(
            *decision.reasons, f"the fallback page is not served either ({failed})"))
    to = serving[0]
    why = (f"every host of the service is down: pointing its records at the fallback host {to} "
           "(a \"back soon\" page)")
    return Decision(Status.CRITICAL, "fallback", (*decision.reasons, why), state.active, to,
                    page=page)


def on_fallback(unit: Inventory, state: State, report: RoundReport) -> Decision:
    """The round's decision while the records point at a fallback host (state.active)."""
    unknown = unjudgeable(unit, report)
    if unknown is not None:
        return Decision(Status.UNKNOWN, "none", (unknown,))
    here = f"records on the fallback host {state.active} (customers see the \"back soon\" page)"
    passing = [h for h in unit.hosts if report.host_ok(h) and h not in state.demoted]
    if not passing:
        why = f"every host of the service is down; {here}"
        return Decision(Status.CRITICAL, "none", (why,), state.active, None,
                        page=_page(unit, why))
    to = passing[0]
    if not unit.policy.auto_failover:
        why = f"{here}; {to} passes again"
        return Decision(Status.CRITICAL, "none", (why,), state.active, to, page=_page(unit, why))
    return Decision(Status.CRITICAL, "failover", (here, f"{to} passes again: moving the records "
                                                       f"to it"), state.active, to)


def leaving(unit: Inventory, from_: str | None) -> Inventory:
    """The inventory a run from `from_` works with: with the fallback hosts when it leaves one
    (its rescue may point the records back there), else `unit` itself."""
    if unit.whole is None or from_ not in fallbacks(unit):
        return unit
    return with_fallbacks(unit)


def to_fallback(outcome: Any, unit: Inventory, store: StateBackend, audit: AuditLog,
                *, emit: Callable[[str], None], clock: Callable[[], float]) -> None:
    """Act on a `fallback` decision; `outcome` (engine/monitor.RoundOutcome, which imports this
    module) records how it went. Never raises a FailoverError: the round stays CRITICAL."""
    assert outcome.decision.to is not None
    try:
        outcome.state = flip(unit, store, audit, outcome.state, outcome.decision.to, emit=emit,
                             clock=clock)
    except FailoverError as e:
        outcome.run_error = f"records not moved to the fallback host: {e}"
        log.error("fallback failed: to=%s error=%s", outcome.decision.to, e)


def flip(unit: Inventory, store: StateBackend, audit: AuditLog, state: State, to: str, *,
         emit: Callable[[str], None], clock: Callable[[], float]) -> State:
    """Point the service's records at fallback host `to` (the dns step: it checks `to` with the
    fallback checks first, and flips every zone or none). Returns the state after it."""
    from failover.engine.context import RunContext
    from failover.engine.journal import new_run_id
    from failover.engine.steps.registry import action_for
    from failover.model.playbook import DnsAction

    ctx = RunContext(inventory=with_fallbacks(unit, page_checks=True), store=store, audit=audit,
                     state=state, emit=emit, clock=clock, run_id=new_run_id(clock()))
    ctx.record("fallback_start", run_id=ctx.run_id, from_=state.active, to=to)
    out = action_for("dns").run(ctx, DnsAction(to=to))
    emit(f"records on the fallback host {to}: {out.detail}")
    for line in out.lines:
        emit(f"      {line}")
    ctx.record("fallback_end", run_id=ctx.run_id, to=to, detail=out.detail)
    return ctx.state


def arrived(state: State, to: str, now: float) -> State:
    """A run moved the records from a fallback host to `to`, which passed in this run: it is up
    (its down mark would otherwise hold the next rounds CRITICAL, or fail it over again)."""
    host = state.hosts.get(to)
    if host is None or not host.down:
        return state
    return state.replace(hosts={**state.hosts, to: host.replace(down=False, changed_at=now)})
