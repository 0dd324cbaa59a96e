"""bench/startup: `failover check --no-act` (healthy, 3 checks) vs a bare Python start-up.

All run from this script, interleaved, so machine noise hits them alike. Prints medians and the
ratio, what `--prom-file` adds (prometheus_client is imported only then), and which heavy modules
the check path imported (paramiko, boto3, requests and dnspython must not be, on a healthy round).
"""

from __future__ import annotations

import json
import socketserver
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path

RUNS = 15
FAILOVER = str(Path(sys.executable).parent / "failover")
HEAVY = ["paramiko", "boto3", "requests", "dns", "yaml", "click", "pydantic", "msgspec"]


class Shop(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        body = b"<button>Add to cart</button>"
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        return None


class QuietServer(HTTPServer):
    def server_bind(self) -> None:  # no getfqdn(): no reverse-DNS query to the system resolver
        socketserver.TCPServer.server_bind(self)


def inventory(tmp: Path, ports: list[int]) -> Path:
    (tmp / "known_hosts").write_text("")
    (tmp / ".failover").mkdir()
    (tmp / ".failover" / "state.json").write_text(json.dumps({"active": "primary"}))
    text = f"""
site: shop.test
hosts:
  primary: {{address: 127.0.0.1}}
  standby: {{address: 127.0.0.2}}
ssh: {{known_hosts: ./known_hosts}}
dns:
  - {{provider: powerdns, zone: shop.test., api_url: "http://127.0.0.1:1", api_key: x,
     records: [{{name: "@", type: A}}]}}
checks:
  - {{name: storefront, type: http, url: "http://shop.test:{ports[0]}/", expect_body: Add to cart}}
  - {{name: web-port, type: tcp, port: {ports[0]}}}
  - {{name: other-port, type: tcp, port: {ports[1]}}}
control_targets: ["tcp://127.0.0.1:{ports[0]}"]
"""
    path = tmp / "inventory.yaml"
    path.write_text(text)
    return path


def timed(argv: list[str]) -> float:
    t0 = time.perf_counter()
    p = subprocess.run(argv, capture_output=True, text=True, check=False)
    took = time.perf_counter() - t0
    if p.returncode != 0:
        raise SystemExit(f"{argv} exited {p.returncode}:\n{p.stdout}{p.stderr}")
    return took


def main() -> None:
    servers: list[QuietServer] = []
    ports: list[int] = []
    for _ in range(2):  # two ports, each served on both hosts' addresses
        first = QuietServer(("127.0.0.1", 0), Shop)
        port = first.server_address[1]
        servers += [first, QuietServer(("127.0.0.2", port), Shop)]
        ports.append(port)
    for srv in servers:
        threading.Thread(target=srv.serve_forever, daemon=True).start()
    with tempfile.TemporaryDirectory() as d:
        inv = inventory(Path(d), ports)
        check = [FAILOVER, "-i", str(inv), "check", "--no-act"]
        prom = [*check, "--prom-file", str(Path(d) / "failover.prom")]
        bare = [sys.executable, "-c", "import click, yaml"]
        timed(check)
        timed(prom)
        timed(bare)  # warm the page cache
        t_check, t_prom, t_bare = [], [], []
        for _ in range(RUNS):
            t_check.append(timed(check))
            t_prom.append(timed(prom))
            t_bare.append(timed(bare))
        probe = subprocess.run(
            [sys.executable, "-c",
             "import sys; from failover.cli.main import raw_main; "
             f"code = raw_main(['-i', {str(inv)!r}, 'check', '--no-act']); "
             f"print(' '.join(m for m in {HEAVY!r} if m in sys.modules))"],
            capture_output=True, text=True, check=False)
        loaded = probe.stdout.strip().splitlines()[-1]
    for srv in servers:
        srv.shutdown()
    mc, mb = statistics.median(t_check), statistics.median(t_bare)
    mp = statistics.median(t_prom)
    print(f"failover check --no-act (3 checks x 2 hosts): median {mc * 1000:.0f} ms "
          f"(min {min(t_check) * 1000:.0f})")
    print(f"  the same with --prom-file:                 median {mp * 1000:.0f} ms "
          f"(min {min(t_prom) * 1000:.0f}; +{(mp - mc) * 1000:.0f} ms)")
    print(f"python -c 'import click, yaml':             median {mb * 1000:.0f} ms "
          f"(min {min(t_bare) * 1000:.0f})")
    print(f"ratio: {mc / mb:.2f}x  ({RUNS} interleaved runs each)")
    print(f"heavy modules imported on the check path: {loaded}")
    bad = [m for m in ("paramiko", "boto3", "requests", "dns") if m in loaded.split()]
    print("OK: no paramiko, boto3, requests or dnspython" if not bad else f"IMPORTED: {bad}")


if __name__ == "__main__":
    main()
