"""PowerDNS Authoritative (gsqlite3 backend) with its HTTP API, on 127.0.0.1 (RECIPE 3)."""

from __future__ import annotations

import contextlib
import logging
import secrets
import socket
import sqlite3
from pathlib import Path
from typing import Any

import dns.exception
import dns.message
import dns.query
import dns.rcode
import dns.rdatatype
import requests

from .daemon import Daemon
from .proc import RigError

log = logging.getLogger(__name__)

PDNS_SERVER = "/usr/sbin/pdns_server"
SCHEMA = Path("/usr/share/pdns-backend-sqlite3/schema/schema.sqlite3.sql")

Records = dict[tuple[str, str], tuple[int, list[str]]]  # (name, type) -> (ttl, contents)


def port_free(address: str, port: int, kind: socket.SocketKind) -> bool:
    """True if nothing is bound to (address, port) (TIME_WAIT leftovers don't count)."""
    with socket.socket(socket.AF_INET, kind) as s:
        if kind == socket.SOCK_STREAM:
            s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            s.bind((address, port))
        except OSError:
            return False
    return True


class PdnsController(Daemon):
    """pdns_server --config-dir=<rig>/pdns; DNS on dns_address:dns_port, API on api_port."""

    def __init__(
        self,
        directory: Path,
        log_path: Path,
        dns_port: int = 5353,
        api_port: int = 8081,
        api_key: str | None = None,
        dns_address: str = "127.0.0.1",
    ) -> None:
        super().__init__("pdns", log_path)
        self.dir = directory
        self.dns_address = dns_address
        self.dns_port = dns_port
        self.api_port = api_port
        self.api_key = api_key or secrets.token_hex(16)
        self.server_id = "localhost"
        self.database = directory / "pdns.sqlite3"

    @property
    def api_url(self) -> str:
        return f"http://127.0.0.1:{self.api_port}"

    @property
    def server_url(self) -> str:
        return f"{self.api_url}/api/v1/servers/{self.server_id}"

    def prepare(self) -> None:
        for port, kind in (
            (self.dns_port, socket.SOCK_DGRAM),
            (self.dns_port, socket.SOCK_STREAM),
            (self.api_port, socket.SOCK_STREAM),
        ):
            if not port_free(
                self.dns_address if port == self.dns_port else "127.0.0.1", port, kind
            ):
                proto = "udp" if kind == socket.SOCK_DGRAM else "tcp"
                raise RigError(
                    f"pdns: {proto} port {port} on 127.0.0.1 is already in use "
                    "(another rig or PowerDNS?); pick other ports"
                )
        self.dir.mkdir(parents=True, exist_ok=True)
        (self.dir / "pdns.conf").write_text(
            "\n".join(
                [
                    "launch=gsqlite3",
                    f"gsqlite3-database={self.database}",
                    f"local-address={self.dns_address}",
                    f"local-port={self.dns_port}",
                    f"socket-dir={self.dir}",
                    "api=yes",
                    f"api-key={self.api_key}",
                    "webserver=yes",
                    "webserver-address=127.0.0.1",
                    f"webserver-port={self.api_port}",
                    "webserver-allow-from=127.0.0.1/32",
                    "default-soa-content=ns1.@ hostmaster.@ 0 10800 3600 604800 3600",
                    "security-poll-suffix=",
                    # no caches: a zone a test re-creates answers at once, whatever an earlier
                    # test (on this rig, seconds before) was told about its names
                    "cache-ttl=0",
                    "negquery-cache-ttl=0",
                    "query-cache-ttl=0",
                    "daemon=no",
                    "guardian=no",
                    "disable-syslog=yes",
                    "loglevel=4",
                    "",
                ]
            )
        )
        if not self.database.exists():  # keep zones across stop()/start()
            with contextlib.closing(sqlite3.connect(self.database)) as db:
                db.executescript(SCHEMA.read_text())
                db.commit()

    def argv(self) -> list[str]:
        return [PDNS_SERVER, f"--config-dir={self.dir}"]

    def is_accessible(self) -> bool:
        try:
            with requests.Session() as s:
                s.trust_env = False
                r = s.get(self.server_url, headers={"X-API-Key": self.api_key}, timeout=1)
                return r.status_code == 200
        except requests.RequestException:
            return False

    # -- API -----------------------------------------------------------------------------
    def api(
        self, method: str, path: str, json: Any = None, ok: tuple[int, ...] = (200, 201, 204)
    ) -> Any:
        """Call ``<server_url><path>``; returns decoded JSON (None for an empty body)."""
        with requests.Session() as s:
            s.trust_env = False  # never a proxy: the API is on 127.0.0.1
            r = s.request(
                method,
                self.server_url + path,
                json=json,
                timeout=10,
                headers={"X-API-Key": self.api_key},
            )
        if r.status_code not in ok:
            raise RigError(f"pdns API {method} {path} -> {r.status_code}: {r.text.strip()}")
        return r.json() if r.content else None

    @staticmethod
    def absolute(name: str, zone: str) -> str:
        if name == "@":
            return zone
        return name if name.endswith(".") else f"{name}.{zone}"

    def rrsets(self, zone: str, records: Records, changetype: str = "REPLACE") -> list[Any]:
        return [
            {
                "name": self.absolute(name, zone),
                "type": rtype.upper(),
                "ttl": ttl,
                "changetype": changetype,
                "records": [{"content": c, "disabled": False} for c in contents],
            }
            for (name, rtype), (ttl, contents) in records.items()
        ]

    def create_zone(self, zone: str, records: Records | None = None) -> None:
        """Native zone with NS ns1.<zone> and an SOA, plus ``records``; replaces an old one."""
        if not zone.endswith("."):
            raise RigError(f"zone name must be canonical (trailing dot): {zone!r}")
        records = records or {}
        self.delete_zone(zone)
        has_ns = any(self.absolute(n, zone) == zone and t.upper() == "NS" for n, t in records)
        self.api(
            "POST",
            "/zones",
            {
                "name": zone,
                "kind": "Native",
                "nameservers": [] if has_ns else [f"ns1.{zone}"],
                "rrsets": self.rrsets(zone, records),
            },
            ok=(201,),
        )

    def delete_zone(self, zone: str) -> None:
        """Delete ``zone`` if it exists."""
        if zone in self.zones():
            self.api("DELETE", f"/zones/{zone}", ok=(204,))

    def zones(self) -> list[str]:
        return sorted(z["name"] for z in self.api("GET", "/zones"))

    def set_records(self, zone: str, records: Records) -> None:
        """PATCH (REPLACE) rrsets in an existing zone."""
        self.api("PATCH", f"/zones/{zone}", {"rrsets": self.rrsets(zone, records)}, ok=(204,))

    def get_zone(self, zone: str) -> Any:
        return self.api("GET", f"/zones/{zone}")

    # -- DNS -----------------------------------------------------------------------------
    def query_message(
        self, name: str, rdtype: str = "A", timeout: float = 2.0
    ) -> dns.message.Message:
        q = dns.message.make_query(name, rdtype)
        try:
            return dns.query.udp(q, self.dns_address, port=self.dns_port, timeout=timeout)
        except dns.exception.DNSException as exc:
            raise RigError(
                f"DNS query {name} {rdtype} to {self.dns_address}:{self.dns_port} failed: {exc!r}"
            ) from exc

    def query(self, name: str, rdtype: str = "A", timeout: float = 2.0) -> list[str]:
        """Sorted answer values; [] on NXDOMAIN, NOERROR/no answer or REFUSED (no such zone)."""
        r = self.query_message(name, rdtype, timeout)
        rcode = r.rcode()
        if rcode in (dns.rcode.NXDOMAIN, dns.rcode.REFUSED):
            return []
        if rcode != dns.rcode.NOERROR:
            raise RigError(f"DNS query {name} {rdtype}: rcode {dns.rcode.to_text(rcode)}")
        want = dns.rdatatype.from_text(rdtype)
        return sorted(rd.to_text() for rrset in r.answer if rrset.rdtype == want for rd in rrset)
