"""Health checks: one round probes every (host, check) pair and the control targets at once.

    report = run_round(inventory)                  # every host, every check, control targets
    report = run_round(inventory, ["scw-par"], ["storefront"], control=False)
    report.host_ok("scw-par"), report.online

All probes of a round are tasks on one event loop, started together, so a round lasts about as long
as its slowest probe (bounded by the largest timeout), not the sum. The number of sockets open at
once is capped below the process's file limit (soft RLIMIT_NOFILE minus 64), so a round of 1,000
checks cannot fail on EMFILE; a probe's timeout starts when it gets its slot, so a round larger
than the cap takes a few timeouts instead of one (raise `ulimit -n` to avoid that).

Results come back in inventory order: hosts in `hosts:` order, and within a host, checks in
`checks:` order, whatever order the probes finished in. A failing probe is a result (`ok=False`),
never an exception; exceptions mean bad input (UsageError, ConfigError) or a bug.

This module imports only the standard library, the models and errors: the check types are
imported on first use by `check_for()` (failover.checks.base).
"""

from __future__ import annotations

import asyncio
import functools
import logging
import resource
import time
from collections.abc import Awaitable, Callable, Sequence
from typing import Any, TypeVar

from failover.checks.base import Check, check_for, describe_os_error, seconds
from failover.errors import ConfigError, Reason, UsageError
from failover.model.inventory import Check as CheckModel
from failover.model.inventory import Inventory
from failover.model.results import CheckResult, ControlResult, RoundReport

__all__ = [
    "CONTROL_TIMEOUT",
    "Check",
    "check_for",
    "gather_control",
    "gather_round",
    "parse_target",
    "probe_control",
    "run_round",
]

log = logging.getLogger(__name__)

CONTROL_TIMEOUT = 3.0  # seconds per control-target connect
_FD_HEADROOM = 64  # descriptors left for logs, state files, the lock, the event loop itself

T = TypeVar("T")


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
    unknown host or check name, ConfigError for a check that cannot be built (bad URL, ca_file).
    Must not be called from a running event loop; use `gather_round()` there.
    """
    started = clock()
    results, probes = asyncio.run(gather_round(inventory, hosts, checks, control=control))
    report = RoundReport(started, clock(), results, probes)
    failed = [f"{r.host}/{r.check}" for r in results if not r.ok]
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
    runnable = [_build(inventory, inventory.check_named(name)) for name in check_names]
    targets = _targets(inventory) if control else []
    gate = asyncio.Semaphore(_max_open_sockets())
    pairs = [
        _gated(gate, functools.partial(check.run, name, inventory.hosts[name]))
        for name in host_names
        for check in runnable
    ]
    results, probes = await asyncio.gather(
        asyncio.gather(*pairs), gather_control(targets, gate=gate)
    )
    return tuple(results), probes


def probe_control(
    inventory: Inventory, timeout: float = CONTROL_TIMEOUT
) -> tuple[ControlResult, ...]:
    """Probe the inventory's control targets concurrently (TCP connect, `timeout` s each).

    Raises ConfigError for a target that is not tcp://HOST:PORT.
    """
    return asyncio.run(gather_control(_targets(inventory), timeout))


async def gather_control(
    targets: Sequence[str],
    timeout: float = CONTROL_TIMEOUT,
    *,
    gate: asyncio.Semaphore | None = None,
) -> tuple[ControlResult, ...]:
    """One ControlResult per `tcp://HOST:PORT` target, in the given order.

    Raises ValueError for a target that is not tcp://HOST:PORT, before probing any.
    """
    endpoints = [parse_target(t) for t in targets]
    gate = gate or asyncio.Semaphore(_max_open_sockets())
    found = await asyncio.gather(
        *(
            _gated(gate, functools.partial(_probe_target, t, address, port, timeout))
            for t, (address, port) in zip(targets, endpoints, strict=True)
        )
    )
    if targets:
        log.debug("control: reached=%d of=%d", sum(r.ok for r in found), len(found))
    return tuple(found)


def parse_target(target: str) -> tuple[str, int]:
    """`tcp://9.9.9.9:53` -> ("9.9.9.9", 53); `tcp://[2620:fe::fe]:53` too. Raises ValueError."""
    address, _, port = target.removeprefix("tcp://").rpartition(":")
    address = address.removeprefix("[").removesuffix("]")
    if not target.startswith("tcp://") or not address or not port.isdigit():
        raise ValueError(f"{target!r} is not tcp://HOST:PORT (e.g. tcp://9.9.9.9:53)")
    if not 1 <= int(port) <= 65535:
        raise ValueError(f"{target!r}: {port} is not a port (1-65535)")
    return address, int(port)


async def _probe_target(target: str, address: str, port: int, timeout: float) -> ControlResult:
    from failover.checks.tcp import connect  # the tcp module is tiny; kept lazy like the others

    try:
        await asyncio.wait_for(connect(address, port), timeout)
    except TimeoutError:
        return ControlResult(target, ok=False, detail=f"timeout after {seconds(timeout)}")
    except OSError as exc:
        return ControlResult(target, ok=False, detail=describe_os_error(exc))
    return ControlResult(target, ok=True, detail="connected")


async def _gated(gate: asyncio.Semaphore, probe: Callable[[], Awaitable[T]]) -> T:
    # The coroutine is made only once the gate lets it run: a round cancelled while probes
    # still wait (Ctrl-C) leaves no never-awaited coroutine behind.
    async with gate:
        return await probe()


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


def _targets(inventory: Inventory) -> list[str]:
    """The control targets, checked; a bad one is a ConfigError naming it."""
    try:
        for target in inventory.control_targets:
            parse_target(target)
    except ValueError as exc:
        reason = Reason(str(inventory.path), None, None, "control_targets", str(exc))
        raise ConfigError([reason]) from None
    return list(inventory.control_targets)


def _max_open_sockets() -> int:
    """Probes allowed in flight at once: the soft RLIMIT_NOFILE minus some headroom."""
    soft, _ = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft == resource.RLIM_INFINITY:
        return 4096
    return max(16, soft - _FD_HEADROOM)
