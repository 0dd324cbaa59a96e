"""A check round with `coordination:` (what `check` and `watch` run on every checker).

1. Probe every host (no lock: checkers probe at the same time).
2. Count the round into this checker's own streaks and publish them as its view (views.py).
   A checker that cannot reach etcd stops here: EtcdUnavailable, exit 3, it never acts.
3. Take the leadership (backend.py; waits up to --wait while another checker's round or a
   person's command holds it). As leader:
   - a run whose leader died (its journal in etcd still says `running`) is continued from its
     first unfinished step (engine/resume.py), before anything else;
   - the round is judged on the shared state, with each host's streaks as a quorum of live
     checkers sees them, and acted on exactly as a single checker would (engine/monitor.py).
   Leadership is let go at the end of the round, so a person's command gets in between rounds.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import TYPE_CHECKING

from failover import policy
from failover.coord.backend import EtcdStateBackend
from failover.coord.views import combine, read_views, summary, write_view
from failover.model.coordination import View
from failover.model.inventory import Inventory
from failover.model.results import RoundReport
from failover.model.state import State
from failover.state.base import StateBackend

if TYPE_CHECKING:
    from collections.abc import Callable

    from failover.engine.journal import Journal
    from failover.engine.monitor import RoundOutcome
    from failover.state.audit import AuditLog

log = logging.getLogger(__name__)


class Site:
    """What a coordinated round works with (cli/check.py builds it from its App): the service
    it judges (`inventory`, a view with `services:`), that service's state (`store`: etcd's,
    or its part of it, state/services.py), the etcd backend itself, and `other(name)`: the same
    for another service (a dead leader's run may be another service's)."""

    def __init__(self, inventory: Inventory, store: StateBackend, backend: EtcdStateBackend,
                 audit: AuditLog, clock: Callable[[], float], resolve: Callable[[State], State],
                 other: Callable[[str], Site] | None = None) -> None:
        self.inventory, self.store, self.backend, self.audit = inventory, store, backend, audit
        self.clock, self.resolve, self.other = clock, resolve, other


def coordinated_round(site: Site, *, no_act: bool, wait: float, emit: Callable[[str], None]
                      ) -> tuple[RoundOutcome, State, list[str]]:
    """One round (module docstring): the outcome, the state it was judged in, and notes on
    the quorum and the leader for its output."""
    from failover.checks import run_round
    from failover.engine.monitor import act, assess

    inv, store, session = site.inventory, site.store, site.backend.session
    assert inv.coordination is not None
    needed = inv.coordination.needed
    state = site.resolve(store.load())
    report = run_round(inv)
    views = publish(site, state, report, write=not no_act)
    if no_act:
        outcome = assess(inv, store, site.audit, state, record=False, clock=site.clock,
                         report=report, count=quorum_count(views, needed))
        return outcome, outcome.state, notes(site, views, outcome.state)
    with store.lock(wait):
        resumed = resume_dead_run(site, emit)
        # judged on what etcd holds now: the wait for the leadership may have been long
        views = {**read_views(session, inv.service), session.checker: views[session.checker]}
        fresh = site.resolve(store.load())
        outcome = assess(inv, store, site.audit, fresh, record=True, clock=site.clock,
                         report=report, count=quorum_count(views, needed))
        judged = outcome.state
        act(outcome, inv, store, site.audit, emit=emit, clock=site.clock)
        if resumed is not None and resumed.variables.get("service", inv.service) != inv.service:
            # another service's run: its own lines say how it went; this round's outcome is not it
            emit(f"run {resumed.id} (service {resumed.variables['service']}): {resumed.status}")
        elif outcome.run is None and resumed is not None:
            outcome.run = resumed
            if resumed.failed:
                outcome.run_error = f"run {resumed.id} {resumed.status}: {resumed.error}"
    lines = [f"coordination: leader this round: {session.checker}",
             *notes(site, views, outcome.state)]
    return outcome, judged, lines


def publish(site: Site, state: State, report: RoundReport, *, write: bool) -> dict[str, View]:
    """This checker's view of this round (written unless `write` is False); every live view."""
    inv, session = site.inventory, site.backend.session
    views = read_views(session, inv.service)
    mine = views.get(session.checker)
    own = policy.record_round(inv, state.replace(hosts=mine.hosts if mine else {}), report,
                              site.clock())
    assert inv.coordination is not None
    view = View(checker=session.checker, at=site.clock(), round=mine.round + 1 if mine else 1,
                online=report.online, active=state.active, hosts=own.hosts,
                provider=inv.coordination.provider)
    if write:
        write_view(session, view, inv.service)
    views[session.checker] = view
    return views


