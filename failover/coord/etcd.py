"""EtcdClient: a small client for etcd v3's JSON gateway, with endpoint rotation.

Implementation notes (etcd 3.4, the gRPC gateway on every member's client port; the shape of
Patroni's etcd3 DCS, written here from the API reference, not from its code):
- `POST /v3/kv/range|put|deleterange|txn`, `/v3/lease/grant|keepalive|revoke`,
  `/v3/maintenance/status`, `/v3/cluster/member/list`; keys and values are base64, int64 values
  are JSON strings.
- False and zero fields are left out of replies: a txn whose compare failed has no `succeeded`,
  a lease that is gone answers keepalive without `TTL`, an empty range has no `kvs`.
- Errors come back as HTTP 4xx/5xx with JSON `{"error": ..., "code": ...}`.
- A request in flight while the members elect a new raft leader can hang until the election is
  over: every request has a timeout (at least twice etcd's election timeout), and on a timeout
  or refused connection the next endpoint is tried. Only idempotent calls are retried on another
  member (range, keepalive, status, a put of the same value, a txn whose compare makes a repeat
  harmless); `grant` is not (a repeat would leave an orphan lease, which only expires).
- Why not a gRPC client: python-etcd3 breaks on protobuf >= 4 and has had no release since 2020,
  aetcd is unmaintained, etcd3gw talks to one endpoint only (issue 16).
"""

from __future__ import annotations

import base64
import logging
from dataclasses import dataclass
from typing import Any

import requests

from failover.errors import ProviderError
from failover.model.coordination import Etcd

log = logging.getLogger(__name__)


class EtcdUnavailable(ProviderError):
    """No member answered (or none has a quorum): this checker must not act."""


def b64(text: str | bytes) -> str:
    data = text.encode() if isinstance(text, str) else text
    return base64.b64encode(data).decode()


def unb64(text: str) -> bytes:
    return base64.b64decode(text)


def range_end(prefix: str) -> str:
    """The end of the key range holding every key that starts with `prefix`."""
    data = bytearray(prefix.encode())
    data[-1] += 1
    return b64(bytes(data))


@dataclass(frozen=True)
class KeyValue:
    key: str
    value: bytes
    create_revision: int
    mod_revision: int
    lease: int

    @classmethod
    def parse(cls, kv: dict[str, Any]) -> KeyValue:
        return cls(unb64(kv["key"]).decode(), unb64(kv.get("value", "")),
                   int(kv.get("create_revision", 0)), int(kv.get("mod_revision", 0)),
                   int(kv.get("lease", 0)))


