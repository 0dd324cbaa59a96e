"""RFC 2136 dynamic UPDATE (BIND, Knot, PowerDNS), signed with TSIG, over TCP.

Implementation notes:
- Reads are plain queries for each managed rrset, sent over ONE TCP connection to `server` and
  signed with the same TSIG key (so a wrong key shows up before anything is planned). The answer
  must be authoritative (AA); NXDOMAIN and NOERROR/no data both mean "absent".
- A write is ONE UPDATE message per zone: the server applies it as one transaction (RFC 2136
  section 3.7), so the zone changes entirely or not at all (ATOMIC). Each change carries a
  prerequisite (section 2.4): "this rrset holds exactly the values we read" (value-dependent
  RRset exists) or "this rrset does not exist". When someone else edited a record between our read
  and our write, the server answers NXRRSET/YXRRSET and changes nothing: that is reported as
  ConcurrentEdit, never retried and never overwritten.
- dnspython raises `PeerBadSignature` / `PeerBadKey` / `PeerBadTime` when the server rejects the
  TSIG signature (BADSIG/BADKEY/BADTIME); an unsigned or unauthorised update gets rcode REFUSED,
  a zone the server is not primary for NOTAUTH. Each becomes a ProviderError naming zone and rcode.
- Connection errors before anything was sent are retried (0.5 s, 1 s; dns/retry.py); an UPDATE
  whose answer timed out may have landed, so it is ApplyUncertain (the flip restores that zone),
  never resent.
- dnspython is imported when the provider is built, not with this module: the settings models
  below are read with every inventory, on the `failover check` path too.
"""

from __future__ import annotations

import base64
import binascii
import logging
import re
import socket
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, ClassVar, Literal, TypeVar

from failover.dns.base import ApplyUncertain, DnsProvider
from failover.dns.records import RRKey, RRset, ZonePlan, canonical_values
from failover.dns.retry import Transient, with_retries
from failover.errors import ProviderError, UnsafePlan
from failover.model.base import Model
from failover.model.inventory import ZoneBase
from failover.model.types import Duration, Meta, Secret
from failover.redact import register

if TYPE_CHECKING:
    import dns.message
    import dns.rdataset

log = logging.getLogger(__name__)

T = TypeVar("T")


# -- settings (dns[] with `provider: rfc2136`) ---------------------------------------------------

TsigAlgorithm = Literal["hmac-sha256", "hmac-sha384", "hmac-sha512", "hmac-sha224",
                       "hmac-sha1", "hmac-md5"]


class Tsig(Model):
    """A TSIG key: the secret inline (from `${VAR}`) or in `secret_file` (base64, as tsig-keygen
    prints it, or a whole `key "name" {...};` file)."""

    name: Annotated[str, Meta(description="the key's name on the server")]
    algorithm: TsigAlgorithm = "hmac-sha256"
    secret: Annotated[Secret | None, Meta(description="base64; write ${TSIG_SECRET}")] = None
    secret_file: Annotated[Path | None, Meta(
        description="a file holding the secret, or a whole `key {...};` block")] = None

    def __post_init__(self) -> None:
        if (self.secret is None) == (self.secret_file is None):
            raise ValueError("give exactly one of `secret` (e.g. \"${TSIG_SECRET}\") or "
                             "`secret_file`")


class Rfc2136Zone(ZoneBase):
    """Dynamic UPDATE (RFC 2136) over TCP to `server` ("host[:port]"), signed with `tsig`."""

    provider: Literal["rfc2136"]
    server: Annotated[str, Meta(description="host[:port] of the primary that takes UPDATEs")]
    tsig: Annotated[Tsig, Meta(description="every query and update is signed")]
    timeout: Annotated[Duration, Meta(description="per query or update")] = 10.0


# -- provider --------------------------------------------------------------------------------------

def _tsig_errors() -> dict[type[Exception], str]:
    import dns.tsig

    return {
        dns.tsig.PeerBadSignature: "BADSIG (wrong secret or algorithm)",
        dns.tsig.PeerBadKey: "BADKEY (the server does not know this key name)",
        dns.tsig.PeerBadTime: "BADTIME (clocks differ too much)",
        dns.tsig.PeerBadTruncation: "BADTRUNC",
    }


