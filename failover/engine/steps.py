"""One function per step action. Each returns an Outcome or raises a FailoverError.

Every step is safe to repeat: checks and verification only read, sync converges on the mirror,
a DNS flip to values already in place is an empty plan, and the user's ssh commands are theirs
to keep idempotent (`systemctl start` is).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from failover.engine.context import RunContext
from failover.engine.effects import Change
from failover.errors import FailoverError, StepFailed, SyncError, UnsafePlan
from failover.model import playbook as pb
from failover.model.state import Flip, MirrorState

log = logging.getLogger(__name__)


@dataclass
class Outcome:
    status: str = "ok"  # ok | warning | dry-run
    detail: str = ""
    lines: list[str] = field(default_factory=list)
    data: dict[str, Any] = field(default_factory=dict)


def _begin(ctx: RunContext, kind: str, host: str, what: str) -> Change:
    """Note a change this step starts (engine/effects.py); a dry run changes nothing, notes none."""
    return Change(kind, host, what) if ctx.dry_run else ctx.effects.begin(kind, host, what)


def _host(ctx: RunContext, name: str, key: str) -> str:
    if name not in ctx.inventory.hosts:
        raise StepFailed(f"{key}: unknown host {name!r}; hosts: {', '.join(ctx.inventory.hosts)}")
    return name


def check_host(ctx: RunContext, host: str, checks: list[str] | None) -> Outcome:
    """Run the host's checks now; the host counts as verified for this run only if all pass."""
    from failover.checks import run_round

    report = run_round(ctx.inventory, hosts=[host], checks=checks, control=False)
    lines = [f"{r.host}/{r.check}: {'ok' if r.ok else 'FAILED'} {r.detail} "
             f"({r.latency * 1000:.0f} ms)".replace("  ", " ") for r in report.results]
    failed = [r for r in report.results if not r.ok]
    if failed:
        raise StepFailed(f"{host} failed its checks: "
                         + "; ".join(f"{r.check}: {r.detail}" for r in failed))
    ctx.verified.add(host)
    return Outcome(detail=f"{host} passed {len(report.results)} checks", lines=lines)


def do_check(ctx: RunContext, p: pb.CheckAction) -> Outcome:
    return check_host(ctx, _host(ctx, p.host, "check.host"), p.checks)


def do_sync(ctx: RunContext, p: pb.SyncAction) -> Outcome:
    """Pull the set from `from` (best effort) into the mirror, push the mirror to `to`.

    A dry run lists what the real run will report, the pull and the push (mirror.plan_pull,
    predict.py). A pull that fails or is refused by its gates leaves the mirror's last good
    snapshot, which is pushed, and the detail says how old it is. When the round that started
    this run saw `from`'s SSH port give no answer, the pull is skipped at once rather than
    waiting for ssh's connect timeout again (RunContext.ssh_unanswered).
    """
    from failover.sync.mirror import Mirror
    from failover.sync.snapshots import describe_age
    from failover.sync.tree import Manifest

    inv = ctx.inventory
    to = _host(ctx, p.to, "sync.to")
    try:
        inv.sync_set(p.set)
    except KeyError:
        raise StepFailed(f"sync.set: unknown sync set {p.set!r}") from None
    if to == ctx.state.active:
        raise UnsafePlan(f"sync would push set {p.set} to {to}, the active host; "
                         "a sync never writes to the active host (fail over first)")
    mirror = Mirror(inv, allow_deletes=ctx.allow_deletes)
    dry = ctx.dry_run
    would = "would " if dry else ""
    lines: list[str] = []
    problem = ""  # why the pull did not happen: then the last good mirror is pushed
    data: dict[str, Any] = {"pull": None}
    if ctx.allow_deletes is not None:
        data["allow_deletes"] = ctx.allow_deletes
    tree: Manifest | None = None
    now = ctx.clock()
    ms = ctx.state.mirrors.get(p.set, MirrorState())

    def last_good() -> str:
        good = mirror.last_good(p.set)
        taken = (good.taken_at if good else None) or ms.pulled_at
        age = describe_age(now - taken) if taken else "age unknown"
        return f"{'would push' if dry else 'pushed'} the last good mirror ({age})"

    if p.from_:
        source = _host(ctx, p.from_, "sync.from")
        if (why := ctx.ssh_unanswered.get(source)) is not None:
            problem = f"pull from {source} skipped: {why}"
            _begin(ctx, "pull", source, p.set).end("skipped", why)
            lines.append(f"{would}pull {source} -> mirror: skipped")
            log.warning("skipped: set=%s pull from=%s reason=ssh gave no answer this round",
                        p.set, source)
        else:
            pull = _begin(ctx, "pull", source, p.set)
            try:
                if dry:
                    pulled, tree = mirror.plan_pull(p.set, source,
                                                    master=ctx.ssh_masters.get(source))
                else:
                    pulled = mirror.pull(p.set, source, master=ctx.ssh_masters.get(source))
                    ms = ms.pulled(source, now)
                pull.end("changed" if pulled.changed else "unchanged")
                lines += [f"{would}pull {source} -> mirror:"] + ["  " + x for x in pulled.lines()]
                data["pull"] = pulled.to_json()
            except UnsafePlan as e:  # the mirror keeps its last good snapshot
                pull.end("failed", f"refused: {e}")
                problem = f"pull from {source} refused ({e})"
                lines.append(f"{would}pull {source} -> mirror: REFUSED")
            except SyncError as e:  # the old host may be gone; the mirror keeps the last copy
                pull.end("failed", str(e))
                problem = f"pull from {source} failed ({e})"
    if problem and p.pull == "required":  # the data to bring home is on `from`: never push
        raise StepFailed(f"{problem}; this step needs it (pull: required): nothing was pushed "
                         f"to {to}")
    detail = f"{problem}; {last_good()}" if problem else ""
    good = None if dry else mirror.last_good(p.set)
    push = _begin(ctx, "push", to, p.set)
    try:
        pushed = mirror.push(p.set, to, dry_run=dry, tree=tree, master=ctx.ssh_masters.get(to))
    except FailoverError as e:
        push.end("failed", str(e))
        raise
    push.end("changed" if pushed.changed else "unchanged")
    lines += [f"{would}push mirror -> {to}:"] + ["  " + x for x in pushed.lines()]
    data["push"] = pushed.to_json()
    if good is not None:
        data["snapshot"] = good.id
    if not dry:
        ms = ms.pushed_to(to, now)
        ctx.save_state(ctx.state.replace(mirrors={**ctx.state.mirrors, p.set: ms}))
    if dry:
        return Outcome("dry-run", detail or f"would sync set {p.set} to {to}", lines, data)
    return Outcome("warning" if detail else "ok", detail or f"set {p.set} synced to {to}", lines,
                   data)


