"""`type: http`: GET the check's URL from one host, by the host's address, as a browser would.

Implementation notes:
- The connection goes to `host.address` and the URL's port (default 80/443). The URL's name is
  never resolved: it is sent as the `Host` header and, for https, as TLS SNI and the name the
  certificate must match. That is how one URL checks every host, before and after a DNS flip.
- https uses `ssl.create_default_context()`: certificate chain and host name are verified. With
  `ca_file`, that file is the only trust anchor (a private CA); otherwise the system store.
- One `GET` with `Connection: close` and `Accept-Encoding: identity`; the response is read by the
  small reader in `_http11.py` (status line, headers, up to 64 KiB of body). Redirects are not
  followed by default: a 301 is the answer, and fails unless `expect_status` lists it. With
  `follow_redirects: true`, up to 5 are followed, each one again to `host.address` (a redirect
  to another name checks that name's page on this host, not some other server).
- Pass = status in `expect_status` (200, "2xx", "200-299"), `expect_body` text and `expect_regex`
  found in the (decoded) body, and the answer within `max_latency` when set.
- A verified certificate that expires within `cert_min_days` is a pass with a warning: an
  expiring certificate is a job for a person, never a reason to move the shop.
- `headers` are sent as given (after the fixed ones, so `Host` cannot be overridden).
- URL problems (no host name, a bad port, credentials) and an unreadable `ca_file` are
  configuration errors, raised as ValueError when the check is built, never a failed host.
"""

from __future__ import annotations

import asyncio
import logging
import re
import ssl
import time
from pathlib import Path
from typing import Annotated, Literal
from urllib.parse import quote, urljoin, urlsplit

import msgspec

from failover.checks._http11 import BODY_LIMIT, Response, build_request, read_response
from failover.checks.base import Check, Passed, ProbeFailed, close_stream
from failover.model.inventory import CheckBase, Host
from failover.model.types import After, Duration, Meta

log = logging.getLogger(__name__)

# -- settings (checks[] with `type: http`) ---------------------------------------------------------

def _url(value: str) -> str:
    if not value.startswith(("http://", "https://")):
        raise ValueError(f"{value!r} is not an http:// or https:// URL")
    return value


def _statuses(value: list[int | str]) -> list[int | str]:
    for item in value:
        status_range(item)
    return value


def _regex(value: str) -> str:
    try:
        re.compile(value)
    except re.error as exc:
        raise ValueError(f"{value!r} is not a regular expression: {exc}") from None
    return value


class HttpCheck(CheckBase):
    """GET `url` from the host's own address, with the URL's name as Host header and TLS SNI."""

    type: Literal["http"]
    url: Annotated[str, After(_url), Meta(
        description="the site's URL; its name is sent as Host and TLS SNI")]
    expect_status: Annotated[list[int | str], Meta(
        min_length=1, description='200, "2xx" or "200-299"'), After(_statuses)] = \
        msgspec.field(default_factory=lambda: [200])
    expect_body: Annotated[str | None, Meta(
        description="a text only your shop's page shows (e.g. Add to cart)")] = None
    expect_regex: Annotated[Annotated[str, After(_regex)] | None, Meta(
        description="searched in the first 64 KiB of the body")] = None
    max_latency: Annotated[Duration | None, Meta(description="slower than this fails")] = None
    headers: dict[str, str] = {}  # noqa: RUF012 (msgspec copies it per instance)
    follow_redirects: Annotated[bool, Meta(
        description="off: a 301 is the answer (list it in expect_status)")] = False
    ca_file: Annotated[Path | None, Meta(description="default: the system's CAs")] = None
    cert_min_days: Annotated[int, Meta(
        ge=0, description="a certificate expiring sooner is a WARNING")] = 14

    def status_ok(self, status: int) -> bool:
        return any(lo <= status <= hi for lo, hi in map(status_range, self.expect_status))


