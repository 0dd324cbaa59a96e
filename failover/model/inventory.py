"""The inventory: one site, its hosts, DNS zones, checks, policy, sync sets, playbooks, notifiers.

Frozen models (model/types.py); unknown keys are errors, and each error carries a location that
config/ turns into file:line:column through the YAML marks (model/coerce.py). Values are already
expanded (`${VAR}`) and relative paths already resolved against the inventory's folder when they
get here. Cross-references (a record naming an unknown host) are checked in config/validate.py,
which knows the marks.
"""

import re
from pathlib import Path
from typing import Annotated, Literal

import msgspec

from failover.model.base import Model
from failover.model.types import (
    After,
    Cidr,
    Duration,
    Fqdn,
    IPv4,
    IPv6,
    Meta,
    Name,
    Port,
    Secret,
    Tag,
)


class HostSsh(Model):
    """How failover logs in to a host: key only, host key always verified."""

    user: Annotated[str, Meta(description="login user (e.g. deploy)")] = "root"
    port: Port = 22
    identity: Annotated[Path | None, Meta(
        description="private key file without a passphrase; relative to the inventory")] = None


class Host(Model):
    """A machine that can serve the site. The first host is the preferred primary."""

    provider: Annotated[str | None, Meta(
        description="the hoster's name, a label: lint warns when two hosts share one")] = None
    address: Annotated[IPv4, Meta(
        description="checked directly (never through DNS); the value of managed A records")]
    address6: Annotated[IPv6 | None, Meta(
        description="the value of managed AAAA records")] = None
    ssh: Annotated[HostSsh | None, Meta(
        description="needed for sync, ssh steps and ssh/command checks")] = None
    networks: Annotated[list[Cidr], Meta(
        description="the hoster's networks, for the blast-radius lint")] = []
    vars: Annotated[dict[Name, str], Meta(
        description="override `vars` in playbook steps acting on this host")] = {}


class SshSettings(Model):
    """SSH for every host. Host keys are always verified; an unknown key stops the run."""

    known_hosts: Annotated[Path, Meta(
        description="holds every host's key (checked when the inventory is read)")]
    connect_timeout: Annotated[Duration, Meta(description="per connection attempt")] = 10.0


RecordType = Literal["A", "AAAA", "MX", "CNAME", "TXT"]


class Record(Model):
    """A managed rrset. Without `values`, A follows host.address and AAAA host.address6."""

    name: Annotated[str, Meta(description="`@` for the zone apex, `www`, or a full name")]
    type: RecordType
    ttl: Annotated[int, Meta(ge=1, le=604800, description="seconds; keep it low (60)")] = 60
    values: Annotated[dict[Name, str | list[str]] | None, Meta(
        description="the record's value(s) per host; required except for A/AAAA")] = None


def _nameservers(value: list[str]) -> list[str]:
    for ns in value:
        host, _, port = ns.rpartition(":") if ns.count(":") == 1 else (ns, "", "")
        if not (host or ns) or (port and not (port.isdigit() and 1 <= int(port) <= 65535)):
            raise ValueError(f"{ns!r} is not host[:port] (e.g. 127.0.0.1:5353)")
    return value


class ZoneBase(Model):
    zone: Annotated[Fqdn, Meta(description="the zone's name, e.g. shop.example.")]
    records: Annotated[list[Record], Meta(
        min_length=1, description="the records a flip changes")]
    nameservers: Annotated[list[str], After(_nameservers), Meta(
        description="host[:port] list dns_verify asks; default: the zone's NS set")] = []


class PowerDnsZone(ZoneBase):
    provider: Literal["powerdns"]
    api_url: Annotated[str, Meta(description="the API's base URL, e.g. http://127.0.0.1:8081")]
    api_key: Annotated[Secret, Meta(description="write ${PDNS_API_KEY}, never the key")]
    server_id: str = "localhost"
    timeout: Annotated[Duration, Meta(description="per API request")] = 10.0


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


class Route53Zone(ZoneBase):
    """Amazon Route 53; credentials from boto3's chain (profile, environment, instance role)."""

    provider: Literal["route53"]
    hosted_zone_id: Annotated[str | None, Meta(
        description="default: found by the zone's name")] = None
    profile: Annotated[str | None, Meta(
        description="an AWS profile; default: boto3's usual credential chain")] = None
    endpoint_url: Annotated[str | None, Meta(description="another API endpoint")] = None
    region: str = "us-east-1"
    timeout: Annotated[Duration, Meta(description="per API request")] = 10.0
    sync_timeout: Annotated[Duration, Meta(
        description="how long to wait for a change to be INSYNC")] = 300.0


