"""Which host is active, and where a run moves the site: what a command settles before acting."""

from __future__ import annotations

from failover.errors import UsageError
from failover.model.inventory import Inventory
from failover.model.state import State
from failover.policy import preferred_host
from failover.state.audit import AuditLog


def resolve_active(inventory: Inventory, state: State, audit: AuditLog) -> State:
    """`state` with its active host known.

    On a first run (state.json names no active host) it is the host every zone's records point
    at, read from each DNS provider, or the first host when they match none; that choice is
    audited (`active_resolved`). The state returned is not saved: the round or run that goes
    on saves it. Idempotent once state.json holds the result. Raises UsageError when state.json
    names a host the inventory no longer has, ProviderError when a zone cannot be read.
    """
    if state.active is not None:
        if state.active not in inventory.hosts and not _on_fallback(inventory, state.active):
            raise UsageError(f"state.json says the active host is {state.active!r}, which the "
                             f"inventory no longer has; hosts: {', '.join(inventory.hosts)}")
        return state
    from failover.dns.plan import active_host
    from failover.dns.registry import provider_for  # dnspython: only on a first run

    currents = [provider_for(z).read() for z in inventory.dns]
    active = active_host(inventory, currents) or next(iter(inventory.hosts))
    audit.write("active_resolved", active=active, source="dns")
    return state.replace(active=active)


def _on_fallback(inventory: Inventory, active: str) -> bool:
    """The records point at one of the service's `role: fallback` hosts (engine/fallback.py)."""
    if inventory.whole is None:
        return False
    from failover.engine.fallback import fallbacks

    return active in fallbacks(inventory)


def run_target(inventory: Inventory, playbook: str, active: str, to: str | None) -> str:
    """The host a new run of `playbook` moves the site to from `active` (`to`: the --to asked).

    `failback` goes to the preferred host (policy.preferred, else the first host), never away
    from it and never to the active host; any other playbook goes to `to`, else the first
    standby. Pure; raises UsageError when there is nothing to do (a failover to the active
    host, a failback from the preferred one) saying what to run instead.
    """
    if playbook == "failback":
        return _failback_target(inventory, active, to)
    target = to or next(h for h in inventory.hosts if h != active)
    if target == active and playbook == "failover":
        raise UsageError(f"{target} is already the active host; nothing to do")
    return target


def _failback_target(inventory: Inventory, active: str, to: str | None) -> str:
    preferred = preferred_host(inventory)
    if active == preferred:
        elsewhere = f"; to move it to {to}: `failover failover --to {to}`" if to else ""
        raise UsageError(f"the site is already on its preferred host {preferred}; nothing to "
                         f"fail back{elsewhere}")
    target = to or preferred
    if target == active:
        raise UsageError(f"--to {target}: that is the active host; failback moves the site "
                         f"away from it (default: to the preferred host {preferred})")
    return target
