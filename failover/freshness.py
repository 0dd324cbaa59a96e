"""Freshness of the standbys' content: pure functions of (inventory, state, now).

The age of a standby's copy of a sync set is the data a failover to it would lose (the RPO). It is
measured from the time the mirror was pulled from its source for the last good push to that
standby (state.json `mirrors.<set>.pushed.<host>`), so pushing an old mirror again after a failed
pull does not make the standby look fresh. A set without `max_age` is never stale; a standby
never synced is stale for every set that has one.
"""

from __future__ import annotations

import msgspec

from failover.model.inventory import Inventory
from failover.model.state import State
from failover.model.types import format_age, format_duration


class DataAge(msgspec.Struct, frozen=True):
    set: str
    host: str
    synced_at: float | None  # data time of the last good push; None = never
    age: float | None
    max_age: float | None

    @property
    def stale(self) -> bool:
        if self.max_age is None:
            return False
        return self.age is None or self.age > self.max_age

    def describe(self) -> str:
        age = "never synced" if self.age is None else f"data {format_age(self.age)} old"
        limit = f", max_age {format_duration(self.max_age)}" if self.max_age is not None else ""
        return f"{self.host} set {self.set}: {age}{limit}"


def data_ages(inventory: Inventory, state: State, host: str, now: float) -> list[DataAge]:
    """The age of every sync set on `host` (whether or not it has a max_age)."""
    out = []
    for sset in inventory.sync:
        mirror = state.mirrors.get(sset.name)
        at = mirror.pushed.get(host) if mirror else None
        out.append(DataAge(sset.name, host, at, None if at is None else max(0.0, now - at),
                           sset.max_age))
    return out


def stale_sets(inventory: Inventory, state: State, host: str, now: float) -> list[DataAge]:
    return [a for a in data_ages(inventory, state, host, now) if a.stale]


def standby_warnings(inventory: Inventory, state: State, now: float) -> list[str]:
    """One reason per stale standby and set: what `check` reports as WARNING."""
    return [f"standby {a.describe()}: older than max_age"
            for host in inventory.hosts if host != state.active
            for a in stale_sets(inventory, state, host, now)]


def refusal(inventory: Inventory, state: State, host: str, now: float) -> str | None:
    """Why promoting `host` is refused (None if its data is fresh enough)."""
    stale = stale_sets(inventory, state, host, now)
    if not stale:
        return None
    return (f"standby {host} is stale: " + "; ".join(a.describe() for a in stale)
            + "; promoting it would lose that much data. Run `failover sync` first, or add "
              "--accept-stale to promote it anyway")
