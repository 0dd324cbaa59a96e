"""Which of a live zone's records should follow the active host: `failover init` proposes them.

Contract: `propose(rrsets, zone, address, address6)` is pure. An A (AAAA) rrset whose every value
is the primary's address (IPv6 address) is proposed as managed, with its current TTL; everything
else is left alone, each with the reason (a record pointing elsewhere, a mix, a type a flip does
not change). SOA and the apex NS are the zone's own and are not listed.
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


def relative(fqdn: str, zone: str) -> str:
    """`www.shop.example.` in `shop.example.` -> `www`; the apex -> `@`."""
    fqdn, zone = fqdn.lower(), zone.lower()
    if fqdn == zone:
        return "@"
    return fqdn[: -len(zone) - 1] if fqdn.endswith("." + zone) else fqdn


def propose(rrsets: list[RRset], zone: str, address: str,
            address6: str | None = None) -> list[Proposal]:
    """Every rrset of the zone but its SOA and apex NS, managed or not, in name order."""
    wanted = {"A": address, "AAAA": address6}
    out = []
    for rr in sorted(rrsets, key=lambda r: (r.name.count("."), r.name, r.type)):
        name = relative(rr.name, zone)
        if rr.type == "SOA" or (rr.type == "NS" and name == "@"):
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
            why, managed = f"a {rr.type} record: a flip changes A and AAAA records", False
        out.append(Proposal(name, rr.type, rr.ttl, rr.values, managed, why))
    return out
