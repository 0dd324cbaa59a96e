"""The `policy:` section (when automation acts) and the `services:` entries that override it.

Kept apart from model/inventory.py (which uses both) so that each module stays short; no I/O.
"""

from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Literal

from failover.model.base import Model, optional_model
from failover.model.types import Duration, Meta, Name


class Policy(Model):
    """When automation acts. Without `auto_failover: true` a person decides every failover."""

    failure_threshold: Annotated[int, Meta(
        ge=1, description="failed rounds in a row before a host is down")] = 3
    recovery_threshold: Annotated[int, Meta(
        ge=1, description="passed rounds in a row before a down host counts as up")] = 5
    cooldown: Annotated[Duration, Meta(
        description="no automatic flip within this time of the last flip")] = 1800.0
    auto_failover: Annotated[bool, Meta(
        description="true: check and watch fail over without asking (the consent)")] = False
    auto_failback: Annotated[bool, Meta(
        description="true: move back to the preferred host once it recovered")] = False
    failback_after: Annotated[Duration, Meta(
        description="auto_failback waits for this long a run of passed rounds of the "
                    "preferred host (its stability window)")] = 1800.0
    max_auto_failovers: Annotated[int, Meta(
        ge=0, description="automatic flips per window; past it a person is paged")] = 1
    auto_failover_window: Annotated[Duration, Meta(
        description="the window max_auto_failovers counts in")] = 86400.0
    preferred: Annotated[Name | None, Meta(
        description="where failback goes; default: the first host")] = None
    fence_timeout: Annotated[Duration, Meta(
        description="how long the `fence:` commands may take on the old host, in all")] = 30.0
    check_interval: Annotated[Duration, Meta(
        description="how often check runs: cron every minute, or watch --interval "
                    "(rehearse's detection time)")] = 60.0
    rto_target: Annotated[Duration | None, Meta(
        description="the longest recovery you accept; rehearse fails when its estimate is "
                    "longer")] = None
    partial_family: Annotated[Literal["refuse", "allow"], Meta(
        description="a standby that passes its checks over one family only (IPv4 but not IPv6): "
                    "refuse (and page), or allow: move that family's records and remove the "
                    "other's (A or AAAA), audited")] = "refuse"
    failover_on: Annotated[Literal["any_family", "all_families"], Meta(
        description="any_family: a primary failing over IPv4 or IPv6 alone counts as failing "
                    "(degraded, then down); all_families: only when every family fails")] = \
        "any_family"


if TYPE_CHECKING:  # to mypy, the same fields as Policy (read through msgspec.structs.asdict)
    PolicyOverride = Policy
else:
    PolicyOverride = optional_model(Policy, "PolicyOverride",
                                    "The keys of `policy` a service changes; the others follow "
                                    "the inventory's `policy`.")


class Service(Model):
    """A part of the site that fails over on its own (web, mail): its checks, records and sync
    sets say `service:`; here, what it does differently from the rest of the inventory."""

    hosts: Annotated[list[Name] | None, Meta(
        description="its hosts in priority order (default: every host, in the inventory's "
                    "order); a `role: fallback` host listed here is its last resort")] = None
    policy: Annotated[PolicyOverride | None, Meta(
        description="keys of `policy` that differ for this service")] = None
    checks: Annotated[list[Name], Meta(
        description="checks that judge it (the same as `service:` on each check)")] = []
    playbooks: Annotated[dict[Name, Path], Meta(
        description="name -> file, over the inventory's playbooks")] = {}
    fence: Annotated[list[str] | None, Meta(
        description="what a `fence` step runs on its old host (default: the inventory's "
                    "`fence`); mail's must not take a web server that still serves down")] = None
