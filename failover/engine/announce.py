"""A failover or failback run tells people it started and how it ended (notify/events.py).

The messages go out in the background (notify/dispatch.py) while the run goes on: the DNS flip
never waits for a chat server. The run's end posts done / failed / rescued, then waits for what
is still trying (never past each channel's deadline); a message not delivered is a WARNING line
in the run's output (and `notify_owed` in the audit log) and is owed to the next `check` round.
An interrupted run tells the team itself (engine/interrupted.py), so here it only stops retrying.
A run of any other playbook, or a dry run, tells nobody (its `notify:` steps still do).
"""

from __future__ import annotations

from pathlib import Path

from failover.engine.context import RunContext
from failover.engine.journal import Journal
from failover.interrupt import handled


def run_kind(ctx: RunContext, name: str, journal: Journal) -> str | None:
    """failover | failback: the playbooks whose runs are events (by name, or by its file)."""
    from failover.notify.events import RUN_KINDS

    if name in RUN_KINDS:
        return name
    path = Path(journal.playbook)
    return next((k for k in RUN_KINDS if ctx.inventory.playbooks.get(k) == path), None)


def announce_start(ctx: RunContext, name: str, journal: Journal, *, resumed: bool) -> None:
    """Set up the run's notices (ctx.notices) and post `<kind>_started`; a resumed run's start
    was told by the run it continues."""
    kind = run_kind(ctx, name, journal)
    if ctx.dry_run or kind is None or not ctx.inventory.notify:
        return
    from failover.notify.dispatch import Dispatcher
    from failover.notify.events import run_started

    ctx.notices = Dispatcher(ctx.inventory, ctx.audit)
    if not resumed:
        ctx.notices.post(run_started(ctx.inventory, kind, journal))


def announce_end(ctx: RunContext, name: str, journal: Journal) -> None:
    """Post how the run ended, wait for the run's messages, say WARNING for each one owed."""
    notices, kind = ctx.notices, run_kind(ctx, name, journal)
    if notices is None or kind is None:
        return
    from failover.notify.events import run_ended

    if journal.status == "interrupted":
        notices.hurry()
    elif (notice := run_ended(ctx.inventory, kind, journal,
                              ctx.state.active)) is not None:
        notices.post(notice)
    try:
        lines = notices.settle()
    except KeyboardInterrupt:  # Ctrl-C while waiting for a slow channel: stop waiting
        handled()
        notices.hurry()
        lines = notices.settle()
    for line in lines:
        ctx.emit(line)
    ctx.notices = None
