"""`sync: {set: S, from: A, to: B, pull: best_effort|required}`: pull set S from A (the old
host) into the mirror, then push the mirror to B.

- A sync never writes to the active host (UnsafePlan before anything is done).
- `pull: best_effort` (a failover: the old host may be gone): a pull that fails, or is refused
  by its gates, leaves the mirror's last good snapshot, which is pushed; the outcome is a
  warning saying how old it is. `pull: required` (a failback: the orders taken meanwhile are on
  A) fails the step instead, before anything is pushed.
- When the round that started this run saw A's SSH port give no answer, the pull is skipped at
  once rather than waiting for ssh's connect timeout again (RunContext.ssh_unanswered).
- A dry run lists what the real run will report, the pull by rsync's own dry run and the push
  predicted from it (mirror.plan_pull, sync/predict.py): describe and apply are the same
  transfer, one with `dry` set.
- A push that fails stops the run whatever `ignore_errors` says (TargetBehind): `to` would
  serve an older copy than the mirror holds (`ignore_errors` on a failover's sync is for the
  pull from a host that may be gone). `--accept-stale` lets the run go on with `to`'s copy.
- `pull: required` (a failback) keeps `to`'s own copy of a plain file set before the push
  overwrites it (sync/kept.py): its stale copy may hold orders it took before it went down.
- Safe to repeat: a pull and a push converge on the source; a push publishes whole or not at
  all (sync/release.py).
"""

from __future__ import annotations

import dataclasses
import logging
from typing import TYPE_CHECKING, Any

import msgspec

from failover.engine.context import RunContext
from failover.engine.outcome import Outcome
from failover.engine.steps.base import Action, is_fallback, known_host, on_fallback
from failover.errors import MirrorUnusable, StepFailed, SyncError, TargetBehind, UnsafePlan
from failover.model.playbook import SyncAction
from failover.model.state import MirrorState

if TYPE_CHECKING:
    from failover.sync.mirror import Mirror
    from failover.sync.tree import Manifest

log = logging.getLogger(__name__)


class SyncStep(Action[SyncAction, None]):
    key = "sync"

    def run(self, ctx: RunContext, p: SyncAction) -> Outcome:
        """A set of another service (`services:`) is not this run's: one playbook serves every
        service, and each run syncs only the sets of the service it moves."""
        whole, service = ctx.inventory.whole, ctx.inventory.service
        if whole is not None and service and p.set not in {s.name for s in ctx.inventory.sync} \
                and p.set in {s.name for s in whole.sync}:
            return Outcome(detail=f"skipped: set {p.set} is not service {service}'s")
        return on_fallback(ctx, p.to, "never given data") or _from_fallback(ctx, p) or \
            super().run(ctx, p)

    def validate(self, ctx: RunContext, p: SyncAction) -> None:
        known_host(ctx, p.to, "sync.to")
        try:
            ctx.inventory.sync_set(p.set)
        except KeyError:
            raise StepFailed(f"sync.set: unknown sync set {p.set!r}") from None
        if p.to == ctx.state.active:
            raise UnsafePlan(f"sync would push set {p.set} to {p.to}, the active host; "
                             "a sync never writes to the active host (fail over first)")
        if p.from_:
            known_host(ctx, p.from_, "sync.from")
        if p.promote and ctx.inventory.sync_set(p.set).mode != "replica":
            raise StepFailed(f"sync.promote: set {p.set} is not `mode: replica`; only a replica "
                             "is promoted (a dump set's push already makes `to` current)")

    def plan(self, ctx: RunContext, p: SyncAction) -> None:
        return None  # the transfer plans itself: rsync's dry run is the plan

    def describe(self, ctx: RunContext, p: SyncAction, plan: None) -> Outcome:
        return _transfer(ctx, p, dry=True)

    def apply(self, ctx: RunContext, p: SyncAction, plan: None) -> Outcome:
        return _transfer(ctx, p, dry=False)


