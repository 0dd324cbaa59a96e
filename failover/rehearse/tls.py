"""The standby's TLS certificates: does it present, for every managed name, a certificate that a
browser would accept, and for how many more days?

Implementation notes:
- The names are the FQDNs of the managed records of type A, AAAA and CNAME: the names customers
  type. MX and TXT names are not web names.
- Each name is one TLS handshake to the standby's own address (never through DNS) with that name
  as SNI, verifying the chain and the name against the trust the site's https checks use
  (checks/http.py `tls_context`: their `ca_file`, else the system store).
- When it runs: when the site has https checks (the site is served over TLS: a bad certificate
  breaks it, so a problem is blocking), or else when the standby answers on port 443 (customers
  who type https:// would see the problem, but the site's own checks do not use TLS, so it is a
  warning). Otherwise the answer is "no TLS".
"""

from __future__ import annotations

import socket
import ssl
import time
from dataclasses import dataclass
from typing import Any

from failover.checks.http import HttpCheck, Url, describe_tls_error, tls_context
from failover.dns.records import record_fqdn
from failover.model.inventory import Inventory

WEB_TYPES = ("A", "AAAA", "CNAME")
HTTPS_PORT = 443


@dataclass(frozen=True)
class CertResult:
    """One name on the standby: `error` None when the certificate verified for it."""

    name: str
    days_left: float | None
    error: str | None = None

    @property
    def ok(self) -> bool:
        return self.error is None and self.days_left is not None and self.days_left > 0

    def line(self) -> str:
        if self.error:
            return f"{self.name}: FAILED {self.error}"
        assert self.days_left is not None
        return f"{self.name}: ok, {self.days_left:.0f} days left"

    def to_json(self) -> dict[str, Any]:
        return {"name": self.name, "ok": self.ok, "error": self.error,
                "days_left": None if self.days_left is None else round(self.days_left, 1)}


@dataclass(frozen=True)
class TlsReport:
    """`mode`: "https checks" (problems block), "port 443" (problems warn) or "no TLS"."""

    mode: str
    port: int
    certificates: list[CertResult]
    min_days: int = 14

    @property
    def blocking(self) -> bool:
        return self.mode == "https checks"

    def to_json(self) -> dict[str, Any]:
        return {"mode": self.mode, "port": self.port, "blocking": self.blocking,
                "certificates": [c.to_json() for c in self.certificates]}


def web_names(inventory: Inventory) -> list[str]:
    """The FQDNs of every managed A, AAAA and CNAME record, in inventory order, once each."""
    names = [record_fqdn(z.zone, r.name).rstrip(".") for z in inventory.dns for r in z.records
             if r.type in WEB_TYPES]
    return list(dict.fromkeys(names))


def _https_checks(inventory: Inventory) -> list[HttpCheck]:
    return [c for c in inventory.checks if isinstance(c, HttpCheck) and c.url.startswith("https:")]


def _listens(address: str, port: int, timeout: float) -> bool:
    try:
        with socket.create_connection((address, port), timeout=timeout):
            return True
    except OSError:
        return False


def _one(address: str, port: int, name: str, context: ssl.SSLContext,
         timeout: float) -> CertResult:
    try:
        with socket.create_connection((address, port), timeout=timeout) as raw, \
                context.wrap_socket(raw, server_hostname=name) as tls:
            cert = tls.getpeercert()
    except ssl.SSLError as exc:
        return CertResult(name, None, describe_tls_error(exc))
    except OSError as exc:
        return CertResult(name, None, f"no TLS answer on {address}:{port}: "
                          f"{exc.strerror or type(exc).__name__}")
    try:
        expires = ssl.cert_time_to_seconds(str((cert or {})["notAfter"]))
    except (KeyError, ValueError):
        return CertResult(name, None, "the certificate has no readable expiry date")
    days = (expires - time.time()) / 86400
    return CertResult(name, days, None if days > 0 else "the certificate has expired")


def check_certificates(inventory: Inventory, host: str, timeout: float = 5.0) -> TlsReport:
    """Every managed web name's certificate on `host` (see the module docstring). A failure is
    a result; ValueError only for an unreadable ca_file (a configuration error)."""
    address = inventory.hosts[host].address
    https = _https_checks(inventory)
    if https:
        port = Url.parse(https[0].url).port
        mode, context = "https checks", tls_context(https[0].ca_file)
        min_days = https[0].cert_min_days
    elif _listens(address, HTTPS_PORT, timeout):
        port, mode, context, min_days = HTTPS_PORT, "port 443", tls_context(None), 14
    else:
        return TlsReport("no TLS", HTTPS_PORT, [])
    results = [_one(address, port, name, context, timeout) for name in web_names(inventory)]
    return TlsReport(mode, port, results, min_days)
