"""One service's state inside the site's state (the StateBackend contract, state/base.py).

With `services:` in the inventory every service has its own active host, streaks, cooldown,
flips and demoted marks. The first service keeps them at the top of state.json, where an
inventory without `services:` keeps them (so adding a `services:` section keeps the site's
history); every other service keeps them under `services.NAME`. Mirror ages stay at the top for
all: they are per sync set, and a set belongs to one service.

    store = service_store(open_state(inventory), view)   # view: model/services.view(...)
    store.load()                                         # that service's State
    with store.lock(wait=60): ...                        # the site's one run lock

Reads and saves go through the site's backend: a save reads the stored state and puts this
service's part in (one atomic write, fenced by the site's lock like any save).
"""

from __future__ import annotations

from failover.model.inventory import Inventory
from failover.model.services import service_names
from failover.model.state import State
from failover.state.base import Lock, StateBackend, Version, Versioned


class ServiceStateBackend(StateBackend):
    """Service `name`'s part of `site`'s state; `first`: it is the inventory's first service."""

    def __init__(self, site: StateBackend, name: str, *, first: bool) -> None:
        super().__init__()
        self.site, self.name, self.first = site, name, first

    def read(self) -> Versioned:
        stored = self.site.read()
        return Versioned(self._part(stored.state), stored.version)

    def _part(self, whole: State) -> State:
        if self.first:
            return whole
        return whole.services.get(self.name, State()).replace(mirrors=whole.mirrors)

    def save(self, state: State, *, expect: Version | None = None) -> Version:
        whole = self.site.read().state
        if self.first:
            merged = state.replace(services=whole.services)
        else:
            services = {**whole.services, self.name: state.replace(mirrors={}, services={})}
            merged = whole.replace(services=services, mirrors={**whole.mirrors, **state.mirrors})
        return self.site.save(merged, expect=expect)

    def other_run_live(self) -> bool:
        return self.site.other_run_live()

    def save_journal(self, run_id: str, text: str) -> None:
        self.site.save_journal(run_id, text)  # etcd: fenced, for a new leader to resume

    def lock(self, wait: float) -> Lock:
        return self.site.lock(wait)  # one acting run at a time, whichever service it moves

    @property
    def held(self) -> Lock | None:
        return self.site.held  # the site's lock fences the site's save, which is ours

    @held.setter
    def held(self, lock: Lock | None) -> None:
        pass  # the site's lock sets the site's mark (StateBackend.__init__ clears it: no-op)

    def _new_lock(self, wait: float) -> Lock:
        return self.site.lock(wait)


def service_store(site: StateBackend, unit: Inventory) -> StateBackend:
    """The backend for `unit` (an inventory, or one service's view of it)."""
    if unit.service is None:
        return site
    return ServiceStateBackend(site, unit.service, first=service_names(unit)[0] == unit.service)