class ConcurrentEdit(UnsafePlan):
    """The zone changed between our read and our write; the server applied nothing."""


def read_secret(tsig: Tsig) -> str:
    """The base64 secret of `tsig`, from the inventory or from `secret_file`. Raises ProviderError.

    A file may hold the bare base64 text or a whole `key "..." { ...; secret "..."; };` block.
    """
    if tsig.secret is not None:
        text = tsig.secret.get_secret_value().strip()
        where = "tsig.secret"
    else:
        assert tsig.secret_file is not None
        where = f"tsig.secret_file {tsig.secret_file}"
        try:
            raw = Path(tsig.secret_file).read_text()
        except OSError as exc:
            raise ProviderError(f"{where}: cannot read ({exc.strerror})") from None
        found = re.search(r'secret\s+"([^"]+)"', raw)
        text = (found.group(1) if found else raw).strip()
        register(text)  # never printed, at any verbosity (failover.redact)
    try:
        base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError):
        raise ProviderError(f"{where}: the TSIG secret is not base64 (as tsig-keygen prints "
                            "it)") from None
    return text


class Rfc2136Provider(DnsProvider):
    """One zone on a primary server that takes TSIG-signed UPDATEs. Atomic; apply is idempotent."""

    name: ClassVar[str] = "rfc2136"
    ATOMIC: ClassVar[bool] = True
    RETRY_DELAYS: ClassVar[tuple[float, ...]] = (0.5, 1.0)

    zone: Rfc2136Zone

    def __init__(self, zone: Rfc2136Zone) -> None:
        super().__init__(zone)
        host, _, port = zone.server.rpartition(":") if zone.server.count(":") == 1 else (
            zone.server, "", "53")
        self._host, self._port = host.strip("[]"), int(port or 53)
        self._where = f"rfc2136 zone {self.zone_name} at {zone.server}"
        import dns.name
        import dns.tsig

        self._keyname = dns.name.from_text(zone.tsig.name)
        self._keyring = {self._keyname: dns.tsig.Key(self._keyname, read_secret(zone.tsig),
                                                     zone.tsig.algorithm)}
        self._origin = dns.name.from_text(self.zone_name)

    def _address(self) -> str:
        try:
            infos = socket.getaddrinfo(self._host, self._port, proto=socket.IPPROTO_TCP)
        except OSError:
            raise ProviderError(f"{self._where}: cannot resolve {self._host}") from None
        return str(infos[0][4][0])

    def _fetch(self, keys: set[RRKey]) -> dict[RRKey, RRset]:
        found: dict[RRKey, RRset] = {}

        def read_all() -> None:
            address = self._address()
            family = socket.AF_INET6 if ":" in address else socket.AF_INET
            with socket.socket(family, socket.SOCK_STREAM) as sock:
                sock.settimeout(self.zone.timeout)
                sock.connect((address, self._port))
                for name, rtype in sorted(keys):
                    rrset = self._query(sock, name, rtype)
                    if rrset is not None:
                        found[(name, rtype)] = rrset

        self._with_retries("read", read_all, sent_is_uncertain=False)
        log.debug("fetched: zone=%s managed=%d", self.zone_name, len(found))
        return found

    def _query(self, sock: socket.socket, name: str, rtype: str) -> RRset | None:
        import dns.flags
        import dns.message
        import dns.name
        import dns.query
        import dns.rcode
        import dns.rdatatype

        query = dns.message.make_query(name, rtype)
        query.use_tsig(self._keyring, keyname=self._keyname)
        self.calls["read"] += 1
        # with `sock`, dnspython ignores the address
        response = dns.query.tcp(query, "", timeout=self.zone.timeout, sock=sock)
        rcode = response.rcode()
        if rcode == dns.rcode.NXDOMAIN:
            return None
        if rcode != dns.rcode.NOERROR:
            raise ProviderError(f"{self._where}: query {name} {rtype} answered "
                                f"{dns.rcode.to_text(rcode)} (is the server primary for the "
                                "zone?)")
        if not response.flags & dns.flags.AA:
            raise ProviderError(f"{self._where}: the answer for {name} {rtype} is not "
                                "authoritative (is `server` the zone's primary?)")
        wanted = dns.rdatatype.from_text(rtype)
        for rrset in response.answer:
            if rrset.name == dns.name.from_text(name) and rrset.rdtype == wanted:
                values = canonical_values(rtype, [r.to_text() for r in rrset])
                return RRset(name, rtype, int(rrset.ttl), values)
        return None

    def _apply(self, plan: ZonePlan) -> None:
        import dns.name
        import dns.query
        import dns.rcode
        import dns.update

        update = dns.update.UpdateMessage(self._origin, keyring=self._keyring,
                                          keyname=self._keyname)
        for change in plan.changes:
            name = dns.name.from_text(change.name)
            if change.before:
                update.present(name, _rdataset(change.type, 0, change.before))
            else:
                update.absent(name, change.type)
            if change.after:
                update.replace(name, _rdataset(change.type, change.ttl, change.after))
            else:
                update.delete(name, change.type)

        def send() -> dns.message.Message:
            self.calls["write"] += 1
            return dns.query.tcp(update, self._address(), port=self._port,
                                 timeout=self.zone.timeout)

        response = self._with_retries("update", send, sent_is_uncertain=True)
        rcode = response.rcode()
        if rcode in (dns.rcode.NXRRSET, dns.rcode.YXRRSET, dns.rcode.NXDOMAIN,
                     dns.rcode.YXDOMAIN):
            raise ConcurrentEdit(
                f"{self._where}: the records changed since they were read (someone else edited "
                f"the zone; server answered {dns.rcode.to_text(rcode)} to our prerequisites). "
                "Nothing was changed and nothing was overwritten; plan again to see the current "
                "values.")
        if rcode != dns.rcode.NOERROR:
            hint = {dns.rcode.REFUSED: "the server refused the update: is this TSIG key "
                                       "allowed to update the zone (allow-update)?",
                    dns.rcode.NOTAUTH: "the server is not authoritative/primary for the zone, "
                                       "or the key is not accepted"}.get(rcode, "update failed")
            raise ProviderError(f"{self._where}: UPDATE answered {dns.rcode.to_text(rcode)}: "
                                f"{hint}; nothing was changed")
        log.debug("updated: zone=%s rrsets=%d", self.zone_name, len(plan.changes))

    def _with_retries(self, what: str, call: Callable[[], T], *, sent_is_uncertain: bool) -> T:
        """Run `call`; retry connection failures; map TSIG and timeout errors to ProviderError."""
        import dns.exception

        tsig_errors = _tsig_errors()

        def attempt() -> T:
            try:
                return call()
            except tuple(tsig_errors) as exc:
                raise ProviderError(
                    f"{self._where}: the server rejected our TSIG signature, "
                    f"{tsig_errors[type(exc)]}; check tsig.name ({self.zone.tsig.name}), "
                    "tsig.algorithm and the secret; nothing was changed") from None
            except (ConnectionRefusedError, socket.gaierror) as exc:
                raise Transient(f"cannot connect ({exc.strerror or type(exc).__name__})") \
                    from None
            except (dns.exception.Timeout, TimeoutError, OSError, EOFError) as exc:
                problem = f"no answer within {self.zone.timeout:g}s ({type(exc).__name__})"
                if sent_is_uncertain:  # an UPDATE that may have landed is never sent again
                    raise ApplyUncertain(f"{self._where}: {what}: {problem}; the change may or "
                                         "may not have been applied") from None
                raise Transient(problem) from None
            except dns.exception.DNSException as exc:
                raise ProviderError(f"{self._where}: {what}: malformed answer "
                                    f"({type(exc).__name__}: {exc})") from None

        return with_retries(attempt, delays=self.RETRY_DELAYS, where=f"{self._where}: {what}",
                            zone=self.zone_name, what=what)


def _rdataset(rtype: str, ttl: int, values: tuple[str, ...]) -> dns.rdataset.Rdataset:
    import dns.rdataclass
    import dns.rdataset
    import dns.rdatatype

    return dns.rdataset.from_text(dns.rdataclass.IN, dns.rdatatype.from_text(rtype), ttl,
                                  *values)
