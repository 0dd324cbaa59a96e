"""The step contract: what every playbook action (`check:`, `sync:`, `dns:`...) does.

An action is a small class with one instance in the registry (registry.py). The runner calls
`run(ctx, params)` for a step and `undo(ctx, params)` for a rescue step, with the step's
parameters already rendered (model/templating.py) and typed (model/playbook.py). `run` is a
template method, so every action goes through the same sequence:

    validate -> plan -> describe (dry run)  or  apply (a real run)

Dry run and audit are not re-done in each action: an action reports through the RunContext it
is given (`ctx.change`, `ctx.record`, `ctx.save_state`), which does nothing in a dry run.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from typing import ClassVar, Generic, TypeVar

from failover.engine.context import RunContext
from failover.engine.outcome import Outcome
from failover.errors import StepFailed
from failover.model.base import Model

P = TypeVar("P", bound=Model)
PlanT = TypeVar("PlanT")


class Action(ABC, Generic[P, PlanT]):
    """One playbook action. The contract every action keeps:

    - Safe to repeat: running it again after it succeeded (or was cut short) converges on the
      same result and changes nothing more. That is what lets `failover resume` re-run the step
      an interruption cut (checks and verification only read, a sync converges on the mirror, a
      flip to values in place is an empty plan; a user's command is theirs to keep idempotent).
    - A failure is raised, never returned: a FailoverError (StepFailed names what failed;
      UnsafePlan names its override; HostKeyMismatch stops the whole run). Anything else
      returned is an Outcome (ok, warning, or dry-run).
    - A dry run changes nothing anywhere: no host, no zone, no state, no audit line.
    - Not atomic across hosts: an action that changes several things (a pull, then a push)
      notes each through `ctx.change` as it starts and ends, so an interruption tells exactly
      what was done (engine/effects.py).
    """

    key: ClassVar[str]  # the playbook key, e.g. "dns_ttl"; also the module's name

    def run(self, ctx: RunContext, p: P) -> Outcome:
        """The step as the playbook's `steps:` run it: validate, plan, then describe (dry run)
        or apply."""
        self.validate(ctx, p)
        plan = self.plan(ctx, p)
        return self.describe(ctx, p, plan) if ctx.dry_run else self.apply(ctx, p, plan)

    def validate(self, ctx: RunContext, p: P) -> None:
        """Check the arguments against the inventory (hosts, sets). Reads nothing remote,
        changes nothing; raises StepFailed (or UnsafePlan) naming the argument and what would
        be valid. Default: nothing to check."""

    @abstractmethod
    def plan(self, ctx: RunContext, p: P) -> PlanT:
        """What `apply` will do, as a value. May read (zones, the mirror, a host's checks) but
        changes nothing; runs in a dry run too."""

    @abstractmethod
    def describe(self, ctx: RunContext, p: P, plan: PlanT) -> Outcome:
        """The dry run's Outcome: exactly what `apply` would change (DNS values before and
        after, files, the command line). Changes nothing."""

    @abstractmethod
    def apply(self, ctx: RunContext, p: P, plan: PlanT) -> Outcome:
        """Make the change, noting it through `ctx`; returns how it went or raises."""

    def undo(self, ctx: RunContext, p: P) -> Outcome:
        """The step as a playbook's `rescue:` runs it. Default: the same as `run` (a rescue's
        `ssh:` or `notify:` is the user's own undo); an action with something of its own to
        put back (`dns:` puts back exactly what the run changed) overrides it."""
        return self.run(ctx, p)


def known_host(ctx: RunContext, name: str, key: str) -> str:
    """`name` if the inventory has that host; StepFailed naming `key` and the hosts otherwise."""
    if name not in ctx.inventory.hosts:
        raise StepFailed(f"{key}: unknown host {name!r}; hosts: {', '.join(ctx.inventory.hosts)}")
    return name


def is_fallback(ctx: RunContext, host: str | None) -> bool:
    """Is `host` a `role: fallback` host of the run's inventory (engine/fallback.py)?"""
    found = ctx.inventory.hosts.get(host or "")
    return found is not None and found.role == "fallback"


def on_fallback(ctx: RunContext, host: str | None, what: str) -> Outcome | None:
    """A skip for a step that would `what` a `role: fallback` host (engine/fallback.py: never a
    source or target of data, nothing to fence), else None."""
    if not is_fallback(ctx, host):
        return None
    return Outcome(detail=f"skipped: {host} is the fallback host (a \"back soon\" page): {what}")
