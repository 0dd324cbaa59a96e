"""Single-point-of-failure lint: warnings about a valid inventory, never errors.

Contract: `lint(inventory)` is pure (no DNS lookups, no network, no files) and returns one plain
sentence per warning, in a stable order. `failover validate` prints them; nothing else acts on
them.
"""

from __future__ import annotations

import logging

from failover.checks.http import HttpCheck
from failover.config.blast import blast_radius
from failover.model.inventory import Inventory

log = logging.getLogger(__name__)

MAX_TTL = 300  # seconds; above this, resolvers keep the old address too long after a flip


def lint(inventory: Inventory) -> list[str]:
    """Warnings about the inventory's resilience; empty when nothing stands out."""
    warnings: list[str] = []
    by_provider: dict[str, list[str]] = {}
    for name, host in inventory.hosts.items():
        if host.provider:
            by_provider.setdefault(host.provider.strip().lower(), []).append(name)
        else:
            warnings.append(f"host {name} has no provider label: lint cannot tell whether it "
                            "shares a hoster with the others")
    for names in by_provider.values():
        if len(names) > 1:
            label = inventory.hosts[names[0]].provider
            both = "both" if len(names) == 2 else "all of them"
            warnings.append(f"hosts {_and(names)} share provider '{label}': one outage can take "
                            f"{both}")
    for z, zone in enumerate(inventory.dns):
        for r, record in enumerate(zone.records):
            if record.ttl > MAX_TTL:
                warnings.append(f"dns[{z}].records[{r}] ({record.name} {record.type} in "
                                f"{zone.zone}): TTL {record.ttl}s is above {MAX_TTL}s; resolvers "
                                "may keep sending clients to the old host that long after a flip")
    warnings += [f"checks[{c}] ({check.name}): an http check without expect_body passes on any "
                 "page that answers 200, such as an empty web root's directory listing or a "
                 "hoster's parking page; add expect_body: a text only your shop's page shows "
                 "(e.g. \"Add to cart\")"
                 for c, check in enumerate(inventory.checks)
                 if isinstance(check, HttpCheck) and not check.expect_body
                 and not check.expect_regex]
    warnings += blast_radius(inventory)
    if not inventory.control_targets:
        warnings.append("no control_targets configured: the checker cannot tell its own outage "
                        "from the hosts'")
    if not inventory.sync:
        warnings.append("no sync sets: a standby serves whatever content it already has")
    warnings += _dual_stack(inventory)
    if inventory.policy.auto_failover and "failover" not in inventory.playbooks:
        warnings.append("policy.auto_failover is true but playbooks has no 'failover' entry: an "
                        "automatic failover would have nothing to run")
    log.debug("linted: inventory=%s warnings=%d", inventory.path, len(warnings))
    return warnings


def _dual_stack(inventory: Inventory) -> list[str]:
    """Issue 20: a check that never runs, a dual-stack site whose checker cannot tell its own
    IPv6 outage from the hosts' by a control target."""
    dual = [name for name, host in inventory.hosts.items() if host.address6]
    out = [f"checks[{c}] ({check.name}): family: ipv6, but no host has address6: it never runs"
           for c, check in enumerate(inventory.checks) if check.family == "ipv6" and not dual]
    if dual and inventory.control_targets and not any(
            t.startswith("tcp://[") for t in inventory.control_targets):
        out.append(f"hosts {_and(dual)} have address6 but no control target is IPv6 (e.g. "
                   "tcp://[2620:fe::fe]:53): the checker tells its own IPv6 outage from the "
                   "hosts' only by its probes")
    return out


def _and(names: list[str]) -> str:
    return names[0] if len(names) == 1 else f"{', '.join(names[:-1])} and {names[-1]}"
