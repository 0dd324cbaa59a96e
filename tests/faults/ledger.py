"""What a fault cost: files, DNS records and orders lost, counted the same way for every row.

`Ledger(site)` notes, before the fault, the shop as it is (the primary's files and orders, every
rrset of the zone). `lost()`, after it, looks where the customers are sent: the host that every
managed record answers with, which must be the host the state file calls active. It counts
- files: of the noted shop, missing or different on that host;
- records: managed records not answering that host's address, and rrsets of the zone gone;
- orders: lines of the noted `orders.txt` missing from that host's.
A half-done change (DNS split between hosts, DNS and state disagreeing) counts as lost records.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from pathlib import Path

from tests.site import ZONE, Site

SKIP = {".maintenance"}  # the fence's mark on a demoted host, not shop content


def tree(root: Path) -> dict[str, str]:
    """Relative path -> sha256 of every file under `root` (binary files too)."""
    return {str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(root.rglob("*")) if p.is_file() and p.name not in SKIP}


def orders(root: Path) -> list[str]:
    path = root / "orders.txt"
    return path.read_text().splitlines() if path.exists() else []


@dataclass
class Ledger:
    site: Site
    zones: tuple[str, ...] = (ZONE,)
    files: dict[str, str] = field(default_factory=dict)
    orders: list[str] = field(default_factory=list)
    rrsets: set[tuple[str, str]] = field(default_factory=set)

    def __post_init__(self) -> None:
        self.mark()

    def mark(self, source: Path | None = None) -> None:
        """Note the shop as it is now (on the primary, or in `source`)."""
        root = source or self.site.primary.webroot
        self.files = tree(root)
        self.orders = orders(root)
        self.rrsets = self._rrsets()

    def _rrsets(self) -> set[tuple[str, str]]:
        return {(r["name"], r["type"]) for zone in self.zones
                for r in self.site.rig.pdns.get_zone(zone)["rrsets"]}

    def live(self) -> str | None:
        """The host every managed record answers with (None when they disagree)."""
        answers = {tuple(v) for v in self.site.dns().values()}
        by_address = {h.address: name for name, h in self.site.rig.hosts.items()}
        if len(answers) != 1:
            return None
        [values] = answers
        return by_address.get(values[0]) if len(values) == 1 else None

    def lost(self) -> tuple[int, int, int]:
        site = self.site
        try:
            active = site.state().get("active", "primary")
        except ValueError:  # a state file the row broke on purpose: DNS says where customers go
            active = self.live() or "primary"
        address = site.rig.hosts[active].address
        records = sum(1 for values in site.dns().values() if values != [address])
        records += len(self.rrsets - self._rrsets())
        root = site.rig.hosts[active].webroot
        now = tree(root)
        files = sum(1 for path, digest in self.files.items() if now.get(path) != digest)
        missing = set(self.orders) - set(orders(root))
        return files, records, len(missing)
