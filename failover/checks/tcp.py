"""`type: tcp`: the host accepts a TCP connection on `port`.

Implementation notes:
- Connects to `host.address` (an IP literal), so no name is resolved.
- Passing means the three-way handshake completed; nothing is sent and the connection is dropped
  at once. A firewall that silently drops SYNs shows as a timeout, a closed port as "connection
  refused" (an RST), a dead route as "no route to host".
- `connect()` is shared with the control-target probes of `failover.checks`.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Annotated, Literal

from failover.checks.base import Check, close_stream
from failover.model.inventory import CheckBase, Host
from failover.model.types import Meta, Port

log = logging.getLogger(__name__)


# -- settings (checks[] with `type: tcp`) ----------------------------------------------------------

class TcpCheck(CheckBase):
    type: Literal["tcp"]
    port: Annotated[Port, Meta(description="passes when a connection is accepted")]


# -- probe --------------------------------------------------------------------------------

async def connect(address: str, port: int) -> None:
    """Open a TCP connection to `address:port` and close it again; raise OSError if refused.

    `address` should be an IP literal; a name would be resolved through the system resolver in
    the loop's thread pool. The caller bounds the time (asyncio.wait_for / timeout).
    """
    _, writer = await asyncio.open_connection(address, port)
    await close_stream(writer)


class TcpProbe(Check[TcpCheck]):
    """Connect to `host.address:port`; pass when the connection is accepted."""

    type = "tcp"

    async def _probe(self, host: Host) -> str:
        await connect(host.address, self.model.port)
        return f"port {self.model.port} open"
