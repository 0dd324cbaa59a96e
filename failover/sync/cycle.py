"""One `failover sync`: pull each set from its source into the mirror, push it to the targets.

Contract:
- Direction guard: the source is the active host unless the caller names another one
  (`source=`); the targets are every host but the active one and the source, unless the caller
  names them (`targets=`). Only an explicit target list may hold the active host; the engine's
  `sync` step refuses it on its own (failback pushes to a host that is not active yet).
- A set whose pull fails is not pushed (the error is its result); pushes of one set run in
  parallel, one thread per target; a failed push does not stop the others.
- Gates (an empty source, max_delete, max_delete_percent, an empty mirror) are the Mirror's:
  they stop a transfer before it changes anything and name their override. A refused or
  failed pull leaves the mirror's last good snapshot as it was; the set is not pushed.
  `allow_deletes` (`--allow-deletes N`) stands in for max_delete and max_delete_percent in
  this run only.
- `dry_run` changes nothing anywhere and lists what the real run will report: the pull is
  rsync's own dry run, the push is predicted from the tree the pull will leave in the mirror
  (mirror.plan_pull, predict.py), even when the mirror is empty or behind the source.
- The caller keeps what was done with `record()`, also after an interruption: each set's pull
  time and each standby's data time in the state, one audit line per transfer.
- Interruptions: a transfer is in `run.transfers` from its start (`done` False until it ends), so
  a caller that passes its own `run` knows, after Ctrl-C or SIGTERM, which transfers completed
  and which were cut short. The pushes still running in their threads are stopped (their rsync
  killed, which leaves the host's live files as they were) before the interruption goes on.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from functools import partial
from typing import Any

from failover.errors import FailoverError, HostKeyMismatch, UsageError
from failover.model.inventory import Inventory
from failover.model.state import MirrorState, State
from failover.state.audit import AuditLog
from failover.state.base import StateBackend
from failover.sync.mirror import Mirror
from failover.sync.report import SyncReport
from failover.sync.rsync import TransferCancelled
from failover.sync.tree import Manifest

log = logging.getLogger(__name__)


@dataclass
class Transfer:
    """One pull or push: its report, or the error that stopped it."""

    set: str
    direction: str
    host: str
    report: SyncReport | None = None
    error: str | None = None
    seconds: float = 0.0
    host_key_error: bool = False
    done: bool = True  # False while it runs (and for ever, if an interruption cut it short)

    @property
    def ok(self) -> bool:
        return self.error is None

    def to_json(self) -> dict[str, Any]:
        return {"set": self.set, "direction": self.direction, "host": self.host, "ok": self.ok,
                "error": self.error, "seconds": round(self.seconds, 3),
                "report": self.report.to_json() if self.report else None}


@dataclass
class SyncPlan:
    sets: list[str]
    source: str
    targets: list[str]


@dataclass
class SyncRun:
    plan: SyncPlan
    transfers: list[Transfer] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return all(t.ok for t in self.transfers)


def plan_sync(inventory: Inventory, active: str, sets: list[str], source: str | None,
              targets: list[str] | None) -> SyncPlan:
    """Resolve which sets go from where to where; UsageError for unknown names."""
    known = [s.name for s in inventory.sync]
    if not known:
        raise UsageError("the inventory has no sync sets; add a `sync:` section")
    for name in sets:
        if name not in known:
            raise UsageError(f"unknown sync set {name!r}; sync sets: {', '.join(known)}")
    for host in [source or active, *(targets or [])]:
        if host not in inventory.hosts:
            raise UsageError(f"unknown host {host!r}; hosts: {', '.join(inventory.hosts)}")
    src = source or active
    if targets:
        if src in targets:
            raise UsageError(f"--to {src}: that is the host the sync pulls from")
        chosen = list(dict.fromkeys(targets))
    else:
        chosen = [h for h in inventory.hosts if h not in (active, src)]
    if not chosen:
        raise UsageError(f"no host to push to: every host but {src} is active; name one "
                         "with --to")
    return SyncPlan(sets or known, src, chosen)


def run_sync(inventory: Inventory, plan: SyncPlan, *, dry_run: bool,
             on_transfer: Callable[[Transfer], None] | None = None,
             run: SyncRun | None = None, allow_deletes: int | None = None) -> SyncRun:
    """Pull then push every set of the plan, recording into `run` (a new one by default).
    `allow_deletes` replaces the deletion limits for this run. HostKeyMismatch stops the whole
    run."""
    mirror = Mirror(inventory, allow_deletes=allow_deletes, cancel=threading.Event())
    run = run or SyncRun(plan)
    notify = on_transfer or (lambda _: None)
    for set_name in plan.sets:
        trees: dict[str, Manifest | None] = {}
        pulled = _transfer(run, set_name, "pull", plan.source,
                           partial(_pull, mirror, set_name, plan.source, dry_run, trees,
                                   tuple(plan.targets)))
        notify(pulled)
        if pulled.host_key_error:  # a host key problem stops the whole run, at once
            raise HostKeyMismatch(pulled.error or "host key mismatch")
        if not pulled.ok:
            continue
        pool = ThreadPoolExecutor(max_workers=len(plan.targets))
        try:
            futures = [pool.submit(_transfer, run, set_name, "push", host,
                                   partial(mirror.push, set_name, host, dry_run=dry_run,
                                           tree=trees.get(set_name)))
                       for host in plan.targets]
            for future in futures:
                notify(_result(future))
        except BaseException:  # Ctrl-C or SIGTERM: stop the pushes still running, then go on
            mirror.cancel_transfers()
            raise
        finally:
            pool.shutdown(wait=True)
    for t in run.transfers:
        if t.host_key_error:
            raise HostKeyMismatch(t.error or "host key mismatch")
    return run


def _pull(mirror: Mirror, set_name: str, source: str, dry_run: bool,
          trees: dict[str, Manifest | None], targets: tuple[str, ...]) -> SyncReport:
    """The pull; a dry run keeps the tree the mirror will hold in `trees` for the pushes."""
    if not dry_run:
        return mirror.pull(set_name, source, stage_on=targets)
    report, trees[set_name] = mirror.plan_pull(set_name, source)
    return report


def _result(future: Future[Transfer]) -> Transfer:
    """future.result(), waking every half second: Ctrl-C that arrives just before a blocking
    wait begins is only handled when Python code runs again, which an unbounded wait never
    lets happen."""
    while True:
        try:
            return future.result(timeout=0.5)
        except TimeoutError:
            continue


def _transfer(run: SyncRun, set_name: str, direction: str, host: str,
              go: Callable[[], SyncReport]) -> Transfer:
    started = time.monotonic()
    t = Transfer(set_name, direction, host, done=False)
    run.transfers.append(t)  # list.append is atomic: pushes record themselves from their threads
    try:
        t.report = go()
    except TransferCancelled as e:  # stopped by an interruption: cut short, `done` stays False
        t.error, t.seconds = str(e), time.monotonic() - started
        return t
    except HostKeyMismatch as e:
        t.error, t.host_key_error = str(e), True
    except FailoverError as e:
        t.error = str(e)
        log.error("sync failed: set=%s direction=%s host=%s error=%s", set_name, direction,
                  host, e)
    except BaseException:
        t.seconds = time.monotonic() - started
        raise  # cut short: `done` stays False
    t.seconds = time.monotonic() - started
    t.done = True
    return t


def state_updates(state: State, run: SyncRun, now: float) -> State:
    """State with each set's pull time and each standby's data time (good transfers only)."""
    mirrors = dict(state.mirrors)
    for t in run.transfers:
        if not t.done or not t.ok or (t.report and t.report.dry_run):
            continue
        ms = mirrors.get(t.set, MirrorState())
        pull = t.direction == "pull"
        mirrors[t.set] = ms.pulled(t.host, now) if pull else \
            ms.pushed_to(t.host, now, t.report.data_at if t.report else None)
    return state.replace(mirrors=mirrors)


def record(store: StateBackend, audit: AuditLog, state: State, run: SyncRun, started: float, *,
           interrupted: bool, **extra: Any) -> State:
    """Keep what `run` did: `state_updates` saved, and one `sync` audit line per transfer (with
    `extra`, e.g. the run's --allow-deletes). After an interruption each line says whether its
    transfer was cut short (`interrupted`). Returns the saved state."""
    state = state_updates(state, run, started)
    store.save(state)
    for t in run.transfers:
        cut = {"interrupted": not t.done} if interrupted else {}
        audit.write("sync", **t.to_json(), **cut, **extra)
    return state
