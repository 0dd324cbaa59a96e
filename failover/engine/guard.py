"""Guards around automatic action: counting automatic flips, paging a person when blocked.

policy.py decides (pure); this module does the two writes those decisions need: the start time
of every automatic failover/failback run that started goes into state.auto_flips (what
`policy.max_auto_failovers` counts, failed runs included: a run that failed half-way still moved
traffic or tried to; a run refused before its first step, e.g. by the freshness gate, does not
count), and a blocked automatic failover pages the inventory's notify channels once per
`policy.auto_failover_window`, not every round.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from failover.model.inventory import Inventory
from failover.model.state import State
from failover.policy import Decision
from failover.state.audit import AuditLog
from failover.state.store import StateStore

log = logging.getLogger(__name__)


def count_auto_flip(inventory: Inventory, state: State, store: StateStore, now: float) -> State:
    """`state` with `now` added to auto_flips (older entries past the window dropped), saved."""
    window = inventory.policy.auto_failover_window
    flips = [t for t in state.auto_flips if now - t < window] + [now]
    counted = state.replace(auto_flips=flips)
    store.save(counted)
    return counted


def page_if_blocked(decision: Decision, inventory: Inventory, state: State, store: StateStore,
                    audit: AuditLog, clock: Callable[[], float]) -> State:
    """Send `decision.page` to every notify channel, at most once per window; returns the state."""
    if decision.page is None:
        return state
    now = clock()
    if state.paged_at is not None and now - state.paged_at < inventory.policy.auto_failover_window:
        log.info("page skipped: already paged at=%.0f", state.paged_at)
        return state
    from failover.notify import send_all

    failures = send_all(inventory, decision.page, event="auto_failover_blocked")
    audit.write("page", message=decision.page, failures=failures)
    paged = state.replace(paged_at=now)
    store.save(paged)
    return paged
