"""The decisions that matter most, as pure functions: (inventory, state, round, now) -> Decision.

Round statuses follow the monitoring-plugin convention (Nagios, Icinga, Zabbix):
OK 0, WARNING 1 (some checks failing below threshold, or a standby unhealthy),
CRITICAL 2 (the active host is down: failover done, or needed and blocked),
UNKNOWN 3 (the checker could not judge: it is offline itself, or the inventory is bad).

When the active host is down and automation does not act (no healthy standby, auto_failover off,
cooldown, max_auto_failovers, a stale standby; cli/check.py adds the lock held past --wait), the
Decision carries a Page: the reason and the exact command a person runs to override it. Sending
it, once per `policy.auto_failover_window` and reason, is engine/guard.py's job; `page_due` is the
rule it applies.
"""

from __future__ import annotations

import shlex
from collections.abc import Mapping
from enum import Enum
from typing import Literal

import msgspec

from failover.families import family_streaks, passes
from failover.freshness import refusal
from failover.model.inventory import Inventory
from failover.model.results import RoundReport
from failover.model.services import who
from failover.model.state import HostState, State, Streak
from failover.model.types import format_duration


class Status(Enum):  # not an exit code: cli/exits.py maps it to one
    OK = 0
    WARNING = 1
    CRITICAL = 2
    UNKNOWN = 3


Action = Literal["none", "failover", "failback", "fallback"]  # fallback: engine/fallback.py

# Why automation did not act although the active host is down; one page per reason and window.
PageReason = Literal["no_healthy_standby", "auto_failover_off", "cooldown", "max_auto_failovers",
                     "stale_standby", "lock_held", "refused"]


class Page(msgspec.Struct, frozen=True):
    """A message for a person: the active host is down and automation does not act."""

    reason: PageReason
    text: str  # what happened, why automation stopped, and the command that overrides it

    def to_json(self) -> dict[str, str]:
        return {"reason": self.reason, "text": self.text}


class Decision(msgspec.Struct, frozen=True):
    status: Status
    action: Action
    reasons: tuple[str, ...]
    from_: str | None = None
    to: str | None = None
    page: Page | None = None  # automatic failover is needed and blocked: tell a person

    def to_json(self) -> dict[str, object]:
        return {"status": self.status.name, "action": self.action, "from": self.from_,
                "to": self.to, "reasons": list(self.reasons),
                "page": self.page.to_json() if self.page else None}


def preferred_host(inventory: Inventory) -> str:
    """Where the site lives when all is well: `policy.preferred`, else the first host."""
    return inventory.policy.preferred or next(iter(inventory.hosts))


def override_command(inventory: Inventory, action: str, to: str, *extra: str) -> str:
    """The exact command a person runs to do what automation did not (global options last)."""
    service = ["--service", inventory.service] if inventory.service else []
    return shlex.join(["failover", action, "--to", to, *service, "--yes", *extra,
                       "-i", str(inventory.path)])


def page_due(marks: Mapping[str, float], reason: str, now: float, window: float) -> bool:
    """A page for `reason` is due unless one went out within `window` (marks: reason -> time)."""
    at = marks.get(reason)
    return at is None or not 0 <= now - at < window


def active_down(state: State) -> bool:
    """The active host is down by policy (its streak reached failure_threshold)."""
    return state.active is not None and state.hosts.get(state.active, HostState()).down


def lock_held_page(inventory: Inventory, state: State, detail: str) -> Page | None:
    """A page when a round could not take the lock while the active host is down (by the last
    round state.json holds), so automation cannot act; None when the active host is not down."""
    if not active_down(state):
        return None
    assert state.active is not None
    standby = next(h for h in inventory.hosts if h != state.active)
    command = override_command(inventory, "failover", standby)
    return Page("lock_held", f"{who(inventory)}: active host {state.active} is down (by the last "
                             f"round) and automatic failover cannot run: {detail}; if that run is "
                             f"stuck, stop it, then a person can fail over: `{command}`")


