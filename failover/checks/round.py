"""One round: every (host, check) pair and the control targets probed at once, then one report.

    report = run_round(inventory)                  # every host, every check, control targets
    report = run_round(inventory, ["scw-par"], ["storefront"], control=False)
    report.host_ok("scw-par"), report.online

All probes of a round are tasks on one event loop, started together, so a round lasts about as long
as its slowest probe (bounded by the largest timeout), not the sum. The number of sockets open at
once is capped below the process's file limit (failover.checks.limits).

The round gathers every host's results before anything is decided (fabric's GroupResult): it
decides nothing itself. Whether a host is down is policy's question, asked of the report and the
streaks (failover.policy.record_round).

Results come back in inventory order: hosts in `hosts:` order, and within a host, checks in
`checks:` order (IPv4 then IPv6 for a host with `address6`, checks/family.py), whatever order the
probes finished in. A failing probe is a result (`ok=False`),
never an exception; exceptions mean bad input (UsageError, ConfigError) or a bug.
"""

from __future__ import annotations

import asyncio
import functools
import logging
import time
from collections.abc import Callable, Sequence
from typing import Any

from failover.checks.base import Check
from failover.checks.control import control_targets, gather_control
from failover.checks.family import families_for, run_over, unreachable_families
from failover.checks.limits import gated, max_open_sockets
from failover.checks.registry import check_for
from failover.errors import ConfigError, Reason, UsageError
from failover.model.inventory import Check as CheckModel
from failover.model.inventory import Inventory
from failover.model.results import CheckResult, ControlResult, RoundReport

__all__ = ["build_checks", "gather_round", "run_round"]

log = logging.getLogger(__name__)


def run_round(
    inventory: Inventory,
    hosts: Sequence[str] | None = None,
    checks: Sequence[str] | None = None,
    *,
    control: bool = True,
    clock: Callable[[], float] = time.time,
) -> RoundReport:
    """Run one round in a fresh event loop and return its report (see the module docstring).

    `hosts` / `checks` select by name (None = all, kept in inventory order); `control=False`
    skips the control targets (the report then counts as online). Raises UsageError for an
    unknown host or check name, ConfigError for a check that cannot be built (bad URL, ca_file)
    or a control target that is not tcp://HOST:PORT, before any probe. Changes nothing.
    Must not be called from a running event loop; use `gather_round()` there.
    """
    started = clock()
    results, probes = asyncio.run(gather_round(inventory, hosts, checks, control=control))
    report = RoundReport(started, clock(), results, probes,
                         unjudged=unreachable_families(results, probes))
    failed = [f"{r.host}/{r.label}" for r in results if not r.ok]
    log.info(
        "round: checks=%d failed=%d online=%s seconds=%.2f%s",
        len(results),
        len(failed),
        report.online,
        report.finished_at - started,
        f" failing={','.join(failed)}" if failed else "",
    )
    return report


async def gather_round(
    inventory: Inventory,
    hosts: Sequence[str] | None = None,
    checks: Sequence[str] | None = None,
    *,
    control: bool = True,
) -> tuple[tuple[CheckResult, ...], tuple[ControlResult, ...]]:
    """The coroutine behind `run_round()`: (check results, control results), concurrently."""
    host_names = _select("host", list(inventory.hosts), hosts)
    check_names = _select("check", [c.name for c in inventory.checks], checks)
    runnable = build_checks(inventory, check_names)
    targets = control_targets(inventory) if control else []
    gate = asyncio.Semaphore(max_open_sockets())
    pairs = [  # over each family of the host (checks/family.py): IPv4, and IPv6 with address6
        gated(gate, functools.partial(run_over, check, name, inventory.hosts[name], family))
        for name in host_names
        for check in runnable
        for family in families_for(inventory.hosts[name], check.model)
    ]
    results, probes = await asyncio.gather(
        asyncio.gather(*pairs), gather_control(targets, gate=gate)
    )
    return tuple(results), probes


def build_checks(inventory: Inventory, names: Sequence[str]) -> list[Check[Any]]:
    """The runnable checks named (in that order), bound to the inventory.

    Raises ConfigError naming `checks.<name>` for an entry that cannot be probed as written.
    """
    return [_build(inventory, inventory.check_named(name)) for name in names]


def _select(kind: str, known: list[str], wanted: Sequence[str] | None) -> list[str]:
    if wanted is None:
        return known
    unknown = [name for name in wanted if name not in known]
    if unknown:
        raise UsageError(
            f"unknown {kind} {', '.join(map(repr, unknown))} (known: {', '.join(known)})"
        )
    return [name for name in known if name in wanted]


def _build(inventory: Inventory, model: CheckModel) -> Check[Any]:
    try:
        check = check_for(model)
        check.bind(inventory)
        return check
    except ValueError as exc:
        reason = Reason(str(inventory.path), None, None, f"checks.{model.name}", str(exc))
        raise ConfigError([reason]) from None