def do_ssh(ctx: RunContext, p: pb.SshAction) -> Outcome:
    from failover.remote.ssh import run_command, ssh_target

    host = _host(ctx, p.host, "ssh.host")
    shown = p.command if isinstance(p.command, str) else " ".join(p.command)
    if ctx.dry_run:
        return Outcome("dry-run", f"would run on {host}: {shown}")
    command = _begin(ctx, "command", host, shown)
    try:
        result = run_command(ssh_target(ctx.inventory, host), p.command, timeout=p.timeout)
    except FailoverError as e:
        command.end("failed", str(e))
        raise
    tail = (result.stdout + result.stderr).strip().splitlines()[-10:]
    command.end("done" if result.exit_status == 0 else "failed", f"exit {result.exit_status}")
    if result.exit_status != 0:
        raise StepFailed(f"on {host}: `{shown}` exited {result.exit_status}"
                         + (f": {tail[-1]}" if tail else ""))
    return Outcome(detail=f"ran on {host}: {shown}", lines=tail)


def flip_dns(ctx: RunContext, to: str) -> Outcome:
    """Point every managed record at `to`, one transaction per zone.

    DNS never moves to a host that has not passed its checks in this run: if no earlier step
    checked it, its checks run here first.
    """
    from failover.dns.flip import apply_flip, plan_flip

    if to not in ctx.verified:
        check_host(ctx, to, None)
    plans = plan_flip(ctx.inventory, to)
    lines = [line for _, plan in plans for line in plan.lines()]
    changes = [(prov, plan) for prov, plan in plans if not plan.empty]
    if ctx.dry_run:
        return Outcome("dry-run" if changes else "ok",
                       f"would point DNS at {to}" if changes else f"DNS already points at {to}",
                       lines, {"zones": [plan.to_json() for _, plan in plans]})
    if changes:
        if not ctx.dns_applied:
            ctx.active_before_flip = ctx.state.active
        ctx.effects.dns_to, ctx.effects.dns_restored = to, False
        ctx.effects.dns_zones = [plan.zone for _, plan in changes]
        apply_flip(changes, changed=ctx.dns_applied)  # keeps ctx.dns_applied exact, zone by zone
        ctx.audit.write("dns_change", to=to, zones=[plan.to_json() for _, plan in changes])
    _set_active(ctx, to, changed=bool(changes))
    return Outcome(detail=f"DNS points at {to}" if changes else
                   f"DNS already points at {to}; nothing to change",
                   lines=lines, data={"zones": [plan.to_json() for _, plan in changes],
                                      "to": to, "active_before": ctx.active_before_flip})


