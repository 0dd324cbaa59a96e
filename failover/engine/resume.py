"""Continuing a run that was interrupted after it had moved DNS.

Before its DNS step, an interrupted run is finished by running the same command again: every
step is safe to repeat and the site has not moved. After it, the target is the active host, so
the same command cannot start the playbook anew (a sync must never write to the active host, and
a flip "to the active host" has nothing to do); it continues the interrupted run instead, from its
journal: the steps that were done are skipped, the one that was cut short and the rest run, and
the rescue still knows the DNS changes to put back.

Only the state's last run is continued, only if it was interrupted (not failed, not in its
rescue), and only by the same playbook toward the same host.
"""

from __future__ import annotations

import logging
from pathlib import Path

from failover.engine.context import RunContext
from failover.engine.journal import Journal
from failover.model.inventory import Inventory
from failover.model.state import State

log = logging.getLogger(__name__)

DONE = ("ok", "warning", "ignored")


def continuable(inventory: Inventory, state: State, playbook: Path,
                to: str | None) -> Journal | None:
    """The interrupted run that running `playbook` toward `to` (None: any) now continues."""
    last = state.last_run
    if last is None or last.status != "interrupted" or last.to is None:
        return None
    if last.to != state.active or (to is not None and to != last.to):
        return None  # it had not moved DNS (a new run finishes it), or this asks for elsewhere
    path = inventory.state_dir / "runs" / f"{last.id}.json"
    try:
        journal = Journal.load(path)
    except (OSError, ValueError, KeyError, TypeError) as exc:
        log.warning("cannot continue: run=%s journal=%s error=%s", last.id, path, exc)
        return None
    if Path(journal.playbook) != playbook or journal.status != "interrupted":
        return None
    if any(r.phase == "rescue" or r.status == "failed" for r in journal.steps):
        return None  # it had failed and begun its rescue: not a run to finish
    return journal


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
        ctx.effects.dns_zones = [p.zone for p in plans]