def host_down(inventory: Inventory, was_down: bool, failed: int, passed: int) -> bool:
    """Is this host down? `failed` and `passed`: its failed and passed rounds in a row, this
    round counted; `was_down`: what the last round said.

    A host goes down after `policy.failure_threshold` failed rounds in a row and is up again
    after `policy.recovery_threshold` passed rounds in a row; in between it stays what it was,
    so a host that answers one round in two neither fails over nor fails back.
    """
    if was_down:
        return passed < inventory.policy.recovery_threshold
    return failed >= inventory.policy.failure_threshold


def _streak(old: Streak, ok: bool, detail: str) -> Streak:
    return Streak(fail=0 if ok else old.fail + 1, ok=old.ok + 1 if ok else 0, detail=detail)


def record_round(inventory: Inventory, state: State, report: RoundReport, now: float) -> State:
    """Count the round into every host's and check's streaks; mark hosts down or recovered.

    A round the checker could not judge (offline, or every host failing at once) counts for
    nothing. Only critical checks decide whether a host passed; warning checks keep streaks.
    """
    if unjudgeable(inventory, report) is not None:
        return state
    hosts: dict[str, HostState] = {}
    for name in inventory.hosts:
        results = report.judged(name)  # a family the checker cannot reach counts for nothing
        if not results:  # not checked this round
            hosts[name] = state.hosts.get(name, HostState())
            continue
        old = state.hosts.get(name, HostState())
        ok = passes(inventory, report, name)  # policy.failover_on for a dual-stack host
        checks = {r.label: _streak(old.checks.get(r.label, Streak()), r.ok, r.detail)
                  for r in results}
        fail, okc = (0, old.ok + 1) if ok else (old.fail + 1, 0)
        down = host_down(inventory, old.down, fail, okc)
        changed_at = now if down != old.down else old.changed_at
        ok_since = (old.ok_since if old.ok and old.ok_since is not None else now) if ok else None
        hosts[name] = HostState(fail=fail, ok=okc, down=down, changed_at=changed_at, ok_since=
                                ok_since, checks=checks, families=family_streaks(
                                    old.families, report, name))
    return state.replace(hosts=hosts, last_round_at=now)


def _remaining(seconds: float) -> str:
    """A time left, as a person reads it: 45s, 28m58s, 2h05m."""
    secs = max(0, round(seconds))
    if secs < 60:
        return f"{secs}s"
    if secs < 3600:
        return f"{secs // 60}m{secs % 60:02d}s"
    return f"{secs // 3600}h{secs % 3600 // 60:02d}m"


def cooldown_left(inventory: Inventory, state: State, now: float) -> float:
    """Seconds until `policy.cooldown` has passed since the last flip (0: none, or over)."""
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
    """The automatic flips `policy.max_auto_failovers` counts now: those within
    `policy.auto_failover_window` of `now`."""
    window = inventory.policy.auto_failover_window
    return [t for t in state.auto_flips if now - t < window]


class Hold(msgspec.Struct, frozen=True):
    """Why automation may not act now, and the command a person runs instead."""

    reason: PageReason
    text: str


