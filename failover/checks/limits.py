"""How many probes may be in flight at once: the cap every round and control probe shares.

A round of 1,000 checks is 1,000 tasks on one event loop; each holds a socket (or an SSH thread)
while it runs. The cap keeps that below the process's file limit (soft RLIMIT_NOFILE minus
`FD_HEADROOM`), so a big round cannot fail on EMFILE. A probe's timeout starts when it gets its
slot, so a round larger than the cap takes a few timeouts instead of one (raise `ulimit -n` to
avoid that).
"""

from __future__ import annotations

import asyncio
import resource
from collections.abc import Awaitable, Callable
from typing import TypeVar

__all__ = ["FD_HEADROOM", "gated", "max_open_sockets"]

FD_HEADROOM = 64  # descriptors left for logs, state files, the lock, the event loop itself

T = TypeVar("T")


def max_open_sockets() -> int:
    """Probes allowed in flight at once: the soft RLIMIT_NOFILE minus some headroom (>= 16)."""
    soft, _ = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft == resource.RLIM_INFINITY:
        return 4096
    return max(16, soft - FD_HEADROOM)


async def gated(gate: asyncio.Semaphore, probe: Callable[[], Awaitable[T]]) -> T:
    """Run `probe()` once `gate` has a slot, and return what it returns (or raise what it raises).

    The coroutine is made only once the gate lets it run: a round cancelled while probes still
    wait (Ctrl-C) leaves no never-awaited coroutine behind.
    """
    async with gate:
        return await probe()