def status_range(item: int | str) -> tuple[int, int]:
    """`200` -> (200, 200), `"2xx"` -> (200, 299), `"200-204"` -> (200, 204); else ValueError."""
    text = str(item).strip().lower()
    if len(text) == 3 and text[0] in "12345" and text[1:] == "xx":
        return int(text[0]) * 100, int(text[0]) * 100 + 99
    lo, _, hi = text.partition("-")
    if lo.isdigit() and (hi.isdigit() or not hi):
        first, last = int(lo), int(hi or lo)
        if 100 <= first <= last <= 599:
            return first, last
    raise ValueError(f"{item!r} is not a status (e.g. 200, \"2xx\" or \"200-299\")")


# -- probe --------------------------------------------------------------------------------

USER_AGENT = "failover-check"
MAX_REDIRECTS = 5  # with follow_redirects: true
_REDIRECTS = frozenset({301, 302, 303, 307, 308})
_TARGET_SAFE = "!#$%&'()*+,/:;=?@[]~"  # RFC 3986 reserved characters and '%': kept as written


class Url(msgspec.Struct, frozen=True):
    """The parts of a check URL that a probe needs."""

    tls: bool
    name: str  # ASCII (IDNA) host name or IP literal: SNI and certificate name
    port: int
    host_header: str  # name[:port], as the Host header carries it
    target: str  # path and query, percent-encoded

    @property
    def text(self) -> str:
        """The URL again (for messages and for resolving a relative redirect)."""
        return f"{'https' if self.tls else 'http'}://{self.host_header}{self.target}"

    @classmethod
    def parse(cls, url: str) -> Url:
        """Split `url`; raise ValueError naming what is wrong with it."""
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https"):
            raise ValueError(f"{url!r} is not an http:// or https:// URL")
        if parts.username is not None or parts.password is not None:
            raise ValueError(f"{parts.scheme}:// URL with user:password is not supported")
        if not parts.hostname:
            raise ValueError(f"{url!r} has no host name")
        try:
            name = parts.hostname.encode("idna").decode("ascii")
            explicit_port = parts.port
        except (UnicodeError, ValueError) as exc:
            raise ValueError(f"{url!r}: {exc}") from None
        tls = parts.scheme == "https"
        default_port = 443 if tls else 80
        port = default_port if explicit_port is None else explicit_port
        if not 1 <= port <= 65535:
            raise ValueError(f"{url!r}: port {port} is not a port (1-65535)")
        shown = f"[{name}]" if ":" in name else name
        host_header = shown if port == default_port else f"{shown}:{port}"
        target = quote(parts.path or "/", safe=_TARGET_SAFE)
        if parts.query:
            target += "?" + quote(parts.query, safe=_TARGET_SAFE)
        return cls(tls=tls, name=name, port=port, host_header=host_header, target=target)


def tls_context(ca_file: Path | None) -> ssl.SSLContext:
    """A verifying client context; trusts only `ca_file` when given. Raises ValueError."""
    try:
        return ssl.create_default_context(cafile=str(ca_file) if ca_file else None)
    except (OSError, ssl.SSLError) as exc:
        raise ValueError(f"ca_file {ca_file}: {exc.strerror or exc}") from None


def describe_tls_error(exc: ssl.SSLError) -> str:
    """ "TLS: certificate verify failed: <why>" or "TLS: <reason>", short and lower-case."""
    if isinstance(exc, ssl.SSLCertVerificationError):
        return f"TLS: certificate verify failed: {exc.verify_message or exc.reason}"
    reason = (exc.reason or exc.strerror or str(exc)).replace("_", " ").lower()
    return f"TLS: {reason}"


