"""BIND 9 (named) with TSIG-protected dynamic zones, on 127.0.0.1 (RECIPE section 4)."""

from __future__ import annotations

import base64
import logging
import secrets
import socket
from pathlib import Path

import dns.exception
import dns.message
import dns.query
import dns.rcode
import dns.rdatatype
import dns.tsig
import dns.tsigkeyring
import dns.update

from .daemon import Daemon
from .pdns import port_free
from .proc import RigError

log = logging.getLogger(__name__)

NAMED = "/usr/sbin/named"
Records = dict[tuple[str, str], tuple[int, list[str]]]  # (name, type) -> (ttl, values)


class BindController(Daemon):
    """named -g on 127.0.0.1:`port`; `zones` are primary zones updatable with `key_name`."""

    def __init__(self, directory: Path, log_path: Path, port: int, zones: list[str]) -> None:
        super().__init__("named", log_path)
        self.dir = directory
        self.port = port
        self.address = "127.0.0.1"
        self.zones = [z if z.endswith(".") else z + "." for z in zones]
        self.key_name = "failover-key"
        self.algorithm = "hmac-sha256"
        self.secret = base64.b64encode(secrets.token_bytes(32)).decode()

    @property
    def server(self) -> str:
        return f"{self.address}:{self.port}"

    def prepare(self) -> None:
        for kind in (socket.SOCK_DGRAM, socket.SOCK_STREAM):
            if not port_free(self.address, self.port, kind):
                raise RigError(f"named: port {self.port} on 127.0.0.1 is already in use")
        self.dir.mkdir(parents=True, exist_ok=True)
        zones = []
        for zone in self.zones:
            path = self.dir / f"{zone}zone"
            path.write_text(f"$TTL 60\n@ IN SOA ns1.{zone} hostmaster.{zone} 1 3600 600 86400 60\n"
                            f"@ IN NS ns1.{zone}\nns1 IN A 127.0.0.1\n")
            path.with_name(path.name + ".jnl").unlink(missing_ok=True)
            zones.append(f'zone "{zone.rstrip(".")}" {{\n    type primary;\n    file "{path}";\n'
                         f'    allow-update {{ key "{self.key_name}"; }};\n}};\n')
        (self.dir / "named.conf").write_text(
            f'key "{self.key_name}" {{\n    algorithm {self.algorithm};\n'
            f'    secret "{self.secret}";\n}};\n'
            "options {\n"
            f'    directory "{self.dir}";\n    pid-file "{self.dir}/named.pid";\n'
            f'    session-keyfile "{self.dir}/session.key";\n'
            f'    managed-keys-directory "{self.dir}";\n'
            f"    listen-on port {self.port} {{ 127.0.0.1; }};\n    listen-on-v6 {{ none; }};\n"
            "    recursion no;\n    dnssec-validation no;\n    notify no;\n};\n"
            "controls { };\n" + "".join(zones))

    def argv(self) -> list[str]:
        return [NAMED, "-g", "-c", str(self.dir / "named.conf")]

    def is_accessible(self) -> bool:
        try:
            r = dns.query.udp(dns.message.make_query(self.zones[0], "SOA"), self.address,
                              port=self.port, timeout=0.5)
        except (dns.exception.DNSException, OSError):
            return False
        return r.rcode() == dns.rcode.NOERROR

    def keyring(self) -> dict[dns.name.Name, dns.tsig.Key]:
        return dns.tsigkeyring.from_text({self.key_name: (self.algorithm, self.secret)})

    def set_records(self, zone: str, records: Records,
                    delete: tuple[tuple[str, str], ...] = ()) -> None:
        """Replace (or delete) rrsets with one signed UPDATE, as an operator's tool would."""
        update = dns.update.UpdateMessage(zone, keyring=self.keyring(), keyname=self.key_name)
        for (name, rtype), (ttl, values) in records.items():
            update.replace(name, ttl, rtype, *values)
        for name, rtype in delete:
            update.delete(name, rtype)
        r = dns.query.tcp(update, self.address, port=self.port, timeout=5)
        if r.rcode() != dns.rcode.NOERROR:
            raise RigError(f"named UPDATE {zone}: {dns.rcode.to_text(r.rcode())}")

    def query(self, name: str, rdtype: str = "A") -> list[str]:
        r = dns.query.udp(dns.message.make_query(name, rdtype), self.address, port=self.port,
                          timeout=2)
        want = dns.rdatatype.from_text(rdtype)
        return sorted(rd.to_text() for rrset in r.answer if rrset.rdtype == want for rd in rrset)
