"""What a run has changed so far, as its steps report it: the facts an interruption is told with.

A step notes each change when it starts it and when that ends, through the RunContext
(`ctx.change`, `ctx.begin`; engine/context.py), which notes nothing in a dry run:
a pull into the mirror, a push to a host, a command on a host, a webhook, a notification, a TTL
change. DNS is the run's `dns_applied` (RunContext), which dns/flip.py keeps exact zone by zone,
put-backs included. Nothing here guesses: a change that began and never ended was cut short, and
is told that way.

`failover sync` (cli/sync.py) tells its transfers with the same sentences (`Change`, `facts`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

RUNNING = "running"


@dataclass
class Change:
    """One change a step started. kind: pull | push | command | pipe | webhook | notify | ttl."""

    kind: str
    host: str  # pull: the source; push, command: the host written to; webhook: where (redacted)
    what: str  # the sync set, the command line, the method, the message
    status: str = RUNNING  # running | changed | unchanged | done | failed | skipped
    detail: str = ""

    def end(self, status: str, detail: str = "") -> None:
        self.status, self.detail = status, detail

    def to_json(self) -> dict[str, Any]:
        return {"kind": self.kind, "host": self.host, "what": self.what, "status": self.status,
                "detail": self.detail}


@dataclass
class Effects:
    """The changes of one run, in the order they began."""

    changes: list[Change] = field(default_factory=list)
    dns_to: str | None = None  # the host the run's applied DNS changes point at
    dns_zones: list[str] = field(default_factory=list)  # the zones its last flip had to change
    dns_restored: bool = False  # a rescue put the run's DNS changes back

    def begin(self, kind: str, host: str, what: str) -> Change:
        change = Change(kind, host, what)
        self.changes.append(change)
        return change


@dataclass
class InterruptReport:
    """What an interrupted run (or sync) had done: the facts, and what the command line needs
    to say what to run next."""

    title: str  # "run 2026...-ab12 (Fail over to a standby)" or "sync"
    where: str  # "during step 5/6 (Every nameserver answers)" or "during the push ..."
    signal: str
    facts: list[str]
    journal: Path | None = None
    run_id: str = ""
    dns_changed: bool = False  # DNS points elsewhere than before the run
    playbook: str = ""  # the inventory's playbook name (or file) the run ran
    from_: str | None = None
    to: str | None = None
    preferred: str | None = None  # the inventory's first host (failback goes there)
    continue_at: int | None = None  # the step the same command continues from (DNS moved)
    remaining: list[str] = field(default_factory=list)
    notified: str = ""
    rollback: list[tuple[str, str]] = field(default_factory=list)  # sync: (set, host) pushed


def unchanged_zones(applied_zones: list[str], effects: Effects) -> list[str]:
    """Zones the run's last flip had to change and did not (or put back): DNS is split when
    this is not empty while others stay changed."""
    return [z for z in effects.dns_zones if z not in applied_zones] if applied_zones else []


def dns_fact(applied_zones: list[str], effects: Effects, before: str | None) -> str:
    """The DNS sentence: what the zones hold now, compared with before the run."""
    if applied_zones:
        if missing := unchanged_zones(applied_zones, effects):
            return (f"DNS SPLIT: zones {', '.join(applied_zones)} now point at {effects.dns_to} "
                    f"(changed by this run); {', '.join(missing)} unchanged")
        return f"DNS now points at {effects.dns_to} (changed by this run)"
    if effects.dns_restored:
        return f"DNS unchanged (changed by this run, then put back to {before})"
    return f"DNS unchanged (still {before})" if before else "DNS unchanged"


def facts(changes: list[Change], hosts: list[str]) -> list[str]:
    """Sentences for the mirror, each host in `hosts` and the other changes, in that order.

    `hosts`: the hosts to speak of even when nothing was done to them ("standby untouched").
    """
    lines = _mirror_lines([c for c in changes if c.kind == "pull"])
    written = [c.host for c in changes if c.kind in ("push", "command", "pipe")]
    for host in dict.fromkeys([*hosts, *written]):
        mine = [c for c in changes if c.host == host and c.kind in ("push", "command", "pipe")]
        lines += [f"{host}: {_host_line(c)}" for c in mine] or [f"{host} untouched"]
    for c in changes:
        if c.kind in ("webhook", "notify", "ttl"):
            lines.append(_other_line(c))
    return lines


def _mirror_lines(pulls: list[Change]) -> list[str]:
    if not pulls:
        return ["mirror unchanged"]
    out = []
    for c in pulls:
        if c.status == "changed":
            out.append(f"mirror of {c.what} updated from {c.host}")
        elif c.status == "unchanged":
            out.append(f"mirror of {c.what} unchanged (already as {c.host} has it)")
        elif c.status == RUNNING:
            out.append(f"mirror of {c.what}: the pull from {c.host} was cut short before it "
                       "completed (the next pull completes it)")
        else:
            how = "was skipped" if c.status == "skipped" else "failed"
            out.append(f"mirror of {c.what} unchanged: the pull from {c.host} {how} "
                       f"({c.detail}); it keeps its last good copy")
    return out


def _host_line(c: Change) -> str:
    if c.kind == "push":
        return {
            "changed": f"{c.what} pushed",
            "unchanged": f"{c.what} already up to date (nothing to push)",
            RUNNING: f"the push of {c.what} was cut short; its live files are as they were "
                     "(a push puts its changes in place only when it completes)",
        }.get(c.status, f"the push of {c.what} failed ({c.detail}); its live files are as "
                        "they were")
    if c.kind == "pipe":
        return {RUNNING: f"the stream from {c.what} was cut short (its command may have taken "
                         "part of it)",
                "failed": f"the stream from {c.what} failed ({c.detail})"}.get(
            c.status, f"received the stream from {c.what}")
    what = f"`{c.what}`"
    if c.status == RUNNING:
        return f"{what} was cut short (its ssh session was closed; it may have done part of " \
               "its work)"
    if c.status == "failed":
        return f"{what} failed ({c.detail})"
    return f"ran {what}"


def _other_line(c: Change) -> str:
    if c.kind == "webhook":
        if c.status == RUNNING:
            return f"webhook {c.what} {c.host} cut short (it may have been received)"
        return f"webhook {c.what} {c.host}: " + ("sent" if c.status == "done" else c.detail)
    if c.kind == "ttl":
        if c.status == RUNNING:
            return f"DNS TTLs: {c.what} was cut short (a zone changes whole or not at all)"
        return f"DNS TTLs: {c.what}" + ("" if c.status == "done" else f" failed ({c.detail})")
    if c.status == RUNNING:
        return f"notification cut short (it may have been sent): {c.what}"
    return f"notified: {c.what}" + ("" if c.status == "done" else f" ({c.detail})")