def may_act(inventory: Inventory, state: State, action: Literal["failover", "failback"],
            to: str, now: float) -> Hold | None:
    """May automation act now, moving the site to `to`? None when it may; else the Hold.

    The brakes, in order: the consent (`policy.auto_failover` / `auto_failback`), the cooldown
    since the last flip, `policy.max_auto_failovers` automatic flips within
    `policy.auto_failover_window`, and for a failover the freshness gate (a standby whose data
    is older than its sets' `max_age`, freshness.py). Whether the round can be judged at all
    (`unjudgeable`) and which standby is healthy are the caller's (`decide`).
    """
    policy = inventory.policy
    command = override_command(inventory, action, to)
    verb = "fail over" if action == "failover" else "fail back"
    if not (policy.auto_failover if action == "failover" else policy.auto_failback):
        return Hold("auto_failover_off", f"{action} needs a person: policy.auto_{action} is "
                                         f"false; to {verb}: `{command}`")
    left = cooldown_left(inventory, state, now)
    if left > 0:
        return Hold("cooldown", f"{action} blocked: cooldown for {_remaining(left)} more "
                                f"(policy.cooldown={format_duration(policy.cooldown)}); to "
                                f"{verb} now: `{command}`")
    recent = auto_flips_in_window(inventory, state, now)
    if len(recent) >= policy.max_auto_failovers:
        window = format_duration(policy.auto_failover_window)
        return Hold("max_auto_failovers",
                    f"automatic {action} blocked: {len(recent)} automatic flip(s) in the last "
                    f"{window} (policy.max_auto_failovers={policy.max_auto_failovers}); a "
                    f"person must decide: `{command}`")
    stale = refusal(inventory, state, to, now) if action == "failover" else None
    if stale is not None:
        anyway = override_command(inventory, action, to, "--accept-stale")
        return Hold("stale_standby", f"automatic failover refused: {stale}; to {verb} anyway: "
                                     f"`{anyway}`")
    return None


def unfenced(state: State) -> list[str]:
    """A warning per demoted host that is not fenced (engine/fence.py): until a person acts."""
    return [f"demoted host {h} is not fenced ({d.detail}); it may take orders if it comes "
            f"back: fence it by hand, then `failover promote {h}` once it is safe"
            for h, d in state.demoted.items() if not d.fenced]


def _blocked(inventory: Inventory, reason: PageReason, why: str, block: str, from_: str,
             to: str | None) -> Decision:
    """CRITICAL, nothing done, and a page saying why and how a person overrides it."""
    page = Page(reason, f"{who(inventory)}: {why}; {block}")
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
    healthy = [h for h in standbys if report.host_ok(h)
               and not state.hosts.get(h, HostState()).down and h not in state.demoted]
    unhealthy = [h for h in standbys if not report.host_ok(h)]

    if me.down:
        why = f"active host {active} is down ({me.fail} failed rounds in a row)"
        if not healthy:
            command = override_command(inventory, "failover", standbys[0])
            demoted = [h for h in standbys if h in state.demoted and report.host_ok(h)]
            also = (f" ({', '.join(demoted)} passed but is demoted: automation never chooses "
                    "a demoted host)") if demoted else ""
            return _blocked(inventory, "no_healthy_standby", why,
                            f"failover blocked: no standby passed its checks this round{also}; "
                            f"once one does, a person can fail over: `{command}`", active, None)
        to = healthy[0]
        hold = may_act(inventory, state, "failover", to, now)
        if hold is not None:
            return _blocked(inventory, hold.reason, why, hold.text, active, to)
        return Decision(Status.CRITICAL, "failover", (why, f"failing over to {to}"), active, to)

    preferred = preferred_host(inventory)
    home = state.hosts.get(preferred, HostState())
    if (active != preferred and report.host_ok(preferred) and preferred not in state.demoted
            and home.ok >= policy.recovery_threshold
            and now - (home.ok_since or now) >= policy.failback_after
            and may_act(inventory, state, "failback", preferred, now) is None):
        return Decision(Status.WARNING, "failback",
                        (f"preferred host {preferred} healthy for {policy.recovery_threshold} "
                         "rounds", f"failing back to {preferred}"), active, preferred)

    reasons: list[str] = []
    if me.fail:
        reasons.append(f"active host {active} failing: {me.fail} of "
                       f"{policy.failure_threshold} rounds before failover")
    reasons += [f"standby {h} unhealthy" for h in unhealthy]
    reasons += report.warnings()
    reasons += unfenced(state)
    if reasons:
        return Decision(Status.WARNING, "none", tuple(reasons))
    return Decision(Status.OK, "none", (f"active host {active} healthy",))
