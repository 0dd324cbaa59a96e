"""What state.json holds: the active host, streaks, the last flip, mirror ages, the last run.

Frozen models: policy.py takes a State and returns a new one, so every decision is a pure function
of (inventory, state, round report, now).
"""

from typing import Annotated, Self

import msgspec

from failover.model.base import Model
from failover.model.types import Meta

Count = Annotated[int, Meta(ge=0)]


class Streak(Model):
    fail: Count = 0  # consecutive failed rounds
    ok: Count = 0  # consecutive passed rounds
    detail: str = ""  # the last round's result, for `status`


class HostState(Model):
    fail: Count = 0
    ok: Count = 0
    down: bool = False
    changed_at: float | None = None  # when `down` last changed
    ok_since: float | None = None  # the first round of its current run of passed rounds
    checks: dict[str, Streak] = {}  # by check; `storefront/ipv6` on a dual-stack host
    families: dict[str, Streak] = {}  # "ipv4"/"ipv6" of a dual-stack host (families.py)


class MirrorState(Model):
    pulled_at: float | None = None
    pulled_from: str | None = None
    pushed: dict[str, float] = {}  # host -> how old its data is: the pull time it was pushed from

    def pulled(self, host: str, now: float) -> Self:
        return self.replace(pulled_at=now, pulled_from=host)

    def pushed_to(self, host: str, now: float, data_at: float | None = None) -> Self:
        """The standby's data is as old as the mirror's last pull (freshness.py), not `now`;
        or, given, as old as `data_at` (a replica: what it last received)."""
        at = data_at if data_at is not None else self.pulled_at or now
        return self.replace(pushed={**self.pushed, host: at})


class Flip(Model):
    at: float
    from_: str | None = msgspec.field(default=None, name="from")
    to: str
    run_id: str
    automatic: bool = False


class LastRun(Model):
    id: str
    playbook: str
    status: str  # ok | failed | rescued | interrupted | dry-run
    started_at: float
    finished_at: float | None = None
    from_: str | None = msgspec.field(default=None, name="from")
    to: str | None = None


class Demoted(Model):
    """A host that lost the site and must not win it back on its own (engine/fence.py)."""

    since: float
    why: str
    fenced: bool = False  # the `fence:` commands ran there and passed
    detail: str = ""  # how the fencing went, in words
    run_id: str | None = None


class State(Model):
    version: int = 1
    active: str | None = None
    hosts: dict[str, HostState] = {}
    last_round_at: float | None = None
    last_flip: Flip | None = None
    mirrors: dict[str, MirrorState] = {}
    last_run: LastRun | None = None
    demoted: dict[str, Demoted] = {}  # host -> why automation must never choose it
    auto_flips: list[float] = []  # start times of automatic failover/failback runs (max_auto_*)
    paged_at: float | None = None  # no longer written (page marks: state/pages.py); old files
    # with `services:` in the inventory: every service but the first -> its own state (active
    # host, streaks, flips, demoted marks); mirrors stay here (state/services.py)
    services: dict[str, "State"] = {}