def _from_fallback(ctx: RunContext, p: SyncAction) -> Outcome | None:
    """Records leaving a `role: fallback` host (engine/fallback.py): nothing to pull there. The
    host the records left for the page served last and keeps its own copy (the newest); any
    other host is pushed the last good mirror, as when the old host of a failover is gone."""
    if not is_fallback(ctx, p.from_):
        return None
    flip = ctx.state.last_flip
    served = flip.from_ if flip is not None and flip.to == p.from_ else None
    if served is None or served == p.to:
        return on_fallback(ctx, p.from_, f"no data there; {p.to} served last and keeps its own "
                                         "copy")
    out = SyncStep().run(ctx, msgspec.structs.replace(p, from_=None))
    return dataclasses.replace(out, detail=(
        f"no data on the fallback host {p.from_}; {p.to} did not serve last ({served} did): "
        f"the last good mirror: {out.detail}"))


def _transfer(ctx: RunContext, p: SyncAction, *, dry: bool) -> Outcome:
    from failover.sync.mirror import Mirror
    from failover.sync.snapshots import describe_age

    mirror = Mirror(ctx.inventory, allow_deletes=ctx.allow_deletes)
    would = "would " if dry else ""
    lines: list[str] = []
    data: dict[str, Any] = {"pull": None}
    if ctx.allow_deletes is not None:
        data["allow_deletes"] = ctx.allow_deletes
    now = ctx.clock()
    ms = ctx.state.mirrors.get(p.set, MirrorState())
    problem, tree = "", None  # why the pull did not happen: then the last good mirror is pushed
    if p.from_:
        problem, tree, ms = _pull(ctx, p, p.from_, mirror, ms, lines, data, now, dry=dry)
    if problem and p.pull == "required":  # the data to bring home is on `from`: never push
        raise StepFailed(f"{problem}; this step needs it (pull: required): nothing was pushed "
                         f"to {p.to}")
    detail = ""
    if problem:
        good = mirror.last_good(p.set)
        taken = (good.taken_at if good else None) or ms.pulled_at
        age = describe_age(now - taken) if taken else "age unknown"
        detail = f"{problem}; {'would push' if dry else 'pushed'} the last good mirror ({age})"
    if p.promote:
        return _promote(ctx, p, mirror, lines, data, detail, ms, dry=dry)
    good = None if dry else mirror.last_good(p.set)
    with ctx.change("push", p.to, p.set) as push:
        if p.pull == "required":  # a failback: `to`'s own copy may hold what nobody else has
            lines += _keep(mirror, p, dry=dry)
        try:
            pushed = mirror.push(p.set, p.to, dry_run=dry, tree=tree,
                                 master=ctx.ssh_masters.get(p.to))
        except MirrorUnusable:
            raise  # nothing was sent: `to` is not behind anything the mirror can give
        except SyncError as e:
            if ctx.accept_stale:
                raise
            raise TargetBehind(
                f"push to {p.to} failed ({e}); {p.to} would serve an older copy of set "
                f"{p.set} than the mirror holds, without the newest orders: fix {p.to} and run "
                "again, or run with --accept-stale to move the site to it as it is") from e
        push.end("changed" if pushed.changed else "unchanged")
    lines += [f"{would}push mirror -> {p.to}:"] + ["  " + x for x in pushed.lines()]
    data["push"] = pushed.to_json()
    if good is not None:
        data["snapshot"] = good.id
    if dry:
        return Outcome("dry-run", detail or f"would sync set {p.set} to {p.to}", lines, data)
    ms = ms.pushed_to(p.to, now)
    ctx.save_state(ctx.state.replace(mirrors={**ctx.state.mirrors, p.set: ms}))
    return Outcome("warning" if detail else "ok", detail or f"set {p.set} synced to {p.to}",
                   lines, data)