_LEXICON_SECRET_HINTS = ("auth", "token", "secret", "password", "key")
LexiconValue = str | int | bool  # as written; credential-looking strings become Secret


def _lexicon(value: dict[str, LexiconValue]) -> dict[str, LexiconValue | Secret]:
    if not isinstance(value.get("provider"), str) or not value["provider"]:
        raise ValueError("needs `provider:` (a dns-lexicon provider name, e.g. ovh)")
    # credentials are masked everywhere (repr, --json, audit): a Secret prints ***
    return {k: Secret(v) if isinstance(v, str) and k != "provider"
            and any(h in k.lower() for h in _LEXICON_SECRET_HINTS) else v
            for k, v in value.items()}


class LexiconZone(ZoneBase):
    """Any dns-lexicon provider: `lexicon: {provider: ovh, auth_...: ...}`. Not atomic."""

    provider: Literal["lexicon"]
    lexicon: Annotated[dict[str, LexiconValue], After(_lexicon), Meta(
        description="dns-lexicon's settings: provider, auth_...; credentials are masked")]
    timeout: Annotated[Duration, Meta(description="per API request")] = 30.0


DnsZone = Annotated[PowerDnsZone | Rfc2136Zone | Route53Zone | LexiconZone, Tag("provider")]


Severity = Literal["critical", "warning"]


class CheckBase(Model):
    """What every check type has: a name, a time limit, immediate retries and a severity.

    `retries`: extra attempts within the same round before the result counts as failed (a lost
    packet is not an outage). `severity: warning`: a failing check is reported (WARNING) but never
    makes a host down.
    """

    name: Annotated[Name, Meta(description="unique; playbooks' check steps name it")]
    timeout: Annotated[Duration, Meta(description="per attempt")] = 5.0
    retries: Annotated[int, Meta(
        ge=0, le=10, description="extra attempts in the same round before it fails")] = 0
    severity: Annotated[Severity, Meta(
        description="warning: reported (exit 1), never makes a host down")] = "critical"


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
    headers: dict[str, str] = {}
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


class TcpCheck(CheckBase):
    type: Literal["tcp"]
    port: Annotated[Port, Meta(description="passes when a connection is accepted")]


class SmtpCheck(CheckBase):
    """220 banner, EHLO answered; with `starttls`, STARTTLS offered and the TLS handshake verified
    against `tls_name` (and `ca_file`, or the system CAs)."""

    type: Literal["smtp"]
    port: Port = 25
    starttls: bool = False
    tls_name: Annotated[str | None, Meta(
        description="the name the certificate must carry; needs starttls")] = None
    ca_file: Annotated[Path | None, Meta(description="default: the system's CAs")] = None

    def __post_init__(self) -> None:
        if self.starttls and not self.tls_name:
            raise ValueError("starttls: true needs tls_name (the name on the server's "
                             "certificate, e.g. mx.shop.example)")
        if not self.starttls and (self.tls_name or self.ca_file):
            raise ValueError("tls_name and ca_file need starttls: true")


class DnsCheck(CheckBase):
    """Ask a DNS server for `query`/`record_type`; pass when it answers and holds `expect`."""

    type: Literal["dns"]
    query: Annotated[str, Meta(description="the name to ask for")]
    record_type: str = "A"
    expect: Annotated[list[str], Meta(
        description="values the answer must hold; empty: any answer passes")] = []
    server: Annotated[str | None, Meta(
        description="host[:port] to ask; default: the checked host's address")] = None
    port: Port = 53


class SshCheck(CheckBase):
    """SSH handshake with the host key from `ssh.known_hosts`, and key login (hosts.*.ssh)."""

    type: Literal["ssh"]


class CommandCheck(CheckBase):
    """Run `command` (an argv list) on the host over SSH; pass on exit status 0."""

    type: Literal["command"]
    command: Annotated[list[str], Meta(
        min_length=1, description="an argv list, run over SSH; exit 0 passes")]


Check = Annotated[HttpCheck | TcpCheck | SmtpCheck | DnsCheck | SshCheck | CommandCheck,
                  Tag("type")]


