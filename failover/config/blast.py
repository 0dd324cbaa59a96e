"""Blast-radius lint for DNS: warnings when the DNS that must flip shares fate with a host.

The lesson of OVH in 2017 and 2021: DNS hosted at the hoster that is down cannot be flipped. A
zone's nameservers, its MX targets, the provider API we call (rfc2136 `server`, powerdns
`api_url`, a lexicon provider) and the notify targets are compared with every host's network
(its address's /24 and its declared `networks:`) and its `provider` label.

Contract: pure like config/lint.py (no DNS lookups, no network): only what the inventory says is
compared. Addresses are compared as written; names by their labels (`dns101.ovh.net` carries the
label `ovh`). Returns plain sentences in a stable order.
"""

from __future__ import annotations

import ipaddress
import logging
from urllib.parse import urlsplit

from failover.model.inventory import Host, Inventory, ZoneBase

log = logging.getLogger(__name__)

IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network


def _networks(host: Host) -> list[IPNetwork]:
    nets: list[IPNetwork] = [ipaddress.ip_network(f"{host.address}/24", strict=False)]
    if host.address6:
        nets.append(ipaddress.ip_network(f"{host.address6}/64", strict=False))
    nets += [ipaddress.ip_network(n, strict=False) for n in host.networks]
    return nets


def _host_part(text: str) -> str:
    """The host of "host[:port]", "[v6]:port", a URL, or an MX value "10 mx.example."."""
    text = text.strip()
    if "://" in text:
        return urlsplit(text).hostname or ""
    if " " in text:  # MX "prio name"
        text = text.split()[-1]
    if text.startswith("["):
        return text[1:].partition("]")[0]
    if text.count(":") == 1:
        return text.partition(":")[0]
    return text.rstrip(".")


def shares_fate(target: str, host: Host) -> str | None:
    """Why `target` (an address or a name) would go down with `host`, or None."""
    part = _host_part(target)
    try:
        address = ipaddress.ip_address(part)
    except ValueError:
        labels = part.lower().split(".")
        label = (host.provider or "").strip().lower()
        if label and label in labels:
            return f"its name carries the provider label '{host.provider}'"
        return None
    for net in _networks(host):
        if address.version == net.version and address in net:
            return f"{address} is in {net}"
    return None


def _targets(zone: ZoneBase) -> list[tuple[str, str]]:
    """(what, target) pairs of one zone: nameservers, MX targets, the API endpoint."""
    found = [(f"nameserver {ns}", ns) for ns in zone.nameservers]
    for record in zone.records:
        if record.type == "MX" and record.values:
            for per_host in record.values.values():
                for v in [per_host] if isinstance(per_host, str) else per_host:
                    found.append((f"MX {v}", v))
    for attr in ("server", "api_url", "endpoint_url"):
        value = getattr(zone, attr, None)
        if isinstance(value, str) and value:
            found.append((f"{attr} {value}", value))
    lexicon = getattr(zone, "lexicon", None)
    if isinstance(lexicon, dict) and isinstance(lexicon.get("provider"), str):
        found.append((f"lexicon provider {lexicon['provider']}", f"{lexicon['provider']}.invalid"))
    return found


def blast_radius(inventory: Inventory) -> list[str]:
    """Warnings about DNS and notification targets that share fate with a host."""
    warnings: list[str] = []
    for z, zone in enumerate(inventory.dns):
        if getattr(zone, "provider", None) == "lexicon":
            warnings.append(f"dns[{z}] ({zone.zone}): provider lexicon changes records one by "
                            "one, not atomically: a failure mid-way is rolled back record by "
                            "record, and resolvers may briefly see a mix of old and new values")
        for what, target in _targets(zone):
            for name, host in inventory.hosts.items():
                why = shares_fate(target, host)
                if why:
                    warnings.append(f"dns[{z}] ({zone.zone}): {what} shares fate with host "
                                    f"{name} ({why}): when {name}'s hoster is down, this DNS "
                                    "may be down too and the flip impossible")
    for n, notifier in enumerate(inventory.notify):
        for url in notifier.endpoints():  # URLs, or an SMTP server's host name
            for name, host in inventory.hosts.items():
                why = shares_fate(url, host)
                if why:
                    where = _host_part(url) or "?"
                    warnings.append(f"notify[{n}] ({where}) shares fate with host {name} "
                                    f"({why}): nobody hears of {name}'s outage")
    warnings += _coordination(inventory)
    log.debug("blast_radius: warnings=%d", len(warnings))
    return warnings


def _coordination(inventory: Inventory) -> list[str]:
    """A checker, or an etcd member, at a hoster it watches goes down with what it watches."""
    c = inventory.coordination
    if c is None:
        return []
    warnings = []
    for name, host in inventory.hosts.items():
        label = (host.provider or "").strip().lower()
        if label and (c.provider or "").strip().lower() == label:
            warnings.append(f"coordination.provider: this checker runs at {c.provider}, like "
                            f"host {name}: when {name}'s hoster is down, so is this checker's "
                            "view (place checkers outside the hosters they watch)")
        for url in c.etcd.endpoints:
            if why := shares_fate(url, host):
                warnings.append(f"coordination.etcd.endpoints: {url} shares fate with host "
                                f"{name} ({why}): etcd must outlive the hosts it decides about")
    return warnings
