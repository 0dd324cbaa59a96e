"""What a dual-stack round adds to policy.decide's Decision (issue 20); monitor.assess applies it
after deciding, as it applies the freshness warnings.

- A down active host and no standby that passed over every family, but one that passed over one
  family: `policy.partial_family` decides. refuse (the default): CRITICAL and a page that says
  which family fails there and how to override; allow: fail over to it (the run's check step
  then removes the failing family's records: engine/steps/check.py), within the usual brakes.
- The active host degraded (one family failing, the other serving): WARNING that says which
  family, its own streak and what `policy.failover_on` makes of it.
- A standby unhealthy over one family only: said so, with the family.
- A family the checker cannot reach itself (checks/family.py): said once.
"""

from __future__ import annotations

import msgspec

from failover.checks.family import unjudged_note
from failover.families import degraded, failing_detail, names
from failover.model.inventory import Inventory
from failover.model.results import RoundReport
from failover.model.state import HostState, State
from failover.policy import Decision, Page, Status, may_act, override_command

_RECORDS = {"ipv4": "A", "ipv6": "AAAA"}


def refine(inventory: Inventory, state: State, report: RoundReport, decision: Decision,
           now: float) -> Decision:
    """`decision` with the families said (see the module docstring); unchanged for IPv4-only
    hosts and for a round that could not be judged."""
    if decision.status == Status.UNKNOWN or state.active is None:
        return decision
    page = decision.page
    if page is not None and page.reason == "no_healthy_standby" and decision.action == "none":
        partial = _partial(inventory, state, report, decision, now)
        if partial is not None:
            return partial
    reasons = [_standby_reason(report, r) for r in decision.reasons]
    status = decision.status
    note = _active_degraded(inventory, state, report)
    if note is not None:
        prefix = f"active host {state.active} failing:"
        at = next((i for i, r in enumerate(reasons) if r.startswith(prefix)), None)
        if at is not None:
            reasons[at] = note
        elif status == Status.OK:
            status, reasons = Status.WARNING, [note]
        else:
            reasons.insert(1 if decision.action != "none" else 0, note)
    reasons += unjudged_note(report.unjudged)
    if reasons == list(decision.reasons) and status == decision.status:
        return decision
    return msgspec.structs.replace(decision, status=status, reasons=tuple(reasons))


def _standby_reason(report: RoundReport, reason: str) -> str:
    """"standby X unhealthy" -> "... over IPv6 (storefront: ...); healthy over IPv4"."""
    host = reason.removeprefix("standby ").removesuffix(" unhealthy")
    if reason != f"standby {host} unhealthy":
        return reason
    failing, passing = degraded(report, host)
    if not failing:
        return reason
    why = "; ".join(failing_detail(report, host, f) for f in failing)
    return f"{reason} over {names(failing)} ({why}); healthy over {names(passing)}"


def _active_degraded(inventory: Inventory, state: State, report: RoundReport) -> str | None:
    assert state.active is not None
    failing, passing = degraded(report, state.active)
    if not failing:
        return None
    me = state.hosts.get(state.active, HostState())
    rounds = max((me.families[f].fail for f in failing if f in me.families), default=1)
    why = "; ".join(failing_detail(report, state.active, f) for f in failing)
    text = (f"active host {state.active} degraded: {names(failing)} failing for {rounds} "
            f"round(s) ({why}) while {names(passing)} serves; ")
    policy = inventory.policy
    if policy.failover_on == "all_families":
        return text + (f"no failover while {names(passing)} serves "
                       "(policy.failover_on: all_families)")
    if me.down:
        return text + "down by policy.failover_on: any_family"
    return text + (f"{me.fail} of {policy.failure_threshold} rounds before failover "
                   "(policy.failover_on: any_family)")


def _partial(inventory: Inventory, state: State, report: RoundReport, decision: Decision,
             now: float) -> Decision | None:
    active = state.active
    found = [(h, *degraded(report, h)) for h in inventory.hosts
             if h != active and h not in state.demoted]
    found = [(h, failing, passing) for h, failing, passing in found if failing]
    if not found:
        return None
    to, failing, passing = found[0]
    why_down = decision.reasons[0]
    why = "; ".join(f"{names([f])}: {failing_detail(report, to, f)}" for f in failing)
    records = " and ".join(_RECORDS[f] for f in failing)
    said = f"standby {to} passes its checks over {names(passing)} only ({why})"
    if inventory.policy.partial_family != "allow":
        command = override_command(inventory, "failover", to)
        block = (f"failover blocked: no standby passed over every family; {said}, and "
                 f"policy.partial_family is refuse (allow: move {names(passing)} there and "
                 f"remove its {records} records); once it does, a person can fail over: "
                 f"`{command}`")
        page = Page("no_healthy_standby", f"{inventory.site}: {why_down}; {block}")
        return Decision(Status.CRITICAL, "none", (why_down, block), active, None, page=page)
    hold = may_act(inventory, state, "failover", to, now)
    if hold is not None:
        page = Page(hold.reason, f"{inventory.site}: {why_down}; {hold.text}")
        return Decision(Status.CRITICAL, "none", (why_down, said, hold.text), active, to,
                        page=page)
    return Decision(Status.CRITICAL, "failover",
                    (why_down, f"{said}; policy.partial_family: allow: its {records} records "
                               "are removed", f"failing over to {to}"), active, to)