class Policy(Model):
    """When automation acts. Without `auto_failover: true` a person decides every failover."""

    failure_threshold: Annotated[int, Meta(
        ge=1, description="failed rounds in a row before a host is down")] = 3
    recovery_threshold: Annotated[int, Meta(
        ge=1, description="passed rounds in a row before a down host counts as up")] = 5
    cooldown: Annotated[Duration, Meta(
        description="no automatic flip within this time of the last flip")] = 1800.0
    auto_failover: Annotated[bool, Meta(
        description="true: check and watch fail over without asking (the consent)")] = False
    auto_failback: Annotated[bool, Meta(
        description="true: move back to the preferred host once it recovered")] = False
    max_auto_failovers: Annotated[int, Meta(
        ge=0, description="automatic flips per window; past it a person is paged")] = 1
    auto_failover_window: Annotated[Duration, Meta(
        description="the window max_auto_failovers counts in")] = 86400.0
    preferred: Annotated[Name | None, Meta(
        description="where failback goes; default: the first host")] = None


class SyncSet(Model):
    """A tree of content kept in the orchestrator's mirror and pushed to the standbys."""

    name: Name
    path: Annotated[str | dict[Name, str], Meta(
        description="absolute; the same on every host, or one per host")]
    exclude: Annotated[list[str], Meta(
        description="rsync patterns: name, *.log, dir/, a/b")] = []
    max_delete: Annotated[int, Meta(
        ge=0, description="a sync that would delete more files stops before any change")] = 200
    max_delete_percent: Annotated[int, Meta(ge=0, le=100, description=(
        "a pull that would delete more than this share of the mirror's files stops before any "
        "change (counted when the mirror holds 10 files or more; 100: no share limit)"))] = 25
    keep_snapshots: Annotated[int, Meta(ge=1, description=(
        "good pulls the mirror keeps (unchanged files hard-linked); pushes read the newest"))] = 3
    atomic: Annotated[bool, Meta(
        description="publish whole releases behind a symlink (path becomes the link)")] = False
    max_age: Annotated[Duration | None, Meta(
        description="a standby whose copy is older is stale (WARNING, failover refused)")] = None
    keep_releases: Annotated[int, Meta(ge=2, description="releases kept (atomic sets)")] = 5
    transport: Annotated[Literal["auto", "rsync", "sftp"], Meta(
        description="auto: SFTP when a host lacks rsync")] = "auto"
    bwlimit: Annotated[Annotated[int, Meta(ge=1)] | None, Meta(
        description="KiB/s per transfer")] = None
    io_timeout: Annotated[Duration, Meta(
        description="no data for this long ends a transfer")] = 60.0

    def path_on(self, host: str) -> str:
        path = self.path if isinstance(self.path, str) else self.path[host]
        return path if path.endswith("/") else path + "/"


class WebhookNotify(Model):
    """POST a JSON message ({"text", "site", "event"}) to a chat or paging webhook."""

    type: Literal["webhook"]
    url: Annotated[Secret, Meta(description="write ${CHAT_WEBHOOK}: its path is a secret")]
    timeout: Duration = 10.0


Notifier = Annotated[WebhookNotify, Tag("type")]


def _targets(value: list[str]) -> list[str]:
    for target in value:
        if not target.startswith("tcp://") or target.rpartition(":")[2].isdigit() is False:
            raise ValueError(f"{target!r} is not tcp://HOST:PORT (e.g. tcp://9.9.9.9:53)")
    return value


class Inventory(Model):
    """The site one inventory protects. Unknown keys are errors; `${VAR}` reads the
    environment; relative paths are relative to the inventory file."""

    site: Annotated[str, Meta(description="the shop's name, in messages and notifications")]
    path: Path  # the inventory file itself; set by the loader
    state_dir: Annotated[Path, Meta(
        description="state, audit log, journals, mirror and lock (default .failover)")]
    hosts: Annotated[dict[Name, Host], Meta(
        min_length=2, description="in priority order: the first is the preferred primary")]
    ssh: Annotated[SshSettings, Meta(description="how failover reaches every host")]
    dns: Annotated[list[DnsZone], Meta(
        min_length=1, description="zones a flip changes, all or none")]
    checks: Annotated[list[Check], Meta(
        min_length=1, description="run against every host's own address each round")]
    control_targets: Annotated[list[str], After(_targets), Meta(
        description="tcp://HOST:PORT the checker reaches when it is online itself")] = []
    policy: Annotated[Policy, Meta(description="when automation acts")] = \
        msgspec.field(default_factory=Policy)
    sync: Annotated[list[SyncSet], Meta(description="content kept warm on the standbys")] = []
    playbooks: Annotated[dict[Name, Path], Meta(
        description="name -> file: failover, failback and your own")] = {}
    notify: Annotated[list[Notifier], Meta(description="where people hear about it")] = []
    vars: Annotated[dict[Name, str], Meta(
        description="{{ name }} values for playbooks")] = {}

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
