"""Guards around automatic action: counting automatic flips, paging a person when blocked.

policy.py decides (pure); this module does the two writes those decisions need: the start time
of every automatic failover/failback run that started goes into state.auto_flips (what
`policy.max_auto_failovers` counts, failed runs included: a run that failed half-way still moved
traffic or tried to; a run refused before its first step, e.g. by the freshness gate, does not
count); and it sends the pages policy.py asks for (the active host is down, automation does not
act) to the inventory's notify channels, once per `policy.auto_failover_window` and reason, not
every round. Page marks live in pages.json (state/pages.py), never in state.json: a round that
could not take the run lock pages too, and must not write the state the lock holder owns. The
marks are cleared once the active host is up again, so the next incident pages afresh.
"""

from __future__ import annotations

import logging

from failover.errors import LockHeld
from failover.model.inventory import Inventory
from failover.model.state import State
from failover.model.types import format_duration
from failover.policy import Page, auto_flips_in_window, lock_held_page, page_due
from failover.state.audit import AuditLog
from failover.state.base import StateBackend
from failover.state.pages import PageMarks, has_marks

log = logging.getLogger(__name__)


def count_auto_flip(inventory: Inventory, state: State, store: StateBackend, now: float) -> State:
    """`state` with `now` added to auto_flips (older entries past the window dropped), saved."""
    flips = [*auto_flips_in_window(inventory, state, now), now]
    counted = state.replace(auto_flips=flips)
    store.save(counted)
    return counted


def send_page(page: Page, inventory: Inventory, audit: AuditLog, now: float) -> str:
    """Send `page` to every notify channel unless its reason was paged within the window.

    Returns one line for the round's output saying what happened. The mark is set only when at
    least one channel took the message (or there is none to try), so a page that reached nobody
    is tried again next round. Never raises: paging must not stop a round.
    """
    window = inventory.policy.auto_failover_window
    try:
        with PageMarks(inventory.state_dir, inventory.service) as marks:
            if not page_due(marks.marks, page.reason, now, window):
                ago = format_duration(max(0.0, now - marks.marks[page.reason]))
                log.info("page skipped: reason=%s sent=%s ago", page.reason, ago)
                return (f"page ({page.reason}) not repeated: sent {ago} ago; once per "
                        f"{format_duration(window)} (policy.auto_failover_window)")
            return _send(page, inventory, audit, marks, now)
    except LockHeld as e:
        log.warning("page not sent: reason=%s error=%s", page.reason, e)
        return f"page ({page.reason}) not sent: {e}"
    except OSError as e:  # pages.json or its lock cannot be written (the audit says if it went)
        log.error("page marks: reason=%s error=%s", page.reason, e)
        return f"page ({page.reason}): page marks in {inventory.state_dir}: {e.strerror or e}"


def _send(page: Page, inventory: Inventory, audit: AuditLog, marks: PageMarks,
          now: float) -> str:
    from failover.notify import channels_for, send_all

    # one attempt, nothing owed: a page that reached nobody is sent again by the next round
    failures = send_all(inventory, page.text, event="auto_failover_blocked", audit=audit,
                        retry=False, owe=False)
    channels = channels_for(inventory, "auto_failover_blocked")
    audit.write("page", reason=page.reason, message=page.text, channels=channels,
                failures=failures)
    if channels and len(failures) == channels:
        return (f"page ({page.reason}) FAILED on every channel ({'; '.join(failures)}); "
                "trying again next round")
    marks.mark(page.reason, now)
    if not channels:
        return f"page ({page.reason}): no notify channels in the inventory; nobody was paged"
    return (f"paged ({page.reason}): sent to {channels - len(failures)} of {channels} notify "
            "channel(s)")


def clear_pages(inventory: Inventory) -> None:
    """The active host is up again: the next incident pages afresh, whatever the window says."""
    if not has_marks(inventory.state_dir, inventory.service):
        return
    try:
        with PageMarks(inventory.state_dir, inventory.service) as marks:
            if marks.marks:
                log.info("page marks cleared: reasons=%s", ",".join(sorted(marks.marks)))
            marks.clear()
    except LockHeld as e:
        log.warning("page marks not cleared: error=%s", e)


def page_lock_held(inventory: Inventory, state: State, audit: AuditLog, detail: str,
                   now: float) -> str | None:
    """A round could not take the run lock: page a person if the active host is down (by the
    last round in `state`, which the caller only read). None when there is nothing to page."""
    page = lock_held_page(inventory, state, detail)
    return None if page is None else send_page(page, inventory, audit, now)
