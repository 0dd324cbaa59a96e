"""The inventory: one site, its hosts, DNS zones, checks, policy, sync sets, playbooks, notifiers.

Pydantic v2 models with `extra="forbid"`: unknown keys are errors, and each error carries a location
that config/ turns into file:line:column through the YAML marks. Values are already expanded
(`${VAR}`) and relative paths already resolved against the inventory's folder when they get here.
Cross-references (a record naming an unknown host) are checked in config/validate.py, which knows
the marks.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Annotated, Literal

from pydantic import BaseModel, Field, SecretStr, field_validator, model_validator

from failover.model.types import STRICT, Cidr, Duration, Fqdn, IPv4, IPv6, Name, Port


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
    networks: list[Cidr] = []  # the hoster's networks, for the blast-radius lint


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


TsigAlgorithm = Literal["hmac-sha256", "hmac-sha384", "hmac-sha512", "hmac-sha224",
                       "hmac-sha1", "hmac-md5"]


class Tsig(Model):
    """A TSIG key: the secret inline (from `${VAR}`) or in `secret_file` (base64, as tsig-keygen
    prints it, or a whole `key "name" {...};` file)."""

    name: str
    algorithm: TsigAlgorithm = "hmac-sha256"
    secret: SecretStr | None = None
    secret_file: Path | None = None

    @model_validator(mode="after")
    def _one_secret(self) -> Tsig:
        if (self.secret is None) == (self.secret_file is None):
            raise ValueError("give exactly one of `secret` (e.g. \"${TSIG_SECRET}\") or "
                             "`secret_file`")
        return self


class Rfc2136Zone(ZoneBase):
    """Dynamic UPDATE (RFC 2136) over TCP to `server` ("host[:port]"), signed with `tsig`."""

    provider: Literal["rfc2136"]
    server: str
    tsig: Tsig
    timeout: Duration = 10.0


class Route53Zone(ZoneBase):
    """Amazon Route 53; credentials from boto3's chain (profile, environment, instance role)."""

    provider: Literal["route53"]
    hosted_zone_id: str | None = None
    profile: str | None = None
    endpoint_url: str | None = None
    region: str = "us-east-1"
    timeout: Duration = 10.0
    sync_timeout: Duration = 300.0  # how long to wait for a change to be INSYNC


_LEXICON_SECRET_HINTS = ("auth", "token", "secret", "password", "key")


class LexiconZone(ZoneBase):
    """Any dns-lexicon provider: `lexicon: {provider: ovh, auth_...: ...}`. Not atomic."""

    provider: Literal["lexicon"]
    lexicon: dict[str, str | int | bool | SecretStr]
    timeout: Duration = 30.0

    @field_validator("lexicon")
    @classmethod
    def _settings(cls, value: dict[str, str | int | bool | SecretStr]
                  ) -> dict[str, str | int | bool | SecretStr]:
        if not isinstance(value.get("provider"), str) or not value["provider"]:
            raise ValueError("needs `provider:` (a dns-lexicon provider name, e.g. ovh)")
        # credentials are masked everywhere (repr, --json, audit): SecretStr prints ***
        return {k: SecretStr(v) if isinstance(v, str) and k != "provider"
                and any(h in k.lower() for h in _LEXICON_SECRET_HINTS) else v
                for k, v in value.items()}


DnsZone = Annotated[PowerDnsZone | Rfc2136Zone | Route53Zone | LexiconZone,
                    Field(discriminator="provider")]


Severity = Literal["critical", "warning"]


class CheckBase(Model):
    """What every check type has: a name, a time limit, immediate retries and a severity.

    `retries`: extra attempts within the same round before the result counts as failed (a lost
    packet is not an outage). `severity: warning`: a failing check is reported (WARNING) but never
    makes a host down.
    """

    name: Name
    timeout: Duration = 5.0
    retries: int = Field(default=0, ge=0, le=10)
    severity: Severity = "critical"


