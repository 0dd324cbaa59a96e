"""bench/checks: one round of 1,000 http (or smtp) checks against local servers, 5% hanging.

950 hosts answer at 127.0.0.1, 50 at 127.0.0.2 accept the connection and never answer (a frozen
web server): the round can end no sooner than the timeout. Targets (issue 3): round wall time
<= 1.3 x the timeout, peak RSS <= 150 MB, and the CPU time per check.

The servers run in a child process (asyncio), so the checker's CPU and memory figures are its
own. The file limit is raised to the hard limit (up to 4,096), as docs/cron.md advises for big
inventories; the line "fd limit" says what it was.

With `--type smtp` the servers speak SMTP (220 greeting, EHLO, QUIT) and the checks are smtp
checks; the hanging ones accept and never greet.

With `--dual` (issue 20) every host also has an IPv6 address (::1, where the servers listen
too), so each check runs over both families: twice the probes in the same round. The round is run
first without the IPv6 addresses (the baseline, in the same process), and the line "dual stack"
gives the ratios; the wall-time target stays 1.3 x the timeout.

usage: python bench/checks.py [--checks 1000] [--hanging 0.05] [--timeout 2] [--type http|smtp]
                              [--dual]
"""

from __future__ import annotations

import argparse
import resource
import subprocess
import sys
import textwrap
import time
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
SERVERS = textwrap.dedent("""
    import asyncio, sys
    BODY = b"<button>Add to cart</button>"
    RESPONSE = (b"HTTP/1.1 200 OK\\r\\nContent-Length: %d\\r\\nConnection: close\\r\\n\\r\\n"
                % len(BODY)) + BODY
    held = []

    async def answer(reader, writer):
        await reader.readuntil(b"\\r\\n\\r\\n")
        writer.write(RESPONSE)
        await writer.drain()
        writer.close()

    async def smtp(reader, writer):
        writer.write(b"220 mx.shop.test ESMTP\\r\\n")
        while line := await reader.readline():
            verb = line[:4].upper()
            if verb == b"EHLO":
                writer.write(b"250-mx.shop.test\\r\\n250-PIPELINING\\r\\n250 8BITMIME\\r\\n")
            elif verb == b"QUIT":
                writer.write(b"221 bye\\r\\n")
                await writer.drain()
                break
            else:
                writer.write(b"250 ok\\r\\n")
        writer.close()

    async def hang(reader, writer):
        held.append(writer)  # never answers, never closes

    async def main():
        serve = smtp if sys.argv[1:2] == ["smtp"] else answer
        ok = await asyncio.start_server(serve, "127.0.0.1", 0, backlog=4096)
        port = ok.sockets[0].getsockname()[1]  # a free port; the same one on 127.0.0.2
        slow = await asyncio.start_server(hang, "127.0.0.2", port, backlog=4096)
        if "dual" in sys.argv[2:]:
            six = await asyncio.start_server(serve, "::1", port, backlog=4096)
        print("ready", port, flush=True)
        await asyncio.Event().wait()

    asyncio.run(main())
""")


def raise_fd_limit() -> int:
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    want = 4096 if hard == resource.RLIM_INFINITY else min(hard, 4096)
    if soft != resource.RLIM_INFINITY and soft < want:
        resource.setrlimit(resource.RLIMIT_NOFILE, (want, hard))
    return resource.getrlimit(resource.RLIMIT_NOFILE)[0]


def timed(run_round: Any, inventory: Any) -> tuple[float, float, Any]:
    """(wall seconds, CPU seconds, report) of one round."""
    cpu0, t0 = time.process_time(), time.monotonic()
    report = run_round(inventory, control=False)
    return time.monotonic() - t0, time.process_time() - cpu0, report


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--checks", type=int, default=1000)
    parser.add_argument("--hanging", type=float, default=0.05)
    parser.add_argument("--timeout", type=float, default=2.0)
    parser.add_argument("--type", choices=("http", "smtp"), default="http")
    parser.add_argument("--dual", action="store_true", help="hosts with address6 too (::1)")
    args = parser.parse_args()

    sys.path.insert(0, str(REPO))
    from failover.checks import run_round
    from failover.model.inventory import Inventory

    fds = raise_fd_limit()
    servers = subprocess.Popen([sys.executable, "-c", SERVERS, args.type,
                                *(["dual"] if args.dual else [])], stdout=subprocess.PIPE,
                               text=True)
    try:
        assert servers.stdout is not None
        ready, _, port = servers.stdout.readline().partition(" ")
        if ready != "ready":
            print("the local servers did not start", file=sys.stderr)
            return 1
        hanging = round(args.checks * args.hanging)
        hosts = {f"h{i:04d}": {"address": "127.0.0.2" if i < hanging else "127.0.0.1"}
                 for i in range(args.checks)}
        check: dict[str, object] = (
            {"name": "mail", "type": "smtp", "timeout": args.timeout, "port": int(port)}
            if args.type == "smtp" else
            {"name": "storefront", "type": "http", "timeout": args.timeout,
             "url": f"http://shop.test:{int(port)}/", "expect_body": "Add to cart"})
        inventory = Inventory.parse({
            "site": "shop.test", "path": "/nonexistent/inventory.yaml",
            "state_dir": "/nonexistent/.failover", "hosts": hosts,
            "ssh": {"known_hosts": "/nonexistent/known_hosts"},
            "dns": [{"provider": "powerdns", "zone": "shop.test.",
                     "api_url": "http://127.0.0.1:1", "api_key": "x",
                     "records": [{"name": "@", "type": "A"}]}],
            "checks": [check],
        })
        if args.dual:  # the baseline: the same hosts over IPv4 only, then with address6 too
            base_wall, base_cpu, _ = timed(run_round, inventory)
            inventory = inventory.replace(hosts={
                name: host.replace(address6="::1") for name, host in inventory.hosts.items()})
        wall, cpu, report = timed(run_round, inventory)
    finally:
        servers.terminate()
        servers.wait(10)

    failed = [r for r in report.results if not r.ok]
    timeouts = sum(r.detail.startswith("timeout") for r in failed)
    rss_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    ratio = wall / args.timeout
    print(f"checks: {len(report.results)}  passed: {len(report.results) - len(failed)}  "
          f"timed out: {timeouts} (expected {hanging})  other failures: "
          f"{len(failed) - timeouts}  fd limit: {fds}")
    print(f"round wall time: {wall:.2f} s = {ratio:.2f} x timeout ({args.timeout:g} s); "
          f"target <= 1.3  {'OK' if ratio <= 1.3 else 'OVER'}")
    print(f"peak RSS: {rss_mb:.0f} MB; target <= 150  {'OK' if rss_mb <= 150 else 'OVER'}")
    print(f"CPU: {cpu * 1000 / len(report.results):.2f} ms per check "
          f"({cpu:.2f} s for the round)")
    if args.dual:
        print(f"dual stack: {len(report.results)} probes; wall {wall / base_wall:.2f} x and CPU "
              f"{cpu / base_cpu:.2f} x the IPv4-only round ({base_wall:.2f} s, {base_cpu:.2f} s "
              "CPU); expected about 1 x wall (one round, concurrent) and 2 x CPU (twice the "
              "probes)")
    good = ratio <= 1.3 and rss_mb <= 150 and timeouts == hanging and len(failed) == timeouts
    return 0 if good else 1


if __name__ == "__main__":
    sys.exit(main())
