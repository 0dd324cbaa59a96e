"""Which of a live zone's records should follow the active host: `failover init` proposes them.

Contract: `propose(rrsets, zone, address, ...)` is pure. An A (AAAA) rrset whose every value is
the primary's address (IPv6 address) is proposed as managed, with its current TTL. Given every
host's mail server name (`mail`) or CNAME target (`cname`), an MX (CNAME) rrset whose one value
names the primary's is managed too, with a value per host (an MX keeps its preference).
Everything else is left alone, each with the reason (a record pointing elsewhere, a mix, a type
a flip does not change). SOA and the apex NS are the zone's own and are not listed.
"""

from __future__ import annotations

import msgspec

from failover.dns.records import RRset

FOLLOWED = {"A": "address", "AAAA": "address6"}


class Proposal(msgspec.Struct, frozen=True):
    name: str  # relative to the zone: "@", "www"
    type: str
    ttl: int
    values: tuple[str, ...]
    managed: bool
    why: str  # "points at the primary", "points elsewhere", ...
    per_host: dict[str, str] = {}  # MX and CNAME: the record's value on each host


def relative(fqdn: str, zone: str) -> str:
    """`www.shop.example.` in `shop.example.` -> `www`; the apex -> `@`."""
    fqdn, zone = fqdn.lower(), zone.lower()
    if fqdn == zone:
        return "@"
    return fqdn[: -len(zone) - 1] if fqdn.endswith("." + zone) else fqdn


def fqdn(name: str) -> str:
    return name.lower().rstrip(".") + "."


def _per_host(rr: RRset, primary: str, names: dict[str, str]) -> tuple[dict[str, str], str]:
    """(a value per host, "") when `rr`'s one value names the primary's; else ({}, why not)."""
    flag = "--mail" if rr.type == "MX" else "--cname"
    if primary not in names:
        return {}, f"an {rr.type} record: give {flag} HOST=NAME for every host to manage it"
    if len(rr.values) != 1:
        return {}, f"several {rr.type} values"
    *preference, target = rr.values[0].split()
    if fqdn(target) != fqdn(names[primary]):
        return {}, "points elsewhere"
    return {h: " ".join([*preference, fqdn(n)]) for h, n in names.items()}, ""


def propose(rrsets: list[RRset], zone: str, address: str, address6: str | None = None, *,
            primary: str = "", mail: dict[str, str] | None = None,
            cname: dict[str, str] | None = None) -> list[Proposal]:
    """Every rrset of the zone but its SOA and apex NS, managed or not, in name order."""
    wanted = {"A": address, "AAAA": address6}
    named = {"MX": mail or {}, "CNAME": cname or {}}
    out = []
    for rr in sorted(rrsets, key=lambda r: (r.name.count("."), r.name, r.type)):
        name = relative(rr.name, zone)
        if rr.type == "SOA" or (rr.type == "NS" and name == "@"):
            continue
        if rr.type in named:
            per_host, why = _per_host(rr, primary, named[rr.type])
            out.append(Proposal(name, rr.type, rr.ttl, rr.values, bool(per_host),
                                why or "names the primary's", per_host))
            continue
        if rr.type in FOLLOWED:
            target = wanted[rr.type]
            if target and set(rr.values) == {target}:
                why, managed = "points at the primary", True
            elif target and target in rr.values:
                why, managed = "a mix of the primary and other addresses", False
            else:
                why, managed = "points elsewhere", False
        else:
            why, managed = f"a {rr.type} record: a flip changes A, AAAA, MX, CNAME", False
        out.append(Proposal(name, rr.type, rr.ttl, rr.values, managed, why))
    return out
