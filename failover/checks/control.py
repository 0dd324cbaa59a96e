"""Control targets: is the checker itself online? TCP connects to well-known addresses.

    probe_control(inventory)                     # one ControlResult per control target
    parse_target("tcp://[2620:fe::fe]:53")       # ("2620:fe::fe", 53)

A round whose control targets all fail is not judged (policy.unjudgeable): a checker that lost
its own network would otherwise see every host down at once. A failed connect is a result
(`ok=False`), never an exception; a target that is not tcp://HOST:PORT is bad configuration.
"""

from __future__ import annotations

import asyncio
import functools
import logging
from collections.abc import Sequence

from failover.checks.base import describe_os_error, seconds
from failover.checks.limits import gated, max_open_sockets
from failover.errors import ConfigError, Reason
from failover.model.inventory import Inventory
from failover.model.results import ControlResult

__all__ = ["CONTROL_TIMEOUT", "control_targets", "gather_control", "parse_target",
           "probe_control", "target_family"]

log = logging.getLogger(__name__)

CONTROL_TIMEOUT = 3.0  # seconds per control-target connect


def probe_control(
    inventory: Inventory, timeout: float = CONTROL_TIMEOUT
) -> tuple[ControlResult, ...]:
    """Probe the inventory's control targets concurrently (TCP connect, `timeout` s each).

    Raises ConfigError for a target that is not tcp://HOST:PORT, before probing any.
    Must not be called from a running event loop; use `gather_control()` there.
    """
    return asyncio.run(gather_control(control_targets(inventory), timeout))


async def gather_control(
    targets: Sequence[str],
    timeout: float = CONTROL_TIMEOUT,
    *,
    gate: asyncio.Semaphore | None = None,
) -> tuple[ControlResult, ...]:
    """One ControlResult per `tcp://HOST:PORT` target, in the given order, probed concurrently.

    `gate` is the round's cap on sockets in flight (failover.checks.limits); one of its own
    otherwise. Raises ValueError for a target that is not tcp://HOST:PORT, before probing any.
    """
    endpoints = [parse_target(t) for t in targets]
    gate = gate or asyncio.Semaphore(max_open_sockets())
    found = await asyncio.gather(
        *(
            gated(gate, functools.partial(_probe_target, t, address, port, timeout))
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


def target_family(target: str) -> str:
    """"ipv6" for `tcp://[2620:fe::fe]:53`, "ipv4" otherwise (an IPv4 address or a name)."""
    return "ipv6" if target.removeprefix("tcp://").startswith("[") else "ipv4"


def control_targets(inventory: Inventory) -> list[str]:
    """The inventory's control targets, checked; a bad one is a ConfigError naming it."""
    try:
        for target in inventory.control_targets:
            parse_target(target)
    except ValueError as exc:
        reason = Reason(str(inventory.path), None, None, "control_targets", str(exc))
        raise ConfigError([reason]) from None
    return list(inventory.control_targets)


async def _probe_target(target: str, address: str, port: int, timeout: float) -> ControlResult:
    from failover.checks.tcp import connect  # the tcp module is tiny; kept lazy like the others

    try:
        await asyncio.wait_for(connect(address, port), timeout)
    except TimeoutError:
        return ControlResult(target, ok=False, detail=f"timeout after {seconds(timeout)}")
    except OSError as exc:
        return ControlResult(target, ok=False, detail=describe_os_error(exc))
    return ControlResult(target, ok=True, detail="connected")
