"""The values that travel between plan, apply and verify: rrsets, record changes, zone plans,
and the canonical text every comparison uses.

Pure values, no I/O. Everything else in dns/ builds on this module and it imports nothing of
dns/: the flow is one-way (records <- base <- providers, records <- plan <- flip).

dnspython parses record values for `canonical_value` only; it is imported on first use, because a
provider's settings model (loaded with every inventory) must not pull it onto the `failover check`
path (bench/startup.py). For the same reason the values are msgspec Structs (already loaded by
the inventory), which cost a fraction of a dataclass to define.
"""

from __future__ import annotations

from typing import Any

import msgspec

RRKey = tuple[str, str]  # (absolute lower-case fqdn with trailing dot, type)


class RRset(msgspec.Struct, frozen=True):
    """One rrset as served: `values` are canonical text, sorted, without duplicates."""

    name: str
    type: str
    ttl: int
    values: tuple[str, ...]

    @property
    def key(self) -> RRKey:
        return (self.name, self.type)


class RecordChange(msgspec.Struct, frozen=True):
    """One rrset before and after. An empty `before` means absent; an empty `after` means delete."""

    name: str
    type: str
    ttl_before: int | None
    before: tuple[str, ...]
    ttl: int
    after: tuple[str, ...]

    @property
    def key(self) -> RRKey:
        return (self.name, self.type)

    def reverse(self) -> RecordChange:
        return RecordChange(self.name, self.type, self.ttl, self.after,
                            self.ttl_before if self.ttl_before is not None else self.ttl,
                            self.before)

    def line(self) -> str:
        same = self.ttl_before in (None, self.ttl)
        ttl = str(self.ttl) if same else f"{self.ttl_before} -> {self.ttl}"
        return f"{self.name} {self.type} {ttl}: {show(self.before)} -> {show(self.after)}"

    def to_json(self) -> dict[str, Any]:
        return {"name": self.name, "type": self.type, "ttl_before": self.ttl_before,
                "before": list(self.before), "ttl": self.ttl, "after": list(self.after)}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> RecordChange:
        return cls(data["name"], data["type"], data["ttl_before"], tuple(data["before"]),
                   data["ttl"], tuple(data["after"]))


def show(values: tuple[str, ...]) -> str:
    """Values as a message shows them: `a, b`, or `(absent)`."""
    return ", ".join(values) if values else "(absent)"


class ZonePlan(msgspec.Struct, frozen=True):
    """The changes one zone needs. A value: printable, JSON-able, reversible."""

    zone: str
    provider: str
    changes: tuple[RecordChange, ...]

    @property
    def empty(self) -> bool:
        return not self.changes

    def reverse(self) -> ZonePlan:
        """The plan that puts every changed rrset back as it was before this one."""
        return ZonePlan(self.zone, self.provider, tuple(c.reverse() for c in self.changes))

    def lines(self) -> list[str]:
        if self.empty:
            return [f"{self.zone} ({self.provider}): no change"]
        return [c.line() for c in self.changes]

    def to_json(self) -> dict[str, Any]:
        return {"zone": self.zone, "provider": self.provider,
                "changes": [c.to_json() for c in self.changes]}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> ZonePlan:
        """The plan `to_json` wrote (a journal's dns step: what a resumed run's rescue undoes)."""
        return cls(data["zone"], data["provider"],
                   tuple(RecordChange.from_json(c) for c in data["changes"]))


def record_fqdn(zone: str, name: str) -> str:
    """`@` -> the apex, `www` -> `www.<zone>`, an absolute name stays; always lower case."""
    zone = zone.lower() if zone.endswith(".") else zone.lower() + "."
    if name == "@":
        return zone
    if name.endswith("."):
        return name.lower()
    return f"{name.lower()}.{zone}"


def canonical_value(rtype: str, text: str) -> str:
    """Canonical text of one record value, as compared everywhere (plan, read-back, verify).

    Names are absolute (a missing trailing dot is added, never the zone appended) and lower case;
    a TXT value not already in quotes is one string (split at 255 bytes). Raises ValueError.
    """
    import dns.exception
    import dns.name
    import dns.rdata

    if rtype == "TXT" and not text.lstrip().startswith('"'):
        raw = text.encode()
        chunks = [raw[i:i + 255] for i in range(0, len(raw), 255)] or [b""]
        text = " ".join('"' + c.decode(errors="replace").replace("\\", "\\\\").replace('"', '\\"')
                        + '"' for c in chunks)
    try:
        rdata = dns.rdata.from_text("IN", rtype, text, origin=dns.name.root, relativize=False)
    except (dns.exception.DNSException, ValueError) as exc:
        raise ValueError(f"{text!r} is not a valid {rtype} value ({exc})") from None
    out = rdata.to_text()
    return out if rtype == "TXT" else out.lower()


def canonical_values(rtype: str, values: list[str] | tuple[str, ...]) -> tuple[str, ...]:
    """`canonical_value` of each, sorted, duplicates dropped. Raises ValueError."""
    return tuple(sorted({canonical_value(rtype, v) for v in values}))
