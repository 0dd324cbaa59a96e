"""bench/dns: API calls and wall time to flip 50 records, per provider; verify across 4
nameservers (parallel, not serial).

Starts its own servers on loopback (PowerDNS x4, BIND, moto; ports FAILOVER_RIG_PORT_OFFSET+50
above the rig's defaults) and stops them. Record values are data only, never contacted.
Target: 1 write call per zone for powerdns, rfc2136 and route53 (lexicon is record by record).
"""

from __future__ import annotations

import contextlib
import os
import shutil
import socket
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

from failover.dns.plan import desired_for, diff
from failover.dns.registry import provider_for
from failover.dns.verify import verify
from failover.model.inventory import Inventory
from tests.rig import port_offset
from tests.rig.dnsservers import DnsServers
from tests.rig.pdns import PdnsController

N = 50
OFFSET = port_offset() + 50
NET = os.environ.get("FAILOVER_RIG_NET", "10.203.0")
HOSTS = {"primary": f"{NET}.11", "standby": f"{NET}.12"}
RECORDS = {(f"host{i:02d}", "A"): (60, [HOSTS["primary"]]) for i in range(N)}


def inventory(zone: dict[str, Any]) -> Inventory:
    return Inventory.parse({
        "site": "bench", "path": "/nonexistent/inventory.yaml", "state_dir": "/nonexistent",
        "hosts": {n: {"address": a} for n, a in HOSTS.items()},
        "ssh": {"known_hosts": "/nonexistent"}, "checks": [{"name": "t", "type": "tcp", "port": 1}],
        "dns": [zone | {"records": [{"name": n, "type": t, "ttl": 60} for n, t in RECORDS]}]})


class SlowLink:
    """A UDP relay on 127.0.0.1 that adds `delay` seconds before forwarding each query: a
    nameserver one WAN round trip away (this machine has no netem)."""

    def __init__(self, upstream_port: int, delay: float) -> None:
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.bind(("127.0.0.1", 0))
        self.port = self.sock.getsockname()[1]
        self.upstream, self.delay = ("127.0.0.1", upstream_port), delay
        threading.Thread(target=self._serve, daemon=True).start()

    def _serve(self) -> None:
        while True:
            try:
                data, client = self.sock.recvfrom(65535)
            except OSError:
                return
            threading.Thread(target=self._relay, args=(data, client), daemon=True).start()

    def _relay(self, data: bytes, client: tuple[str, int]) -> None:
        time.sleep(self.delay)
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as up:
            up.settimeout(2)
            up.sendto(data, self.upstream)
            with contextlib.suppress(OSError):
                self.sock.sendto(up.recv(65535), client)

    def close(self) -> None:
        self.sock.close()


def flip(inv: Inventory, to: str) -> tuple[float, dict[str, int]]:
    t0 = time.perf_counter()
    provider = provider_for(inv.dns[0])
    plan = diff(inv.dns[0].zone, provider.name, provider.read(),
                desired_for(inv, inv.dns[0], to))
    assert len(plan.changes) == N, len(plan.changes)
    provider.apply(plan)
    return time.perf_counter() - t0, dict(provider.calls)


def main() -> int:
    base = Path(tempfile.mkdtemp(prefix="failover-bench-dns-"))
    servers = DnsServers(base / "servers", port_offset=OFFSET)
    extra = [PdnsController(base / f"pdns{i}", base / "log" / f"pdns{i}.log",
                            5356 + OFFSET + i, 8083 + OFFSET + i) for i in (1, 3, 4)]
    for p in extra:
        p.name = p.proc.name = f"pdns-bench-{p.dns_port}"
    servers.start()
    try:
        for p in extra:
            p.start()
        pdns = extra[0]
        zones: dict[str, dict[str, Any]] = {}
        pdns.create_zone("bench-pdns.test.", RECORDS)
        zones["powerdns"] = {"provider": "powerdns", "zone": "bench-pdns.test.",
                             "api_url": pdns.api_url, "api_key": pdns.api_key}
        servers.bind.set_records("bench-rfc.test.", RECORDS)
        zones["rfc2136"] = {"provider": "rfc2136", "zone": "bench-rfc.test.",
                            "server": servers.bind.server,
                            "tsig": {"name": servers.bind.key_name, "secret": servers.bind.secret}}
        servers.moto.create_zone("bench-r53.test.", RECORDS)
        zones["route53"] = {"provider": "route53", "zone": "bench-r53.test.",
                            "endpoint_url": servers.moto.url}
        pdns.create_zone("bench-lexicon.test.", RECORDS)
        zones["lexicon"] = {"provider": "lexicon", "zone": "bench-lexicon.test.",
                            "lexicon": {"provider": "powerdns", "auth_token": pdns.api_key,
                                        "pdns_server": pdns.api_url}}
        print(f"flip {N} A records (read + plan + apply + read-back), then back:")
        print(f"{'provider':10} {'wall':>8} {'reads':>6} {'writes':>7}   back: wall  writes")
        for name, zone in zones.items():
            inv = inventory(zone)
            took, calls = flip(inv, "standby")
            back, back_calls = flip(inv, "primary")
            print(f"{name:10} {took:7.3f}s {calls.get('read', 0):6d} {calls.get('write', 0):7d}"
                  f"   {back:10.3f}s {back_calls.get('write', 0):7d}")
        # verify: the same zone on 4 PowerDNS servers, each asked directly, all in parallel
        all4 = [*extra, servers.pdns2]
        for p in all4[1:]:
            p.create_zone("bench-pdns.test.", RECORDS)
        one = inventory(zones["powerdns"] | {"nameservers": [f"127.0.0.1:{pdns.dns_port}"]})
        four = inventory(zones["powerdns"] | {
            "nameservers": [f"127.0.0.1:{p.dns_port}" for p in all4]})
        t0 = time.perf_counter()
        r1 = verify(one, "primary", timeout=10, interval=0.5)
        t1 = time.perf_counter() - t0
        t0 = time.perf_counter()
        r4 = verify(four, "primary", timeout=10, interval=0.5)
        t4 = time.perf_counter() - t0
        assert r1.ok, r1.lines()
        assert r4.ok, r4.lines()
        print(f"verify {N} records on loopback: 1 nameserver {t1:.3f}s; 4 nameservers {t4:.3f}s"
              " (CPU-bound here: ~0.5 ms of dnspython per query)")
        links = [SlowLink(p.dns_port, 0.03) for p in all4]
        slow = inventory(zones["powerdns"] | {
            "nameservers": [f"127.0.0.1:{link.port}" for link in links]})
        t0 = time.perf_counter()
        rs = verify(slow, "primary", timeout=30, interval=0.5)
        ts = time.perf_counter() - t0
        for link in links:
            link.close()
        assert rs.ok, rs.lines()
        queries = N * len(links)
        print(f"verify {N} records on 4 nameservers 30 ms away: {ts:.3f}s for {queries} queries "
              f"(serial would take >= {queries * 0.03:.1f}s)")
    finally:
        for p in extra:
            p.stop()
        servers.stop()
        shutil.rmtree(base, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