def restore_dns(ctx: RunContext, to: str) -> Outcome:
    """Rescue: put back exactly the records this run changed (reverse plans, newest first).

    A run that changed no DNS has nothing to put back, whatever `to` says: a rescue never moves
    DNS anywhere it was not before the run.
    """
    from failover.dns.flip import apply_flip

    if not ctx.dns_applied:
        return Outcome(detail="this run changed no DNS; nothing to put back")
    undo = [(prov, plan.reverse()) for prov, plan in reversed(ctx.dns_applied)]
    lines = [line for _, plan in undo for line in plan.lines()]
    undone: list[tuple[Any, Any]] = []
    try:
        apply_flip(undo, changed=undone)
    finally:  # what is put back is no longer this run's change, even if Ctrl-C cut the rescue
        back_in_place = {(id(prov), plan.zone) for prov, plan in undone}
        ctx.dns_applied[:] = [(prov, plan) for prov, plan in ctx.dns_applied
                              if (id(prov), plan.zone) not in back_in_place]
    ctx.effects.dns_restored = not ctx.dns_applied
    ctx.audit.write("dns_change", to=ctx.active_before_flip, restore=True,
                    zones=[plan.to_json() for _, plan in undo])
    back = ctx.active_before_flip or to
    if back != to:
        log.warning("restored: dns to=%s (the state before this run), step said to=%s", back, to)
    _set_active(ctx, back, changed=True)
    return Outcome(detail=f"DNS put back as it was before this run ({back})", lines=lines)


def _set_active(ctx: RunContext, host: str, *, changed: bool) -> None:
    if changed or ctx.state.active != host:
        flip = Flip.parse({"at": ctx.clock(), "from": ctx.state.active, "to": host,
                                    "run_id": ctx.run_id})
        ctx.save_state(ctx.state.replace(active=host, last_flip=flip))


def do_dns(ctx: RunContext, p: pb.DnsAction, *, restore: bool = False) -> Outcome:
    to = _host(ctx, p.to, "dns.to")
    return restore_dns(ctx, to) if restore else flip_dns(ctx, to)


def do_dns_verify(ctx: RunContext, p: pb.DnsVerifyAction) -> Outcome:
    from failover.dns.verify import verify

    to = _host(ctx, p.to, "dns_verify.to")
    if ctx.dry_run:
        return Outcome("dry-run", f"would wait up to {p.timeout:g}s for every nameserver to answer "
                                  f"with {to}'s values")
    # caches may serve the old answers for the old TTL, which the run's flip plans know
    old_ttl = max((c.ttl_before or 0 for _, plan in ctx.dns_applied for c in plan.changes),
                  default=None)
    report = verify(ctx.inventory, to, timeout=p.timeout, interval=p.interval,
                    old_ttl=old_ttl)
    if not report.ok:
        raise StepFailed(f"not every nameserver answers with {to} after {p.timeout:g}s: "
                         + "; ".join(report.lines()))
    return Outcome(detail=f"every nameserver answers with {to}", lines=report.lines(),
                   data=report.to_json())


def do_webhook(ctx: RunContext, p: pb.WebhookAction) -> Outcome:
    from failover.notify.webhook import post_json, redact_url

    where = redact_url(p.url)
    if ctx.dry_run:
        return Outcome("dry-run", f"would {p.method} to {where}")
    sent = _begin(ctx, "webhook", where, p.method)
    try:
        status = post_json(p.url, p.body, timeout=p.timeout, method=p.method)
    except FailoverError as e:
        sent.end("failed", str(e))
        raise
    sent.end("done")
    return Outcome(detail=f"{p.method} {where}: {status}")


def do_notify(ctx: RunContext, p: pb.NotifyAction) -> Outcome:
    from failover.notify import send_all

    if ctx.dry_run:
        channels = len(ctx.inventory.notify)
        return Outcome("dry-run", f"would notify {channels} channel(s): {p.message}")
    note = _begin(ctx, "notify", "", p.message)
    failures = send_all(ctx.inventory, p.message)
    if failures:
        note.end("failed", "not delivered: " + "; ".join(failures))
        return Outcome("warning", "not delivered: " + "; ".join(failures))
    note.end("done")
    return Outcome(detail=f"sent to {len(ctx.inventory.notify)} channel(s): {p.message}")


def do_pipe(ctx: RunContext, p: pb.PipeAction) -> Outcome:
    from failover.remote.pipe import pipe_step  # issue 4: implementation lives there
    from failover.remote.ssh import command_line as _line
    from failover.remote.ssh import program_name as _program

    if ctx.dry_run or p.to.host not in ctx.inventory.hosts:
        return pipe_step(ctx, p)
    change = _begin(ctx, "pipe", p.to.host,
                    f"{p.from_.host} ({_program(_line(p.from_.command))})")
    try:
        out = pipe_step(ctx, p)
    except FailoverError as e:
        change.end("failed", str(e))
        raise
    change.end("done")
    return out


def do_dns_ttl(ctx: RunContext, p: pb.DnsTtlAction) -> Outcome:
    from failover.engine.ttl_step import dns_ttl_step  # issue 5: implementation lives there

    return dns_ttl_step(ctx, p)


ACTIONS: dict[str, Callable[..., Outcome]] = {
    "check": do_check, "sync": do_sync, "ssh": do_ssh, "dns": do_dns,
    "dns_verify": do_dns_verify, "webhook": do_webhook, "notify": do_notify,
    "pipe": do_pipe,
    "dns_ttl": do_dns_ttl,
}


