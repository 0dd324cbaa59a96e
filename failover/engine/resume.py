"""Continuing a run that was interrupted after it had moved DNS, or that died (`failover resume`).

Before its DNS step, an interrupted run is finished by running the same command again: every
step is safe to repeat and the site has not moved. After it, the target is the active host, so
the same command cannot start the playbook anew (a sync must never write to the active host, and
a flip "to the active host" has nothing to do); it continues the interrupted run instead, from its
journal: the steps that were done are skipped, the one that was cut short and the rest run, and
the rescue still knows the DNS changes to put back.

Only the state's last run is continued, only if it was interrupted (not failed, not in its
rescue), and only by the same playbook toward the same host.

A run killed outright (SIGKILL, power loss) wrote nothing at its end: its journal still says
`running`, and the lock died with it. `unfinished` finds it (the newest journal, when no live
run holds the lock); `check` then refuses to start another run (CRITICAL) and `failover resume`
continues it from the first step it did not finish, or `--abandon` runs its rescue steps.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import TYPE_CHECKING

import msgspec

from failover.engine.active import run_target
from failover.errors import UnsafePlan
from failover.model.inventory import Inventory
from failover.model.state import State
from failover.state.base import StateBackend

if TYPE_CHECKING:  # `check` reads journals every round; the run machinery only when it runs
    from failover.engine.context import RunContext
    from failover.engine.journal import Journal  # imported where one is read: a round of a
    # site with no run journal (runs/ empty) never loads it

log = logging.getLogger(__name__)

DONE = ("ok", "warning", "ignored")
UNFINISHED = ("running", "interrupted")


def journal_of(inventory: Inventory, run_id: str) -> Journal | None:
    """The journal of run `run_id` (None when there is none, or it cannot be read)."""
    from failover.engine.journal import Journal

    path = inventory.state_dir / "runs" / f"{run_id}.json"
    try:
        return Journal.load(path)
    except FileNotFoundError:
        return None
    except (OSError, ValueError, KeyError, TypeError) as exc:
        log.warning("unreadable journal: path=%s error=%s", path, exc)
        return None


def unfinished(inventory: Inventory, store: StateBackend) -> Journal | None:
    """The newest run, if it did not finish: it died (its journal says `running` and no live
    run holds the lock), or it was interrupted once it had begun a DNS step. A newer run of
    any playbook supersedes it. With `services:`, the newest run of the inventory's service."""
    runs = sorted((inventory.state_dir / "runs").glob("*.json"), reverse=True)
    journal = None
    for run in runs:
        journal = journal_of(inventory, run.stem)
        if journal is None or journal.variables.get("service") == inventory.service:
            break
        journal = None
    if journal is None or journal.dry_run or journal.status not in UNFINISHED:
        return None
    if journal.status == "running" and store.other_run_live():
        return None  # it may be running right now
    if journal.status == "interrupted" and not any(
            r.phase == "steps" and r.action in ("dns", "dns_ttl") for r in journal.steps):
        return None  # a person stopped it before DNS: nothing to finish or put back
    return journal


def last_done(journal: Journal) -> str:
    """"step 3 (Start the shop on the standby)", or "none" — the last step it finished."""
    done = [r for r in journal.steps if r.phase == "steps" and r.status in DONE]
    return f"step {done[-1].index + 1} ({done[-1].name})" if done else "none"


def stuck_reason(journal: Journal) -> str:
    """What `check` and `status` say about an unfinished run, and what a person does."""
    v = journal.variables
    how = "was interrupted" if journal.status == "interrupted" else "did not finish (it died)"
    of = f" of service {v['service']}" if v.get("service") else ""
    return (f"run {journal.id}{of} ({journal.title}: {v.get('from')} -> {v.get('to')}) {how}; "
            f"last completed step: {last_done(journal)}; no new run starts until a person "
            f"continues it (`failover resume {journal.id}`) or rolls it back "
            f"(`failover resume --abandon {journal.id}`)")