class HttpProbe(Check[HttpCheck]):
    """GET the URL from the host's address; pass on an expected status (and body text)."""

    type = "http"

    def __init__(self, model: HttpCheck) -> None:
        super().__init__(model)
        self.url = Url.parse(model.url)
        # Built once per check, shared by every host: loading a trust store costs milliseconds.
        # A redirect may lead from http:// to https://, so following them needs one as well.
        need_tls = self.url.tls or model.follow_redirects
        self.tls = tls_context(model.ca_file) if need_tls else None
        self.fields = [
            ("User-Agent", USER_AGENT),
            ("Accept", "*/*"),
            ("Accept-Encoding", "identity"),
            ("Connection", "close"),
            *((k, v) for k, v in model.headers.items() if k.lower() != "host"),
        ]
        self.request = build_request(self.url.target, self.url.host_header, self.fields)
        self.regex = re.compile(model.expect_regex) if model.expect_regex else None

    async def _probe(self, host: Host) -> str | Passed:
        started = asyncio.get_running_loop().time()
        url, request = self.url, self.request
        for _ in range(MAX_REDIRECTS + 1):
            response, cert = await self._fetch(host, url, request)
            location = response.headers.get("location")
            if not (self.model.follow_redirects and response.status in _REDIRECTS and location):
                break
            try:  # the next hop still goes to this host's address, never through DNS
                url = Url.parse(urljoin(url.text, location))
            except ValueError as exc:
                raise ProbeFailed(f"status {response.status} to an unusable URL: {exc}") from None
            request = build_request(url.target, url.host_header, self.fields)
        else:
            raise ProbeFailed(f"more than {MAX_REDIRECTS} redirects (last: {url.text[:80]})")
        detail = self._judge(response)
        took = asyncio.get_running_loop().time() - started
        limit = self.model.max_latency
        if limit is not None and took > limit:
            raise ProbeFailed(f"{detail} but slow: {took * 1000:.0f} ms > max_latency "
                              f"{limit * 1000:.0f} ms")
        return Passed(detail, self._cert_warning(cert, url.name))

    async def _fetch(self, host: Host, url: Url, request: bytes) -> tuple[Response, object]:
        """One GET of `url` from `host.address`: the response and the peer certificate."""
        tls = self.tls if url.tls else None
        try:
            reader, writer = await asyncio.open_connection(
                host.address,
                url.port,
                ssl=tls,
                server_hostname=url.name if tls else None,
            )
            try:
                writer.write(request)
                await writer.drain()
                response = await read_response(reader)
                cert = writer.get_extra_info("peercert") if tls else None
            finally:
                await close_stream(writer)
        except ssl.SSLError as exc:
            raise ProbeFailed(describe_tls_error(exc)) from None
        return response, cert

    def _cert_warning(self, cert: object, name: str) -> str:
        if not isinstance(cert, dict) or "notAfter" not in cert:
            return ""
        try:
            expires = ssl.cert_time_to_seconds(str(cert["notAfter"]))
        except ValueError:
            return ""
        days = (expires - time.time()) / 86400
        if days >= self.model.cert_min_days:
            return ""
        when = f"expires in {days:.1f} days" if days > 0 else "has expired"
        return (f"TLS certificate for {name} {when} "
                f"(cert_min_days={self.model.cert_min_days})")

    def _judge(self, response: Response) -> str:
        want = self.model.expect_status
        if not self.model.status_ok(response.status):
            moved = ""
            if 300 <= response.status < 400 and "location" in response.headers:
                moved = f" to {response.headers['location'][:80]}"
            wanted = " or ".join(str(s) for s in want)
            raise ProbeFailed(f"status {response.status}{moved}, want {wanted}")
        expect = self.model.expect_body
        if expect is not None and expect not in response.text():
            note = f" (first {BODY_LIMIT // 1024} KiB read)" if response.truncated else ""
            encoding = response.headers.get("content-encoding", "identity").lower()
            if encoding != "identity":
                note += f" (body is {encoding}-encoded)"
            raise ProbeFailed(f"body does not contain {_short(expect)!r}{note}")
        if self.regex is not None and self.regex.search(response.text()) is None:
            raise ProbeFailed(f"body does not match {_short(self.regex.pattern)!r}")
        return f"status {response.status}"


def _short(text: str, width: int = 60) -> str:
    return text if len(text) <= width else text[: width - 3] + "..."
