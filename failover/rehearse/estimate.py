"""The time to recover (RTO) a failover to the standby would take, part by part. Pure.

    detection   policy.failure_threshold x policy.check_interval
    step N      each step of the failover playbook up to its last DNS step (dns_verify, else
                dns): the steps after it (notify, webhooks) do not keep customers waiting
    caches      the largest TTL of the managed records: resolvers may serve the old answer that
                long after every nameserver answers the new one

Each step's figure says where it comes from, best first: this drill's own measurement (its check
round, its sync of the set, its canary write and propagation), the same step of the last real
run of the failover playbook (its journal in <state_dir>/runs/), or a stated default.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from failover.engine.journal import Journal
from failover.model.inventory import Inventory
from failover.model.playbook import Playbook, Step
from failover.model.types import format_duration

# seconds, for a step neither this drill nor an earlier run measured
DEFAULTS = {"check": 5.0, "sync": 60.0, "ssh": 5.0, "dns": 5.0, "dns_verify": 30.0,
            "webhook": 2.0, "notify": 2.0, "pipe": 60.0, "dns_ttl": 5.0}
DNS_STEPS = ("dns", "dns_verify")


@dataclass(frozen=True)
class Part:
    name: str
    seconds: float
    source: str

    def line(self) -> str:
        return f"{self.name}: {seconds_text(self.seconds)} ({self.source})"


@dataclass(frozen=True)
class Measured:
    """What this drill measured: the check round, each set's sync, the canary's two times."""

    check: float | None = None
    sync: dict[str, float] = field(default_factory=dict)
    dns_write: float | None = None
    dns_propagation: float | None = None


@dataclass(frozen=True)
class Estimate:
    parts: list[Part]
    target: float | None
    not_counted: list[str] = field(default_factory=list)

    @property
    def total(self) -> float:
        return sum(p.seconds for p in self.parts)

    @property
    def over(self) -> bool:
        return self.target is not None and self.total > self.target

    def lines(self) -> list[str]:
        target = f"rto_target {seconds_text(self.target)}" if self.target is not None else \
            "no policy.rto_target set"
        verdict = " OVER TARGET" if self.over else ""
        out = [f"RTO estimate: {seconds_text(self.total)} ({target}){verdict}"]
        out += [f"  {p.line()}" for p in self.parts]
        out += [f"  not counted: {n}" for n in self.not_counted]
        return out

    def to_json(self) -> dict[str, Any]:
        """The audit's shape: {"estimate": s, "target": s|None, "parts": {name: s}}."""
        return {"estimate": round(self.total, 3), "target": self.target,
                "parts": {p.name: round(p.seconds, 3) for p in self.parts}}

    def details(self) -> list[dict[str, Any]]:
        return [{"name": p.name, "seconds": round(p.seconds, 3), "source": p.source}
                for p in self.parts]


def seconds_text(value: float) -> str:
    """`420 ms`, `4.2s`, `12s`, `4m41s (281s)`: short ones exact, long ones in minutes too."""
    if value < 1:
        return f"{value * 1000:.0f} ms"
    if value < 60:
        return f"{value:.1f}s" if value < 10 else f"{value:.0f}s"
    minutes, seconds = divmod(round(value), 60)
    return f"{minutes}m{seconds:02d}s ({value:.0f}s)"


def _journal_step(journal: Journal | None, index: int, step: Step) -> float | None:
    if journal is None:
        return None
    for record in journal.steps:
        if record.phase == "steps" and record.index == index and record.action == step.action \
                and record.finished_at is not None and record.status in ("ok", "warning"):
            return max(0.0, record.finished_at - record.started_at)
    return None


def _drill(step: Step, measured: Measured) -> tuple[float | None, str]:
    """This drill's figure for `step`, and what it is."""
    action = step.action
    if action == "check":
        return measured.check, "this drill's check of the standby"
    if action == "sync":
        set_name = getattr(step.params, "set", "")
        promote = getattr(step.params, "promote", False)
        return (None, "") if promote else (measured.sync.get(set_name),
                                            f"this drill's sync of {set_name}")
    if action == "dns":
        return measured.dns_write, "this drill's canary write"
    if action == "dns_verify":
        return measured.dns_propagation, "this drill's canary propagation"
    return None, ""


def estimate(inventory: Inventory, playbook: Playbook | None, measured: Measured,
             last_run: Journal | None) -> Estimate:
    """The RTO estimate of a failover (see the module docstring); `playbook` None: the
    inventory has no failover playbook, so only detection, DNS and caches are counted."""
    policy = inventory.policy
    parts = [Part("detection", policy.failure_threshold * policy.check_interval,
                  f"failure_threshold {policy.failure_threshold} x check_interval "
                  f"{format_duration(policy.check_interval)}")]
    steps = playbook.steps if playbook else []
    last_dns = max((i for i, s in enumerate(steps) if s.action in DNS_STEPS), default=None)
    not_counted = []
    for i, step in enumerate(steps):
        name = f"step {i + 1}: {step.title}"
        if last_dns is None or i > last_dns:
            not_counted.append(f"{name} ({step.action}: after DNS, customers do not wait "
                               "for it)")
            continue
        seconds, source = _drill(step, measured)
        if seconds is None and (seconds := _journal_step(last_run, i, step)) is not None:
            assert last_run is not None
            source = f"the last real failover, run {last_run.id}"
        if seconds is None:
            seconds, source = DEFAULTS.get(step.action, 5.0), "default estimate, not measured"
        parts.append(Part(name, seconds, source))
    if playbook is None:  # no playbook to read: the DNS flip and its propagation still count
        for name, seconds, action in (("dns write", measured.dns_write, "dns"),
                                      ("dns propagation", measured.dns_propagation,
                                       "dns_verify")):
            parts.append(Part(name, DEFAULTS[action], "default estimate, not measured")
                         if seconds is None else Part(name, seconds, "this drill's canary"))
    ttl = max((r.ttl for z in inventory.dns for r in z.records), default=0)
    parts.append(Part("caches", float(ttl), "the largest TTL of the managed records"))
    return Estimate(parts, policy.rto_target, not_counted)


def last_failover(inventory: Inventory) -> Journal | None:
    """The newest real run of the failover playbook that finished (its journal), or None."""
    path = inventory.playbooks.get("failover")
    runs = inventory.state_dir / "runs"
    if path is None or not runs.is_dir():
        return None
    for file in sorted(runs.glob("*.json"), reverse=True):  # run ids sort by start time
        try:
            journal = Journal.load(file)
        except (OSError, ValueError, KeyError, TypeError):
            continue  # an unreadable journal is resume's business, not the estimate's
        if journal.playbook == str(path) and not journal.dry_run and journal.status == "ok":
            return journal
    return None
