"""A site on the rig: the shipped inventory.yaml and playbooks, pointed at the rig's servers.

Shared by the scenario tests and `make demo`: both drive the real `failover` executable in a
subprocess, with the ${...} values of inventory.yaml set from the rig.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import yaml

from tests.rig import Rig

REPO = Path(__file__).resolve().parent.parent
FAILOVER = str(Path(sys.executable).parent / "failover")
BIND_ZONE = "two.test."  # one of the zones the rig's BIND serves (tests/rig/dnsservers.py)
ZONE = "shop.test."
PAGE = "<html><body><h1>Shop</h1><button>Add to cart</button> {}</body></html>\n"


def at(address: str) -> dict[str, list[str]]:
    """What the zone's managed records answer when DNS points at `address` (Site.dns())."""
    return {ZONE: [address], "www." + ZONE: [address]}


class WebhookReceiver:
    """A real HTTP server on loopback that records every JSON body posted to it."""

    def __init__(self, status: int = 200) -> None:
        received: list[dict[str, Any]] = []
        self.received = received
        self.status = status
        self.delay = 0.0  # seconds between taking a message and answering (a slow chat service)
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length", "0"))
                received.append({"path": self.path, "body": json.loads(self.rfile.read(length)),
                                 "headers": dict(self.headers)})
                time.sleep(receiver.delay)
                self.send_response(receiver.status)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args: Any) -> None:
                return None

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hook"
        # a short poll: close() (shutdown) waits for it, and every test closes a receiver
        self.thread = threading.Thread(target=self.server.serve_forever, args=(0.05,),
                                       daemon=True)
        self.thread.start()

    def messages(self) -> list[str]:
        return [r["body"].get("text", "") for r in self.received]

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()
        self.thread.join()