def continuable(inventory: Inventory, state: State, playbook: Path,
                to: str | None) -> Journal | None:
    """The interrupted run that running `playbook` toward `to` (None: any) now continues."""
    last = state.last_run
    if last is None or last.status != "interrupted" or last.to is None:
        return None
    if last.to != state.active or (to is not None and to != last.to):
        return None  # it had not moved DNS (a new run finishes it), or this asks for elsewhere
    journal = journal_of(inventory, last.id)
    if journal is None or Path(journal.playbook) != playbook or journal.status != "interrupted":
        return None
    if any(r.phase == "rescue" or r.status == "failed" for r in journal.steps):
        return None  # it had failed and begun its rescue: not a run to finish
    return journal


class Launch(msgspec.Struct, frozen=True):
    """What `failover run PLAYBOOK` starts: a new run, or the interrupted one it continues."""

    variables: dict[str, str]  # from, to
    resume: Journal | None
    question: str  # what the person confirms


def launch(inventory: Inventory, state: State, playbook: str, path: Path, to: str | None, *,
           seen: str | None, dry_run: bool) -> Launch:
    """The run that `failover run PLAYBOOK [--to TO]` starts now, in `state` (active resolved).

    `seen`: the active host when the person asked, before waiting for the lock; a site that
    moved meanwhile (another run) stops this one (UnsafePlan) unless --to names the target. A
    dry run continues a copy of an interrupted run's journal, which it never writes."""
    active = state.active
    assert active is not None
    if seen is not None and active != seen and to is None:
        last = state.last_run
        by = f" (run {last.id}: {last.playbook})" if last is not None else ""
        raise UnsafePlan(f"the site moved from {seen} to {active} while this command waited "
                         f"for the lock{by}; nothing done: check `failover status`, then run "
                         "it again if it is still needed")
    resume = continuable(inventory, state, path, to)
    if resume is None:
        target = run_target(inventory, playbook, active, to)
        return Launch({"from": active, "to": target}, None,
                      f"Run playbook {playbook!r} for {inventory.site}: {active} -> {target}? "
                      "This changes DNS and hosts.")
    source, target = resume.variables["from"], resume.variables["to"]
    question = (f"Continue run {resume.id} of playbook {playbook!r} for {inventory.site} "
                f"({source} -> {target}; DNS already moved) from step {first_undone(resume) + 1}?")
    if dry_run:
        from dataclasses import replace

        resume = replace(resume, path=None, steps=list(resume.steps))
    return Launch({"from": source, "to": target}, resume, question)


def first_undone(journal: Journal) -> int:
    """The index of the first step the interrupted run did not finish."""
    done = {r.index for r in journal.steps if r.phase == "steps" and r.status in DONE}
    index = 0
    while index in done:
        index += 1
    return index


def restore_dns_record(ctx: RunContext, journal: Journal) -> None:
    """Give `ctx` the DNS changes the interrupted run made (for its rescue and dns_verify)."""
    from failover.dns.records import ZonePlan
    from failover.dns.registry import provider_for

    zones = {z.zone: z for z in ctx.inventory.dns}
    for record in journal.steps:
        if record.phase != "steps" or record.action != "dns" or record.status not in DONE:
            continue
        plans = [ZonePlan.from_json(z) for z in record.data.get("zones", [])]
        plans = [p for p in plans if p.zone in zones and not p.empty]
        if not plans:
            continue
        if not ctx.dns_applied:
            ctx.active_before_flip = record.data.get("active_before")
        ctx.dns_applied += [(provider_for(zones[p.zone]), p) for p in plans]
        ctx.effects.dns_to = record.data.get("to")
        if record.data.get("dropped"):  # a flip that moved one family only (issue 20)
            ctx.dropped[str(record.data["to"])] = set(record.data["dropped"])
        ctx.effects.dns_zones = [p.zone for p in plans]