def _keep(mirror: Mirror, p: SyncAction, *, dry: bool) -> list[str]:
    """Keep `to`'s copy before the push overwrites it (sync/kept.py): the lines saying where."""
    found = mirror.set(p.set)
    if found.sset.atomic or found.sset.type != "files":
        return []  # releases, or a database's `__prev`: every push keeps the copy it replaces
    back = f"(`failover sync --rollback {p.set} --host {p.to}` puts it back)"
    if dry:
        return [f"would keep {p.to}'s copy as {found.host_path(p.to).rstrip('/')}.kept/<id> "
                f"first {back}"]
    copy = found.keep(p.to)
    return [f"kept {p.to}'s copy as {copy} {back}" if copy else
            f"{p.to} had no copy of set {p.set} to keep"]


def _pull(ctx: RunContext, p: SyncAction, source: str, mirror: Mirror, ms: MirrorState,
          lines: list[str], data: dict[str, Any], now: float, *,
          dry: bool) -> tuple[str, Manifest | None, MirrorState]:
    """Pull the set from `source` into the mirror (a dry run: plan it). Returns why it did not
    happen ("" when it did), the source's listing a dry run predicts the push from, and the
    mirror's state. Adds its lines and its JSON to `lines` and `data`."""
    would = "would " if dry else ""
    if (why := ctx.ssh_unanswered.get(source)) is not None:
        ctx.begin("pull", source, p.set).end("skipped", why)
        lines.append(f"{would}pull {source} -> mirror: skipped")
        log.warning("skipped: set=%s pull from=%s reason=ssh gave no answer this round",
                    p.set, source)
        return f"pull from {source} skipped: {why}", None, ms
    tree = None
    pull = ctx.begin("pull", source, p.set)
    try:
        if dry:
            pulled, tree = mirror.plan_pull(p.set, source, master=ctx.ssh_masters.get(source))
        else:
            pulled = mirror.pull(p.set, source, master=ctx.ssh_masters.get(source),
                                 stage_on=(p.to,))
            ms = ms.pulled(source, now)
    except UnsafePlan as e:  # the mirror keeps its last good snapshot
        pull.end("failed", f"refused: {e}")
        lines.append(f"{would}pull {source} -> mirror: REFUSED")
        return f"pull from {source} refused ({e})", None, ms
    except SyncError as e:  # the old host may be gone; the mirror keeps the last copy
        pull.end("failed", str(e))
        return f"pull from {source} failed ({e})", None, ms
    pull.end("changed" if pulled.changed else "unchanged")
    lines += [f"{would}pull {source} -> mirror:"] + ["  " + x for x in pulled.lines()]
    data["pull"] = pulled.to_json()
    return "", tree, ms


def _promote(ctx: RunContext, p: SyncAction, mirror: Mirror, lines: list[str],
             data: dict[str, Any], detail: str, ms: MirrorState, *, dry: bool) -> Outcome:
    """A replica set's failover: `to` stops replicating and takes writes (sync/replica.py);
    refused (UnsafePlan, the step fails) when its data is older than max_age, unless the run
    accepts stale data."""
    from failover.sync.replica import ReplicaSet

    found = mirror.set(p.set)
    assert isinstance(found, ReplicaSet)  # validate() checked the set's mode
    with ctx.change("command", p.to, f"promote the {p.set} replica") as change:
        done = found.promote(p.to, accept_stale=ctx.accept_stale, dry_run=dry,
                             master=ctx.ssh_masters.get(p.to))
        change.end("changed")
    lines += [f"{'would promote' if dry else 'promoted'} {p.to}:",
              *("  " + w for w in done.warnings)]
    data["promote"] = done.to_json()
    what = detail or f"{p.to} takes the writes of set {p.set}"
    if dry:
        return Outcome("dry-run", what, lines, data)
    ms = ms.pushed_to(p.to, ctx.clock(), done.data_at)
    ctx.save_state(ctx.state.replace(mirrors={**ctx.state.mirrors, p.set: ms}))
    return Outcome("warning" if detail else "ok", what, lines, data)