class Site:
    """inventory.yaml + playbooks copied into `workdir`, the zone and web roots reset."""

    def __init__(self, rig: Rig, workdir: Path, hook: WebhookReceiver) -> None:
        self.rig = rig
        self.dir = workdir
        self.hook = hook
        self.inventory = workdir / "inventory.yaml"
        self.state_dir = workdir / ".failover"
        shutil.copy(REPO / "inventory.yaml", self.inventory)
        # the rig may run on another /24 (FAILOVER_RIG_NET): the inventory must name the rig's
        # own addresses, never anything outside the namespaces the tests made
        self.edit(lambda inv: [inv["hosts"][h].update(address=rig.hosts[h].address)
                               for h in inv["hosts"]])
        shutil.copytree(REPO / "playbooks", workdir / "playbooks", dirs_exist_ok=True)
        self.env = {
            **os.environ,
            "FAILOVER_SSH_KEY": str(rig.client_key),
            "FAILOVER_KNOWN_HOSTS": str(rig.known_hosts),
            "FAILOVER_STATE_DIR": str(self.state_dir),
            "PDNS_API_URL": rig.pdns.api_url,
            "PDNS_API_KEY": rig.pdns.api_key,
            "PDNS_DNS_PORT": str(rig.pdns.dns_port),
            "PDNS_API_PORT": str(rig.pdns.api_port),
            "RIG_DIR": str(rig.dir),
            "CHAT_WEBHOOK": hook.url,
        }
        self.primary = rig.hosts["primary"]
        self.standby = rig.hosts["standby"]
        self.reset_dns()
        self.seed()

    # -- set-up ---------------------------------------------------------------------------
    def reset_dns(self) -> None:
        ip = self.primary.address
        self.rig.pdns.create_zone(ZONE, {("@", "A"): (60, [ip]), ("www", "A"): (60, [ip])})

    def seed(self) -> None:
        """Primary serves version 2 of the shop; the standby an older version 1."""
        for host, version in ((self.primary, "v2"), (self.standby, "v1")):
            shutil.rmtree(host.webroot, ignore_errors=True)
            # the copies a failback keeps beside the webroot (sync/kept.py)
            shutil.rmtree(f"{host.webroot}.kept", ignore_errors=True)
            (host.webroot / "img").mkdir(parents=True)
            (host.webroot / "index.html").write_text(PAGE.format(version))
            (host.webroot / "img" / "logo.txt").write_text(f"logo {version}\n")
        for f in self.standby.webroot.rglob("*"):  # the standby's copy is a day old
            os.utime(f, (time.time() - 86400, time.time() - 86400))
        (self.primary.webroot / "orders.txt").write_text("order 1001\norder 1002\n")

    def edit(self, change: Callable[[dict[str, Any]], None]) -> None:
        """Change the inventory's YAML tree (${...} strings stay as they are)."""
        data = yaml.safe_load(self.inventory.read_text())
        change(data)
        self.inventory.write_text(yaml.safe_dump(data, sort_keys=False))

    def add_bind_zone(self, bind: Any, zone: str = BIND_ZONE) -> None:
        """`zone` on the rig's BIND (RFC 2136 + TSIG), at the primary, first in the inventory's
        `dns:` list; `bind`: DnsServers.bind."""
        ip = self.primary.address
        bind.set_records(zone, {("@", "A"): (60, [ip]), ("www", "A"): (60, [ip])})
        self.env["TSIG_SECRET"] = bind.secret
        self.edit(lambda inv: inv["dns"].insert(0, {
            "provider": "rfc2136", "zone": zone, "server": bind.server, "timeout": "3s",
            "tsig": {"name": bind.key_name, "algorithm": "hmac-sha256",
                     "secret": "${TSIG_SECRET}"},
            "nameservers": [bind.server],
            "records": [{"name": "@", "type": "A", "ttl": 60}, {"name": "www", "type": "A"}]}))

    def edit_playbook(self, name: str, change: Callable[[dict[str, Any]], None]) -> None:
        path = self.dir / "playbooks" / f"{name}.yaml"
        data = yaml.safe_load(path.read_text())
        change(data)
        path.write_text(yaml.safe_dump(data, sort_keys=False))

    # -- driving ---------------------------------------------------------------------------
    def recovered(self, host: str = "primary") -> None:
        """`check` rounds, as cron runs them, until `host` has passed
        policy.recovery_threshold rounds in a row (what a failback by hand waits for)."""
        needed = yaml.safe_load(self.inventory.read_text())["policy"]["recovery_threshold"]
        for _ in range(needed + 3):
            p = self.run("check")
            if self.state()["hosts"].get(host, {}).get("ok", 0) >= needed:
                return
        raise AssertionError(f"{host} did not recover: {p.stdout}{p.stderr}")

    def run(self, *args: str, timeout: float = 180, **env: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([FAILOVER, "-i", str(self.inventory), *args],
                              env={**self.env, **env}, capture_output=True, text=True,
                              timeout=timeout, stdin=subprocess.DEVNULL, check=False)

    def popen(self, *args: str) -> subprocess.Popen[str]:
        return subprocess.Popen([FAILOVER, "-i", str(self.inventory), *args], env=self.env,
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                                stdin=subprocess.DEVNULL)

    # -- observing -------------------------------------------------------------------------
    def dns(self) -> dict[str, list[str]]:
        return {name: self.rig.pdns.query(name, "A") for name in (ZONE, "www." + ZONE)}

    def state(self) -> dict[str, Any]:
        path = self.state_dir / "state.json"
        return json.loads(path.read_text()) if path.exists() else {}

    def audit(self) -> list[dict[str, Any]]:
        """Every audit record, as `failover report` reads them (rotated files, and the healthy
        rounds counted but not yet written, as one `rounds` record)."""
        from failover.state.audit import AuditLog

        return list(AuditLog(self.state_dir).read())

    def rounds(self) -> int:
        """How many rounds the audit log holds: written in full, or counted (healthy ones)."""
        return sum(1 if e["event"] == "round" else e["count"] for e in self.audit()
                   if e["event"] in ("round", "rounds"))

    def tree(self, root: Path) -> dict[str, str]:
        return {str(p.relative_to(root)): p.read_text() for p in sorted(root.rglob("*"))
                if p.is_file()}
