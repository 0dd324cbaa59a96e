"""The decisions that matter most, as pure functions: (inventory, state, round, now) -> Decision.

Exit statuses follow the monitoring-plugin convention (Nagios, Icinga, Zabbix):
OK 0, WARNING 1 (some checks failing below threshold, or a standby unhealthy),
CRITICAL 2 (the active host is down: failover done, or needed and blocked),
UNKNOWN 3 (the checker could not judge: it is offline itself, or the inventory is bad).
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import IntEnum
from typing import Literal

from failover.model.inventory import Inventory
from failover.model.results import RoundReport
from failover.model.state import HostState, State, Streak
from failover.model.types import format_duration


class Status(IntEnum):
    OK = 0
    WARNING = 1
    CRITICAL = 2
    UNKNOWN = 3


Action = Literal["none", "failover", "failback"]


@dataclass(frozen=True)
class Decision:
    status: Status
    action: Action
    reasons: tuple[str, ...]
    from_: str | None = None
    to: str | None = None
    page: str | None = None  # a message for a person (notify): automatic failover is blocked

    def to_json(self) -> dict[str, object]:
        return {"status": self.status.name, "action": self.action, "from": self.from_,
                "to": self.to, "reasons": list(self.reasons)}


def _streak(old: Streak, ok: bool, detail: str) -> Streak:
    return Streak(fail=0 if ok else old.fail + 1, ok=old.ok + 1 if ok else 0, detail=detail)


def record_round(inventory: Inventory, state: State, report: RoundReport, now: float) -> State:
    """Count the round into every host's and check's streaks; mark hosts down or recovered.

    A round the checker could not judge (offline, or every host failing at once) counts for
    nothing. Only critical checks decide whether a host passed; warning checks keep streaks.
    """
    if unjudgeable(inventory, report) is not None:
        return state
    policy = inventory.policy
    hosts: dict[str, HostState] = {}
    for name in inventory.hosts:
        results = report.for_host(name)
        if not results:  # not checked this round
            hosts[name] = state.hosts.get(name, HostState())
            continue
        old = state.hosts.get(name, HostState())
        ok = report.host_ok(name)
        checks = {r.check: _streak(old.checks.get(r.check, Streak()), r.ok, r.detail)
                  for r in results}
        fail, okc = (0, old.ok + 1) if ok else (old.fail + 1, 0)
        down = old.down
        if not down and fail >= policy.failure_threshold:
            down = True
        elif down and okc >= policy.recovery_threshold:
            down = False
        changed_at = now if down != old.down else old.changed_at
        hosts[name] = HostState(fail=fail, ok=okc, down=down, changed_at=changed_at, checks=checks)
    return state.replace(hosts=hosts, last_round_at=now)


def _cooldown_left(inventory: Inventory, state: State, now: float) -> float:
    if state.last_flip is None:
        return 0.0
    return max(0.0, state.last_flip.at + inventory.policy.cooldown - now)


def unjudgeable(inventory: Inventory, report: RoundReport) -> str | None:
    """Why this round cannot be judged, or None.

    The checker is offline (no control target answers), or every host failed every critical
    check at once: independent hosters rarely fail in the same minute, a checker that lost its
    own network (or its resolver, its file descriptors) does it every time.
    """
    if not report.online:
        targets = ", ".join(f"{c.target} ({c.detail})" for c in report.control)
        return f"checker offline: no control target answers: {targets}; not acting"
    checked = [h for h in inventory.hosts if report.for_host(h)]
    if len(checked) >= 2 and all(report.host_all_failed(h) for h in checked):
        return (f"every host failed every check at once ({', '.join(checked)}): more likely the "
                "checker's own problem than all hosters at once; not acting")
    return None


def auto_flips_in_window(inventory: Inventory, state: State, now: float) -> list[float]:
    window = inventory.policy.auto_failover_window
    return [t for t in state.auto_flips if now - t < window]


def _auto_allowed(inventory: Inventory, state: State, now: float, action: str,
                  from_: str, to: str, why: str) -> Decision | None:
    """None when one more automatic flip is within policy.max_auto_failovers, else the block."""
    policy = inventory.policy
    recent = auto_flips_in_window(inventory, state, now)
    if len(recent) < policy.max_auto_failovers:
        return None
    window = format_duration(policy.auto_failover_window)
    block = (f"automatic failover blocked: {len(recent)} automatic flip(s) in the last {window} "
             f"(policy.max_auto_failovers={policy.max_auto_failovers}); a person must decide: "
             f"`failover {action} --to {to}`")
    page = f"{inventory.site}: {why}; {block}"
    return Decision(Status.CRITICAL, "none", (why, block), from_, to, page=page)


def decide(inventory: Inventory, state: State, report: RoundReport, now: float) -> Decision:
    """What to do after a round whose streaks are already in `state` (record_round)."""
    unknown = unjudgeable(inventory, report)
    if unknown is not None:
        return Decision(Status.UNKNOWN, "none", (unknown,))
    active = state.active
    assert active is not None, "the caller resolves the active host before deciding"
    policy = inventory.policy
    me = state.hosts.get(active, HostState())
    standbys = [h for h in inventory.hosts if h != active]
    healthy = [h for h in standbys
               if report.host_ok(h) and not state.hosts.get(h, HostState()).down]
    unhealthy = [h for h in standbys if not report.host_ok(h)]

    if me.down:
        why = f"active host {active} is down ({me.fail} failed rounds in a row)"
        if not healthy:
            return Decision(Status.CRITICAL, "none",
                            (why, "failover blocked: no standby passed its checks this round"))
        if not policy.auto_failover:
            return Decision(Status.CRITICAL, "none",
                            (why, "failover needs a person: policy.auto_failover is false"),
                            active, healthy[0])
        left = _cooldown_left(inventory, state, now)
        if left > 0:
            return Decision(Status.CRITICAL, "none",
                            (why, f"failover blocked: cooldown for {format_duration(left)} more "
                                  f"(policy.cooldown={format_duration(policy.cooldown)})"),
                            active, healthy[0])
        blocked = _auto_allowed(inventory, state, now, "failover", active, healthy[0], why)
        if blocked is not None:
            return blocked
        return Decision(Status.CRITICAL, "failover", (why, f"failing over to {healthy[0]}"),
                        active, healthy[0])

    preferred = next(iter(inventory.hosts))
    if (policy.auto_failback and active != preferred and report.host_ok(preferred)
            and state.hosts.get(preferred, HostState()).ok >= policy.recovery_threshold
            and _cooldown_left(inventory, state, now) == 0
            and len(auto_flips_in_window(inventory, state, now)) < policy.max_auto_failovers):
        return Decision(Status.WARNING, "failback",
                        (f"preferred host {preferred} healthy for "
                         f"{policy.recovery_threshold} rounds; failing back",), active, preferred)

    reasons: list[str] = []
    if me.fail:
        reasons.append(f"active host {active} failing: {me.fail} of "
                       f"{policy.failure_threshold} rounds before failover")
    reasons += [f"standby {h} unhealthy" for h in unhealthy]
    reasons += report.warnings()
    if reasons:
        return Decision(Status.WARNING, "none", tuple(reasons))
    return Decision(Status.OK, "none", (f"active host {active} healthy",))
