"""The events people hear about, in words (each channel may subscribe to some, with `events:`):

| event | sent when |
|---|---|
| host_down | a round declares a host down (policy.failure_threshold failed rounds in a row) |
| host_recovered | a down host passed policy.recovery_threshold rounds in a row |
| failover_started / failback_started | a failover (failback) run begins its steps |
| failover_done / failback_done | the run finished, every step done |
| failover_failed / failback_failed | a step failed and the playbook has no rescue |
| failover_rescued / failback_rescued | a step failed and the rescue steps ran (DNS put back) |
| auto_failover_blocked | the active host is down and automation does not act (a page) |
| run_interrupted | Ctrl-C or SIGTERM stopped a run after it changed DNS |
| fencing_failed | the old host could not be fenced (its `fence:` commands failed), by the run, |
| | or by a later round that tried again and failed otherwise than before (fence_changes) |
| notify | a playbook's `notify:` step |

Ids: the same event of the same run (or host state change) always has the same id, so a receiver
can drop a repeat (a resumed run, an owed message sent by a later round).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from failover.model.services import who
from failover.notify.base import Notice

if TYPE_CHECKING:
    from failover.engine.journal import Journal
    from failover.model.inventory import Inventory
    from failover.model.results import RoundReport
    from failover.model.state import State
    from failover.notify.dispatch import Dispatcher
    from failover.state.audit import AuditLog

RUN_KINDS = ("failover", "failback")  # playbooks whose runs are events (by their name)


def run_started(inventory: Inventory, kind: str, journal: Journal) -> Notice:
    v, about = journal.variables, who(inventory)
    return Notice(f"{about}: {kind} started: {v.get('from') or '?'} -> {v.get('to') or '?'} "
                  f"(run {journal.id}, {journal.title})", inventory.site, f"{kind}_started",
                  f"{journal.id}:{kind}_started")


def run_ended(inventory: Inventory, kind: str, journal: Journal,
              active: str | None) -> Notice | None:
    """done / failed / rescued (None for a run that ended otherwise: interrupted, dry run). The
    text names the service too ("shop.test mail: ..."); the notice's `site` is the site's."""
    phase = {"ok": "done", "failed": "failed", "rescued": "rescued"}.get(journal.status)
    if phase is None:
        return None
    v, about = journal.variables, who(inventory)
    took = (journal.finished_at or journal.started_at) - journal.started_at
    if phase == "done":
        text = (f"{about}: {kind} done: the shop runs on {v.get('to')} (was {v.get('from')}); "
                f"run {journal.id} took {took:.0f}s")
    elif phase == "rescued":
        text = (f"{about}: {kind} FAILED and its rescue steps ran: {journal.error}; active "
                f"host: {active} (run {journal.id})")
    else:
        text = (f"{about}: {kind} FAILED: {journal.error}; active host: {active}; no rescue "
                f"steps ran (run {journal.id})")
    return Notice(text, inventory.site, f"{kind}_{phase}", f"{journal.id}:{kind}_{phase}",
                  lines=timeline(journal))


def timeline(journal: Journal) -> tuple[str, ...]:
    """One line per step the run took: `[3/5] Point DNS at the standby: OK (1.2s) - detail`."""
    lines = []
    for rec in journal.steps:
        took = (rec.finished_at or rec.started_at) - rec.started_at
        phase = "rescue " if rec.phase == "rescue" else ""
        detail = f" - {rec.detail}" if rec.detail else ""
        lines.append(f"[{phase}{rec.index + 1}] {rec.name}: {rec.status.upper()} "
                     f"({took:.1f}s){detail}")
    return tuple(lines)


def host_changes(inventory: Inventory, before: State, after: State,
                 report: RoundReport) -> list[Notice]:
    """host_down / host_recovered for every host whose `down` mark this round changed."""
    notices = []
    site, policy = inventory.site, inventory.policy
    about = who(inventory)  # with `services:` the service too: "shop.test mail"
    key = f"{inventory.service}:" if inventory.service else ""  # one notice per service
    for name, host in after.hosts.items():
        old = before.hosts.get(name)
        if host.down == (old.down if old is not None else False):
            continue
        role = "the active host" if name == after.active else "a standby"
        at = f"{host.changed_at or 0:.0f}"
        if host.down:
            failing = tuple(f"{r.check}: {r.detail}" for r in report.results
                            if r.host == name and not r.ok)
            notices.append(Notice(
                f"{about}: host {name} ({role}) is DOWN: {host.fail} failed rounds in a row "
                f"(policy.failure_threshold {policy.failure_threshold})", site, "host_down",
                f"{key}{name}:host_down:{at}", lines=failing))
        else:
            notices.append(Notice(
                f"{about}: host {name} ({role}) recovered: {host.ok} passed rounds in a row "
                f"(policy.recovery_threshold {policy.recovery_threshold})", site,
                "host_recovered", f"{key}{name}:host_recovered:{at}"))
    return notices


def fencing_failed(inventory: Inventory, host: str, detail: str, run_id: str,
                   lines: list[str]) -> Notice:
    return Notice(f"{who(inventory)}: fencing {host} FAILED: {detail}; it is marked demoted, but "
                  "it may still serve or take orders: check it by hand", inventory.site,
                  "fencing_failed",
                  f"{run_id}:fencing_failed:{host}", lines=tuple(lines))


def fence_changes(inventory: Inventory, before: State, after: State) -> list[Notice]:
    """fencing_failed for every demoted host that this round fenced again (it answered:
    engine/fence.py fence_again) and could not, when the failure is not the one told before
    ("not reachable" -> "1 of 1 fence command(s) failed"): a host whose fencing fails the same
    way every round is told once, not every minute."""
    notices = []
    key = f"{inventory.service}:" if inventory.service else ""
    at = f"{after.last_round_at or 0:.0f}"  # one id per message: an owed repeat keeps it
    for host, mark in after.demoted.items():
        old = before.demoted.get(host)
        if old is None or mark.fenced or _failure(mark.detail) == _failure(old.detail):
            continue
        notices.append(Notice(
            f"{who(inventory)}: demoted host {host} answers again, but fencing it FAILED: "
            f"{mark.detail}; it may still serve or take orders: check it by hand", inventory.site,
            "fencing_failed", f"{key}{host}:fencing_failed:{at}"))
    return notices


def _failure(detail: str) -> str:
    """A fencing failure, as fence_changes compares them: every "not reachable: ..." (SSH gave
    no answer, whatever its words this time) is one failure."""
    return "not reachable" if detail.startswith("not reachable") else detail


def round_notices(inventory: Inventory, audit: AuditLog, before: State, after: State,
                  report: RoundReport) -> Dispatcher | None:
    """A recorded round's notices, started in the background: the hosts it declared down or
    recovered, a demoted host it could not fence (fence_changes), and one more attempt for every
    message earlier runs still owe. The round settles them once it has acted
    (engine/monitor.py act). None when there is nothing to send."""
    changes = host_changes(inventory, before, after, report) + fence_changes(inventory, before,
                                                                            after)
    owing = (inventory.state_dir / "outbox.json").exists()
    if not inventory.notify or not (changes or owing):
        return None  # a healthy round imports no more than this module
    from failover.notify.dispatch import Dispatcher

    notices = Dispatcher(inventory, audit)
    for notice in changes:
        notices.post(notice)
    if owing:
        notices.owed()
    return notices
