"""The inventory: one site, its hosts, DNS zones, checks, policy, sync sets, playbooks, notifiers.

Pydantic v2 models with `extra="forbid"`: unknown keys are errors, and each error carries a location
that config/ turns into file:line:column through the YAML marks. Values are already expanded
(`${VAR}`) and relative paths already resolved against the inventory's folder when they get here.
Cross-references (a record naming an unknown host) are checked in config/validate.py, which knows
the marks.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Literal

from pydantic import BaseModel, Field, SecretStr, field_validator

from failover.model.types import STRICT, Duration, Fqdn, IPv4, IPv6, Name, Port


class Model(BaseModel):
    model_config = STRICT


class HostSsh(Model):
    user: str = "root"
    port: Port = 22
    identity: Path | None = None


class Host(Model):
    provider: str | None = None
    address: IPv4
    address6: IPv6 | None = None
    ssh: HostSsh | None = None


class SshSettings(Model):
    known_hosts: Path
    connect_timeout: Duration = 10.0


RecordType = Literal["A", "AAAA", "MX", "CNAME", "TXT"]


class Record(Model):
    """A managed rrset. Without `values`, A follows host.address and AAAA host.address6."""

    name: str
    type: RecordType
    ttl: int = Field(default=60, ge=1, le=604800)
    values: dict[Name, str | list[str]] | None = None


class ZoneBase(Model):
    zone: Fqdn
    nameservers: list[str] = []
    records: list[Record] = Field(min_length=1)

    @field_validator("nameservers")
    @classmethod
    def _nameservers(cls, value: list[str]) -> list[str]:
        for ns in value:
            host, _, port = ns.rpartition(":") if ns.count(":") == 1 else (ns, "", "")
            if not (host or ns) or (port and not (port.isdigit() and 1 <= int(port) <= 65535)):
                raise ValueError(f"{ns!r} is not host[:port] (e.g. 127.0.0.1:5353)")
        return value


class PowerDnsZone(ZoneBase):
    provider: Literal["powerdns"]
    api_url: str
    api_key: SecretStr
    server_id: str = "localhost"
    timeout: Duration = 10.0


DnsZone = Annotated[PowerDnsZone, Field(discriminator="provider")]


class CheckBase(Model):
    name: Name
    timeout: Duration = 5.0


class HttpCheck(CheckBase):
    """GET `url` from the host's own address, with the URL's name as Host header and TLS SNI."""

    type: Literal["http"]
    url: str
    expect_status: list[int] = [200]
    expect_body: str | None = None
    ca_file: Path | None = None

    @field_validator("url")
    @classmethod
    def _url(cls, value: str) -> str:
        if not value.startswith(("http://", "https://")):
            raise ValueError(f"{value!r} is not an http:// or https:// URL")
        return value


class TcpCheck(CheckBase):
    type: Literal["tcp"]
    port: Port


Check = Annotated[HttpCheck | TcpCheck, Field(discriminator="type")]


class Policy(Model):
    failure_threshold: int = Field(default=3, ge=1)
    recovery_threshold: int = Field(default=5, ge=1)
    cooldown: Duration = 1800.0
    auto_failover: bool = True
    auto_failback: bool = False


class SyncSet(Model):
    name: Name
    path: str | dict[Name, str]
    exclude: list[str] = []
    max_delete: int = Field(default=200, ge=0)
    atomic: bool = False

    def path_on(self, host: str) -> str:
        path = self.path if isinstance(self.path, str) else self.path[host]
        return path if path.endswith("/") else path + "/"


class WebhookNotify(Model):
    type: Literal["webhook"]
    url: SecretStr
    timeout: Duration = 10.0


Notifier = Annotated[WebhookNotify, Field(discriminator="type")]


class Inventory(Model):
    site: str
    path: Path  # the inventory file itself; set by the loader
    state_dir: Path
    hosts: dict[Name, Host] = Field(min_length=2)
    ssh: SshSettings
    dns: list[DnsZone] = Field(min_length=1)
    checks: list[Check] = Field(min_length=1)
    control_targets: list[str] = []
    policy: Policy = Policy()
    sync: list[SyncSet] = []
    playbooks: dict[Name, Path] = {}
    notify: list[Notifier] = []
    vars: dict[Name, str] = {}

    @field_validator("control_targets")
    @classmethod
    def _targets(cls, value: list[str]) -> list[str]:
        for target in value:
            if not target.startswith("tcp://") or target.rpartition(":")[2].isdigit() is False:
                raise ValueError(f"{target!r} is not tcp://HOST:PORT (e.g. tcp://9.9.9.9:53)")
        return value

    def host_order(self) -> list[str]:
        return list(self.hosts)

    def sync_set(self, name: str) -> SyncSet:
        for s in self.sync:
            if s.name == name:
                return s
        raise KeyError(name)

    def check_named(self, name: str) -> Check:
        for c in self.checks:
            if c.name == name:
                return c
        raise KeyError(name)