class EtcdClient:
    """One session with the cluster: requests go to the endpoint that answered last; when it does
    not answer, to the next one. Raises EtcdUnavailable when no member answers."""

    def __init__(self, settings: Etcd) -> None:
        self.endpoints = list(settings.endpoints)
        self.timeout = settings.timeout
        self._http = requests.Session()
        if settings.ca_file is not None:
            self._http.verify = str(settings.ca_file)
        if settings.cert_file is not None:
            self._http.cert = ((str(settings.cert_file), str(settings.key_file))
                               if settings.key_file else str(settings.cert_file))
        self._auth = settings
        self._token: str | None = None

    def close(self) -> None:
        self._http.close()

    # -- transport ----------------------------------------------------------------------
    def call(self, path: str, body: dict[str, Any], *, retry: bool = True) -> dict[str, Any]:
        """POST `body` to `path` on the current endpoint, then (retry) on the others."""
        errors = []
        for _ in range(len(self.endpoints) if retry else 1):
            url = self.endpoints[0]
            try:
                return self._post(url, path, body)
            except requests.RequestException as exc:
                errors.append(f"{url}: {type(exc).__name__}")
                log.info("etcd member did not answer: url=%s path=%s error=%s", url, path,
                         type(exc).__name__)
                self.endpoints.append(self.endpoints.pop(0))
        raise EtcdUnavailable(f"etcd: no member answered {path} ({'; '.join(errors)})")

    def _post(self, url: str, path: str, body: dict[str, Any]) -> dict[str, Any]:
        headers = {}
        if self._auth.username is not None:
            headers["Authorization"] = self._token or self._authenticate(url)
        r = self._http.post(url + path, json=body, timeout=self.timeout, headers=headers)
        data: dict[str, Any] = r.json() if r.content else {}
        if r.status_code >= 400:
            message = data.get("error") or data.get("message") or r.text[:200]
            if r.status_code >= 500 or r.status_code == 408 or "leader" in str(message):
                # no quorum, electing, or the member is shutting down: another may answer
                raise requests.ConnectionError(f"etcd {r.status_code}: {message}")
            raise ProviderError(f"etcd {url}{path}: HTTP {r.status_code}: {message}")
        return data

    def _authenticate(self, url: str) -> str:
        password = self._auth.password.get_secret_value() if self._auth.password else ""
        r = self._http.post(url + "/v3/auth/authenticate", timeout=self.timeout,
                            json={"name": self._auth.username, "password": password})
        if r.status_code != 200:
            raise ProviderError(f"etcd {url}: authentication as {self._auth.username} refused "
                                f"(HTTP {r.status_code})")
        self._token = str(r.json().get("token", ""))
        return self._token

    # -- kv -----------------------------------------------------------------------------
    def get(self, key: str) -> KeyValue | None:
        kvs = self.call("/v3/kv/range", {"key": b64(key)}).get("kvs", [])
        return KeyValue.parse(kvs[0]) if kvs else None

    def get_prefix(self, prefix: str, newest_first: int = 0) -> list[KeyValue]:
        """Every key below `prefix`; or (newest_first=N) the last N by key."""
        body: dict[str, Any] = {"key": b64(prefix), "range_end": range_end(prefix)}
        if newest_first:
            body.update(limit=str(newest_first), sort_order="DESCEND", sort_target="KEY")
        return [KeyValue.parse(kv) for kv in self.call("/v3/kv/range", body).get("kvs", [])]

    def put(self, key: str, value: bytes, lease: int = 0) -> int:
        body: dict[str, Any] = {"key": b64(key), "value": b64(value)}
        if lease:
            body["lease"] = str(lease)
        return int(self.call("/v3/kv/put", body)["header"].get("revision", 0))

    def delete(self, key: str) -> None:
        self.call("/v3/kv/deleterange", {"key": b64(key)})

    def txn(self, compare: list[dict[str, Any]], success: list[dict[str, Any]],
            failure: list[dict[str, Any]] | None = None) -> tuple[bool, dict[str, Any]]:
        """One transaction: (did every compare hold, the reply). Retried on another member:
        callers make their compares so that a repeat is harmless."""
        reply = self.call("/v3/kv/txn", {"compare": compare, "success": success,
                                         "failure": failure or []})
        return bool(reply.get("succeeded")), reply

    # -- leases -------------------------------------------------------------------------
    def grant(self, ttl: float) -> int:
        reply = self.call("/v3/lease/grant", {"TTL": str(max(1, round(ttl)))}, retry=False)
        return int(reply["ID"])

    def keepalive(self, lease: int) -> int:
        """Renew `lease`; its TTL left (0: the lease is gone)."""
        reply = self.call("/v3/lease/keepalive", {"ID": str(lease)})
        return int(reply.get("result", {}).get("TTL", 0))

    def revoke(self, lease: int) -> None:
        self.call("/v3/lease/revoke", {"ID": str(lease)})

    # -- cluster ------------------------------------------------------------------------
    def members(self) -> list[dict[str, Any]]:
        """Every member with `health`: the status it answered, or None when it did not."""
        found = self.call("/v3/cluster/member/list", {}).get("members", [])
        out = []
        for m in found:
            status = None
            for url in m.get("clientURLs", []):
                try:
                    status = self._post(url, "/v3/maintenance/status", {})
                    break
                except (requests.RequestException, ProviderError):
                    continue
            out.append({"name": m.get("name", ""), "id": m.get("ID", ""),
                        "urls": m.get("clientURLs", []), "status": status})
        return out


def put_op(key: str, value: bytes, lease: int = 0) -> dict[str, Any]:
    op: dict[str, Any] = {"key": b64(key), "value": b64(value)}
    if lease:
        op["lease"] = str(lease)
    return {"request_put": op}


def create_revision_is(key: str, revision: int) -> dict[str, Any]:
    """A compare: `key`'s create revision is `revision` (0: the key does not exist)."""
    return {"key": b64(key), "target": "CREATE", "result": "EQUAL",
            "create_revision": str(revision)}


def mod_revision_is(key: str, revision: int) -> dict[str, Any]:
    return {"key": b64(key), "target": "MOD", "result": "EQUAL", "mod_revision": str(revision)}
