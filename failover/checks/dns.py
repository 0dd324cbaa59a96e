"""`type: dns`: ask a DNS server for a name and type, and expect values in the answer.

Implementation notes:
- dnspython's asyncio API (`dns.asyncquery.udp`), imported on first use: rounds without a dns
  check never load it. UDP, one query per attempt; a truncated answer is asked again over TCP.
- The server is `server` ("host[:port]") when set, else the checked host's own address and
  `port` (a host that runs its own DNS). The answer must have rcode NOERROR, a non-empty answer
  section for the name and type, and contain every value of `expect` (compared as dnspython
  prints them, case-insensitive, trailing dots ignored).
"""

from __future__ import annotations

import logging
from typing import Annotated, Literal

from failover.checks.base import Check, ProbeFailed
from failover.model.inventory import CheckBase, Host
from failover.model.types import Meta, Port

log = logging.getLogger(__name__)


# -- settings (checks[] with `type: dns`) ----------------------------------------------------------

class DnsCheck(CheckBase):
    """Ask a DNS server for `query`/`record_type`; pass when it answers and holds `expect`."""

    type: Literal["dns"]
    query: Annotated[str, Meta(description="the name to ask for")]
    record_type: str = "A"
    # msgspec copies a [] default for every instance (RUF012 knows only pydantic)
    expect: Annotated[list[str], Meta(
        description="values the answer must hold; empty: any answer passes")] = []  # noqa: RUF012
    server: Annotated[str | None, Meta(
        description="host[:port] to ask; default: the checked host's address")] = None
    port: Port = 53


# -- probe --------------------------------------------------------------------------------

def split_server(server: str, default_port: int) -> tuple[str, int]:
    """"127.0.0.1:5353" -> ("127.0.0.1", 5353); "10.0.0.1" -> ("10.0.0.1", default_port)."""
    if server.count(":") == 1:
        address, _, port = server.partition(":")
        if not port.isdigit() or not 1 <= int(port) <= 65535:
            raise ValueError(f"server {server!r} is not host[:port] (e.g. 127.0.0.1:53)")
        return address, int(port)
    return server.strip("[]"), default_port


def _norm(value: str) -> str:
    return value.strip().lower().rstrip(".")


class DnsProbe(Check[DnsCheck]):
    """Query `query`/`record_type`; pass on NOERROR with every expected value present."""

    type = "dns"

    def __init__(self, model: DnsCheck) -> None:
        super().__init__(model)
        import dns.exception
        import dns.name
        import dns.rdatatype

        try:
            self.qname = dns.name.from_text(model.query)
            self.rdtype = dns.rdatatype.from_text(model.record_type)
        except (dns.exception.DNSException, ValueError) as exc:
            raise ValueError(f"{model.query} {model.record_type}: {exc}") from None
        self.server = split_server(model.server, model.port) if model.server else None

    async def _probe(self, host: Host) -> str:
        import dns.asyncquery
        import dns.exception
        import dns.flags
        import dns.message
        import dns.rcode

        address, port = self.server or (host.address, self.model.port)
        query = dns.message.make_query(self.qname, self.rdtype)
        try:
            answer = await dns.asyncquery.udp(query, address, port=port, timeout=self.timeout)
            if answer.flags & dns.flags.TC:
                answer = await dns.asyncquery.tcp(query, address, port=port,
                                                  timeout=self.timeout)
        except dns.exception.Timeout:
            raise TimeoutError from None
        except dns.exception.DNSException as exc:
            raise ProbeFailed(f"bad DNS answer from {address}:{port}: {exc}") from None
        rcode = answer.rcode()
        if rcode != dns.rcode.NOERROR:
            raise ProbeFailed(f"{self.model.query} {self.model.record_type}: "
                              f"{dns.rcode.to_text(rcode)} from {address}:{port}")
        values = sorted({_norm(rd.to_text()) for rrset in answer.answer
                         if rrset.rdtype == self.rdtype for rd in rrset})
        if not values:
            raise ProbeFailed(f"{self.model.query} {self.model.record_type}: no answer "
                              f"from {address}:{port}")
        missing = [v for v in self.model.expect if _norm(v) not in values]
        if missing:
            raise ProbeFailed(f"{self.model.query} {self.model.record_type} = "
                              f"{', '.join(values)[:120]}, want {', '.join(missing)}")
        return f"{self.model.record_type} {', '.join(values)[:80]}"
