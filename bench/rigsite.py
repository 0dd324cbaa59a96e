"""The inventory a rig bench runs with: the rig's hosts as root with the rig's key and known
hosts, a PowerDNS zone nothing calls (no bench flips DNS through it), one tcp check, and the
bench's own sync sets."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from tests.rig import Rig


def inventory_doc(rig: Rig, work: Path, state_dir: Path,
                  sync: list[dict[str, Any]]) -> dict[str, Any]:
    """The inventory as plain data (Inventory.parse it, or write it for a subprocess)."""
    hosts = {h: {"address": rig.hosts[h].address,
                 "ssh": {"user": "root", "identity": str(rig.client_key)}} for h in rig.hosts}
    return {
        "site": "bench.test", "path": str(work / "inventory.yaml"), "state_dir": str(state_dir),
        "hosts": hosts, "ssh": {"known_hosts": str(rig.known_hosts)},
        "dns": [{"provider": "powerdns", "zone": "bench.test.", "api_url": "http://127.0.0.1:1",
                 "api_key": "x", "records": [{"name": "@", "type": "A"}]}],
        "checks": [{"name": "ssh", "type": "tcp", "port": 22}],
        "sync": sync,
    }
