"""PowerDNS Authoritative, through its HTTP API.

Implementation notes:
- API reference: https://doc.powerdns.com/authoritative/http-api/zone.html (verified on 4.7.3).
- Auth is the `X-API-Key` header; a wrong key gives 401 with a plain-text body. The key never
  appears in a message or a log line.
- Names must be canonical (absolute, trailing dot): `www.shop.test` gets 422 "not canonical".
- GET .../zones/{zone} returns the whole zone with every rrset; we keep the managed ones (+ NS).
  Disabled records are not served, so they are not counted as values.
- PATCH .../zones/{zone} answers 204 with an empty body. Every changed rrset goes into ONE PATCH
  with changetype REPLACE (DELETE for an rrset that must disappear): PowerDNS applies a PATCH in
  one backend transaction, so a zone changes entirely or not at all (ATOMIC). REPLACE is
  idempotent, which makes retrying a PATCH safe.
- The API purges the packet cache of changed names, so nameservers answer the new values at once.
- 5xx, connection errors and timeouts are retried (3 tries, 0.5 s then 1 s apart, dns/retry.py);
  4xx never are. A PATCH whose answer timed out may have been applied: that is ApplyUncertain, so
  a flip restores that zone too.
- requests is imported when the provider is built, not with this module: the settings model below
  is read with every inventory, on the `failover check` path too.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Annotated, Any, ClassVar, Literal
from urllib.parse import quote, urlsplit, urlunsplit

from failover.dns.base import DnsProvider
from failover.dns.records import RRKey, RRset, ZonePlan, canonical_values
from failover.dns.retry import Transient, with_retries
from failover.errors import ProviderError
from failover.model.inventory import ZoneBase
from failover.model.types import Duration, Meta, Secret

if TYPE_CHECKING:
    import requests

log = logging.getLogger(__name__)


# -- settings (dns[] with `provider: powerdns`) --------------------------------------------------

class PowerDnsZone(ZoneBase):
    provider: Literal["powerdns"]
    api_url: Annotated[str, Meta(description="the API's base URL, e.g. http://127.0.0.1:8081")]
    api_key: Annotated[Secret, Meta(description="write ${PDNS_API_KEY}, never the key")]
    server_id: str = "localhost"
    timeout: Annotated[Duration, Meta(description="per API request")] = 10.0


# -- provider --------------------------------------------------------------------------------------


def redact_url(url: str) -> str:
    """`url` without any user:password part."""
    parts = urlsplit(url)
    if parts.username is None and parts.password is None:
        return url
    netloc = parts.hostname or ""
    if parts.port:
        netloc += f":{parts.port}"
    return urlunsplit(parts._replace(netloc=netloc))


class PowerDnsProvider(DnsProvider):
    """One zone on a PowerDNS Authoritative server. Atomic per zone; apply is idempotent."""

    name: ClassVar[str] = "powerdns"
    ATOMIC: ClassVar[bool] = True
    RETRY_DELAYS: ClassVar[tuple[float, ...]] = (0.5, 1.0)

    zone: PowerDnsZone

    def __init__(self, zone: PowerDnsZone) -> None:
        super().__init__(zone)
        base = zone.api_url.rstrip("/")
        if not base.endswith("/api/v1"):
            base += "/api/v1"
        self._url = (f"{base}/servers/{quote(zone.server_id, safe='')}"
                     f"/zones/{quote(self.zone_name, safe='.')}")
        self._where = f"powerdns zone {self.zone_name} at {redact_url(zone.api_url)}"
        import requests

        self._session = requests.Session()
        self._session.headers.update({"X-API-Key": zone.api_key.get_secret_value(),
                                      "Accept": "application/json"})

    def list_zone(self) -> list[RRset]:
        return list(self._fetch(None).values())

    def _fetch(self, keys: set[RRKey] | None) -> dict[RRKey, RRset]:
        response = self._request("GET", None)
        body = self._json(response)
        rrsets = body.get("rrsets") if isinstance(body, dict) else None
        if not isinstance(rrsets, list):
            raise ProviderError(f"{self._where}: unexpected answer (no 'rrsets' list in the zone)")
        found: dict[RRKey, RRset] = {}
        for index, item in enumerate(rrsets):
            rrset = self._parse_rrset(index, item, keys)
            if rrset is not None and rrset.values:
                found[rrset.key] = rrset
        log.debug("fetched: zone=%s rrsets=%d kept=%d", self.zone_name, len(rrsets), len(found))
        return found

    def _parse_rrset(self, index: int, item: Any, keys: set[RRKey] | None) -> RRset | None:
        try:
            name, rtype = str(item["name"]).lower(), str(item["type"]).upper()
            if keys is not None and (name, rtype) not in keys:
                return None
            ttl = int(item["ttl"])
            contents = [str(r["content"]) for r in item["records"] if not r.get("disabled", False)]
        except (KeyError, TypeError, ValueError, AttributeError) as exc:
            raise ProviderError(f"{self._where}: unexpected answer (rrset {index} lacks or has a "
                                f"bad field: {exc})") from None
        try:
            values = canonical_values(rtype, contents)
        except ValueError as exc:
            raise ProviderError(f"{self._where}: unexpected answer for {name} {rtype}: "
                                f"{exc}") from None
        return RRset(name, rtype, ttl, values)

    def _apply(self, plan: ZonePlan) -> None:
        rrsets: list[dict[str, Any]] = []
        for change in plan.changes:
            if change.after:
                rrsets.append({"name": change.name, "type": change.type, "ttl": change.ttl,
                               "changetype": "REPLACE",
                               "records": [{"content": v, "disabled": False}
                                           for v in change.after]})
            else:
                rrsets.append({"name": change.name, "type": change.type, "changetype": "DELETE"})
        response = self._request("PATCH", {"rrsets": rrsets})
        if response.status_code != 204 and response.content:
            self._json(response)  # a 2xx with an HTML page is a web server, not the API
        log.debug("patched: zone=%s rrsets=%d", self.zone_name, len(rrsets))

    # -- HTTP ----------------------------------------------------------------------------------

    def _request(self, method: str, payload: dict[str, Any] | None) -> requests.Response:
        """Send one request; retry 5xx, connection errors and timeouts; map answers to errors."""
        import requests

        write = method != "GET"

        def attempt() -> requests.Response:
            self.calls["write" if write else "read"] += 1
            try:
                response = self._session.request(method, self._url, json=payload,
                                                 timeout=self.zone.timeout)
            except requests.ConnectTimeout:
                raise Transient(f"could not connect within {self.zone.timeout:g}s") from None
            except requests.Timeout:
                raise Transient(f"no answer within {self.zone.timeout:g}s",
                                maybe_sent=write) from None
            except requests.exceptions.SSLError:
                raise ProviderError(f"{self._where}: TLS handshake failed (certificate not "
                                    "trusted or not for this host?)") from None
            except requests.ConnectionError as exc:
                problem, sent = _connection_problem(exc)
                raise Transient(problem, maybe_sent=write and sent) from None
            except requests.RequestException as exc:
                raise ProviderError(f"{self._where}: request failed "
                                    f"({type(exc).__name__})") from None
            if response.status_code >= 500:
                raise Transient(f"server error HTTP {response.status_code}{_detail(response)}",
                                maybe_sent=write)
            self._check_status(method, response)
            return response

        return with_retries(attempt, delays=self.RETRY_DELAYS, where=self._where,
                            zone=self.zone_name, what=method)

    def _check_status(self, method: str, response: requests.Response) -> None:
        status = response.status_code
        if status in (401, 403):
            raise ProviderError(f"{self._where}: API key rejected (HTTP {status}); check api_key")
        if status == 404:
            raise ProviderError(f"{self._where}: zone not found (HTTP 404; check the zone name "
                                f"and server_id {self.zone.server_id!r})")
        if status in (400, 422):
            raise ProviderError(f"{self._where}: {method} refused (HTTP {status})"
                                f"{_detail(response)}")
        if status >= 400:
            raise ProviderError(f"{self._where}: {method} failed (HTTP {status})"
                                f"{_detail(response)}")
        if not 200 <= status < 300:
            raise ProviderError(f"{self._where}: unexpected answer HTTP {status}")

    def _json(self, response: requests.Response) -> Any:
        ctype = response.headers.get("Content-Type", "")
        if "html" in ctype or response.text.lstrip()[:1] == "<":
            raise ProviderError(f"{self._where}: answered with an HTML page, not the API "
                                "(is api_url the PowerDNS API?)")
        try:
            return response.json()
        except ValueError:
            raise ProviderError(f"{self._where}: answered something that is not JSON "
                                f"({ctype or 'no content type'})") from None


def _connection_problem(exc: requests.ConnectionError) -> tuple[str, bool]:
    """What went wrong, and whether the request may have been sent."""
    import urllib3.exceptions

    reason = getattr(exc.args[0], "reason", None) if exc.args else None
    if isinstance(reason, urllib3.exceptions.NameResolutionError):
        return "cannot resolve the API host name", False
    if isinstance(reason, urllib3.exceptions.NewConnectionError):
        refused = "refused" in str(reason).lower()
        return ("connection refused" if refused else "cannot connect"), False
    return "connection lost", True


def _detail(response: requests.Response) -> str:
    """The server's error text, short; HTML pages are not quoted."""
    try:
        body = response.json()
    except ValueError:
        body = None
    if isinstance(body, dict) and isinstance(body.get("error"), str):
        text = body["error"]
    elif "html" in response.headers.get("Content-Type", "") or response.text.lstrip()[:1] == "<":
        return " (an HTML page)"
    else:
        text = response.text
    text = " ".join(text.split())
    return f": {text[:200]}" if text else ""