def quorum_count(views: dict[str, View], needed: int) -> Callable[
        [Inventory, State, RoundReport, float], State]:
    """monitor.assess's `count`: the streaks of a quorum of live checkers, not one's own."""
    def count(inv: Inventory, state: State, report: RoundReport, now: float) -> State:
        return state.replace(hosts=combine(list(inv.hosts), views, needed), last_round_at=now)
    return count


def resume_dead_run(site: Site, emit: Callable[[str], None]) -> Journal | None:
    """As leader: continue the newest run if a leader died in it (etcd says `running`). Its
    journal is copied to this checker's runs/ folder first, so `status`, `report` and `resume`
    see it here too. With `services:`, the run moves the service it was started for, whichever
    service this round judges. Returns the finished run, or None when there was none to continue."""
    from failover.config import load_playbook
    from failover.engine.context import RunContext
    from failover.engine.journal import Journal
    from failover.engine.runner import Runner

    found = fetch_newest_run(site.inventory, site.backend)
    if found is None:
        return None
    checker, path = found
    journal = Journal.load(path)
    if journal.status != "running" or journal.dry_run:
        return None
    service = journal.variables.get("service")
    if service and service != site.inventory.service and site.other is not None:
        site = site.other(service)
    store, inv = site.store, site.inventory
    playbook = _playbook(inv, journal.playbook)
    emit(f"run {journal.id}: its leader ({checker}) is gone; continuing it as leader "
         f"{site.backend.session.checker}")
    log.warning("resuming: run=%s dead_leader=%s service=%s", journal.id, checker, service)
    ctx = RunContext(inventory=inv, store=store, audit=site.audit, state=store.load(),
                     emit=emit, clock=site.clock)
    return Runner(ctx, load_playbook(playbook, inv), playbook, dict(journal.variables),
                  resume=journal).run()


def fetch_newest_run(inv: Inventory, store: EtcdStateBackend) -> tuple[str, Path] | None:
    """Copy the newest run journal in etcd to this checker's runs/ folder, where `status`,
    `report` and `failover resume` read journals: (the checker that wrote it, the file)."""
    from failover.state.files import dumps, write_atomic

    found = store.newest_journal()
    if found is None:
        return None
    checker, data = found
    path = inv.state_dir / "runs" / f"{data['id']}.json"
    write_atomic(path, dumps(data, indent=2) + "\n")
    return checker, path


def _playbook(inv: Inventory, recorded: str) -> Path:
    """The inventory's playbook a journal names (another checker's path for the same file)."""
    for path in inv.playbooks.values():
        if path.name == Path(recorded).name:
            return path
    return Path(recorded)


def last_flip_note(store: EtcdStateBackend, state: State) -> str | None:
    """Who moved the site last (a run of another checker is reported by all of them)."""
    flip = state.last_flip
    if flip is None or not flip.run_id:
        return None
    kv = store.session.client.get(store.session.key(f"runs/{flip.run_id}"))
    import json

    by = json.loads(kv.value).get("checker", "?") if kv else "?"
    return f"coordination: last flip {flip.from_} -> {flip.to} by run {flip.run_id} (leader {by})"


def notes(site: Site, views: dict[str, View], state: State) -> list[str]:
    inv = site.inventory
    assert inv.coordination is not None
    lines = summary(list(inv.hosts), views, inv.coordination.needed)
    flip = last_flip_note(site.backend, state)
    return [*lines, flip] if flip else lines