class HttpCheck(CheckBase):
    """GET `url` from the host's own address, with the URL's name as Host header and TLS SNI."""

    type: Literal["http"]
    url: str
    expect_status: list[int | str] = Field(default=[200], min_length=1)  # 200, "2xx", "200-299"
    expect_body: str | None = None
    expect_regex: str | None = None  # searched in the first 64 KiB of the body
    max_latency: Duration | None = None  # slower than this = failed
    headers: dict[str, str] = {}
    follow_redirects: bool = False  # off: a 301 is the answer (list it in expect_status)
    ca_file: Path | None = None
    cert_min_days: int = Field(default=14, ge=0)  # a certificate expiring sooner = WARNING

    @field_validator("url")
    @classmethod
    def _url(cls, value: str) -> str:
        if not value.startswith(("http://", "https://")):
            raise ValueError(f"{value!r} is not an http:// or https:// URL")
        return value

    @field_validator("expect_status")
    @classmethod
    def _statuses(cls, value: list[int | str]) -> list[int | str]:
        for item in value:
            status_range(item)
        return value

    @field_validator("expect_regex")
    @classmethod
    def _regex(cls, value: str | None) -> str | None:
        if value is not None:
            try:
                re.compile(value)
            except re.error as exc:
                raise ValueError(f"{value!r} is not a regular expression: {exc}") from None
        return value

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


class TcpCheck(CheckBase):
    type: Literal["tcp"]
    port: Port


class SmtpCheck(CheckBase):
    """220 banner, EHLO answered; with `starttls`, STARTTLS offered and the TLS handshake verified
    against `tls_name` (and `ca_file`, or the system CAs)."""

    type: Literal["smtp"]
    port: Port = 25
    starttls: bool = False
    tls_name: str | None = None  # the name the server's certificate must carry; needs starttls
    ca_file: Path | None = None

    @model_validator(mode="after")
    def _tls(self) -> SmtpCheck:
        if self.starttls and not self.tls_name:
            raise ValueError("starttls: true needs tls_name (the name on the server's "
                             "certificate, e.g. mx.shop.example)")
        if not self.starttls and (self.tls_name or self.ca_file):
            raise ValueError("tls_name and ca_file need starttls: true")
        return self


class DnsCheck(CheckBase):
    """Ask a DNS server for `query`/`record_type`; pass when it answers and holds `expect`."""

    type: Literal["dns"]
    query: str
    record_type: str = "A"
    expect: list[str] = []  # every value must be in the answer (empty: any answer passes)
    server: str | None = None  # "host[:port]"; default: the checked host's address
    port: Port = 53


class SshCheck(CheckBase):
    """SSH handshake with the host key from `ssh.known_hosts`, and key login (hosts.*.ssh)."""

    type: Literal["ssh"]


class CommandCheck(CheckBase):
    """Run `command` (an argv list) on the host over SSH; pass on exit status 0."""

    type: Literal["command"]
    command: list[str] = Field(min_length=1)


Check = Annotated[
    HttpCheck | TcpCheck | SmtpCheck | DnsCheck | SshCheck | CommandCheck,
    Field(discriminator="type"),
]


class Policy(Model):
    failure_threshold: int = Field(default=3, ge=1)
    recovery_threshold: int = Field(default=5, ge=1)
    cooldown: Duration = 1800.0
    auto_failover: bool = True
    auto_failback: bool = False
    # automatic flips allowed per window; past it a person is paged and must act
    max_auto_failovers: int = Field(default=1, ge=0)
    auto_failover_window: Duration = 86400.0
    preferred: Name | None = None  # where `failback` goes; default: the first host


class SyncSet(Model):
    name: Name
    path: str | dict[Name, str]
    exclude: list[str] = []
    max_delete: int = Field(default=200, ge=0)
    atomic: bool = False
    # issue 4: freshness gate, releases kept, transport, bandwidth and I/O timeout
    max_age: Duration | None = None  # a standby whose last good push is older is stale
    keep_releases: int = Field(default=5, ge=2)
    transport: Literal["auto", "rsync", "sftp"] = "auto"  # auto: sftp when a host lacks rsync
    bwlimit: int | None = Field(default=None, ge=1)  # KiB/s per transfer (rsync --bwlimit)
    io_timeout: Duration = 60.0  # no data for this long ends a transfer (rsync --timeout)

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
