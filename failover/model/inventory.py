"""The inventory: one site, its hosts, DNS zones, checks, policy, sync sets, playbooks, notifiers.

Frozen models (model/types.py); unknown keys are errors, and each error carries a location that
config/ turns into file:line:column through the YAML marks (model/coerce.py). Values are already
expanded (`${VAR}`) and relative paths already resolved against the inventory's folder when they
get here. Cross-references (a record naming an unknown host) are checked in config/validate.py,
which knows the marks.

A DNS zone's and a check's own keys live beside their plug-in (`PowerDnsZone` in dns/powerdns.py,
`HttpCheck` in checks/http.py); here are their common bases and the `Plugin` markers that find
them through the plug-in package's registry when an inventory is read (model/types.py).
"""

from pathlib import Path
from typing import Annotated, Literal

import msgspec

from failover.model.base import Model
from failover.model.coordination import Coordination
from failover.model.policy import Policy as Policy  # re-exported: the inventory's own section
from failover.model.policy import Service
from failover.model.syncset import SyncSet
from failover.model.types import (
    After,
    Cidr,
    Duration,
    Fqdn,
    IPv4,
    IPv6,
    Meta,
    Name,
    Plugin,
    Port,
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
    role: Annotated[Literal["fallback"] | None, Meta(
        description="fallback: a last-resort \"back soon\" page (a third provider); never given "
                    "data or playbooks, it gets a service's records only while every real host "
                    "of the service is down")] = None


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
    service: Annotated[Name | None, Meta(
        description="the service whose flips change it (default: the first service)")] = None


def _nameservers(value: list[str]) -> list[str]:
    for ns in value:
        host, _, port = ns.rpartition(":") if ns.count(":") == 1 else (ns, "", "")
        if not (host or ns) or (port and not (port.isdigit() and 1 <= int(port) <= 65535)):
            raise ValueError(f"{ns!r} is not host[:port] (e.g. 127.0.0.1:5353)")
    return value


class ZoneBase(Model):
    """What every DNS provider's settings model has (the provider's own keys are in its module)."""

    zone: Annotated[Fqdn, Meta(description="the zone's name, e.g. shop.example.")]
    records: Annotated[list[Record], Meta(
        min_length=1, description="the records a flip changes")]
    nameservers: Annotated[list[str], After(_nameservers), Meta(
        description="host[:port] list dns_verify asks; default: the zone's NS set")] = []
    provider: str  # each provider's model narrows it to its own name (Literal)


# A zone is one provider's settings model, which lives beside the provider (dns/powerdns.py ...):
# `provider:` picks it through dns/registry.py, imported only when an inventory is read.
DnsZone = Annotated[ZoneBase, Plugin("provider", "failover.dns.registry")]


Severity = Literal["critical", "warning"]
Family = Literal["both", "ipv4", "ipv6"]


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
    service: Annotated[Name | None, Meta(
        description="the service it judges (default: the first service)")] = None
    fallback: Annotated[bool, Meta(
        description="true: probes the service's `role: fallback` host (its \"back soon\" page) "
                    "instead of the real hosts")] = False
    family: Annotated[Family, Meta(
        description="both: over IPv4 and, for a host with address6, IPv6 in the same round; "
                    "ipv4 or ipv6 narrows it")] = "both"
    type: str  # each check type's model narrows it to its own name (Literal)


# A check entry is one check type's settings model, beside the check (checks/http.py ...).
Check = Annotated[CheckBase, Plugin("type", "failover.checks.registry")]


# What a notify channel can subscribe to (`events:`); notify/events.py says when each is sent.
NotifyEvent = Literal[
    "host_down", "host_recovered", "failover_started", "failover_done", "failover_failed",
    "failover_rescued", "failback_started", "failback_done", "failback_failed",
    "failback_rescued", "auto_failover_blocked", "run_interrupted", "fencing_failed", "notify"]


class NotifyBase(Model):
    """What every notify channel has: the events it hears, a time limit per attempt, and how
    long failed attempts are retried (with backoff) before the message is owed to the next
    `check` round. A channel's own keys live beside it (notify/webhook.py, email.py, ...)."""

    events: Annotated[list[NotifyEvent], Meta(
        description="the events this channel hears (default: every event)")] = []
    timeout: Annotated[Duration, Meta(description="per attempt")] = 10.0
    deadline: Annotated[Duration, Meta(
        description="retry failed attempts with backoff for this long; then the message is "
                    "owed, and the next `check` round sends it")] = 60.0
    type: str  # each channel's model narrows it to its own name (Literal)

    def endpoints(self) -> list[str]:
        """URLs or host names the channel reaches (the blast-radius lint compares them)."""
        return []


# A notify entry is one channel type's settings model, beside the channel (notify/webhook.py ...).
Notifier = Annotated[NotifyBase, Plugin("type", "failover.notify.registry")]


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
    fence: Annotated[list[str], Meta(
        description="commands a `fence` step runs on the old host when it still answers "
                    "(maintenance page, stop order intake); {{ host }} and vars apply")] = []
    services: Annotated[dict[Name, Service], Meta(
        description="parts of the site that fail over on their own (web, mail); without it "
                    "everything is one service named \"site\"")] = {}
    service: str | None = None  # set by model/services.view: the service this view covers
    whole: "Inventory | None" = None  # set by model/services.view: the inventory it was cut from
    canary: Annotated[Fqdn | None, Meta(
        description="a record in a managed zone that rehearse --canary really flips to the "
                    "standby and puts back (e.g. failover-drill.shop.example.); no customer "
                    "uses it")] = None
    coordination: Annotated[Coordination | None, Meta(
        description="several checkers agree through etcd; one leader acts (optional)")] = None

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

    def zone_of(self, fqdn: str) -> int | None:
        """The index in `dns` of the zone that holds the absolute name `fqdn` (the longest zone
        name it ends with), or None."""
        name = fqdn.lower().rstrip(".") + "."
        best: tuple[int, int] | None = None  # (apex length, index)
        for index, zone in enumerate(self.dns):
            apex = zone.zone.lower().rstrip(".") + "."
            if (name == apex or name.endswith("." + apex)) and (
                    best is None or len(apex) > best[0]):
                best = (len(apex), index)
        return None if best is None else best[1]
