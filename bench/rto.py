"""bench/rto: from "declared down" to "DNS flipped" when the primary's link is cut.

On its own rig (FAILOVER_RIG_PREFIX / _NET / _PORT_OFFSET, as the tests), with the shipped
inventory and playbooks (tests/site.py): warm the standby, cut the primary's link, run
`failover check` as cron does until it fails over, then read the audit log: the `decision` event
of the round that fails over, and the `dns_change` event. Each step's time comes from the run's
journal. Several runs, each on a fresh site; the median is compared with the target.
Target (issue): at most 1.0 s.

    FAILOVER_RIG_PREFIX=h1 FAILOVER_RIG_NET=10.203.11 FAILOVER_RIG_PORT_OFFSET=11 \\
        python -m bench.rto [--runs 5]
"""

from __future__ import annotations

import argparse
import json
import shutil
import statistics
import sys
import tempfile
from pathlib import Path

from tests.rig import Rig
from tests.site import Site, WebhookReceiver

TARGET = 1.0


def one_run(rig: Rig, work: Path, hook: WebhookReceiver) -> tuple[float, list[tuple[str, float]]]:
    """(seconds from the decision to the DNS change, [(step, seconds)]) of one failover."""
    for host in rig.hosts.values():
        host.reset()
    work.mkdir(parents=True)
    site = Site(rig, work, hook)
    warm = site.run("run", "warm", "--to", "standby", "--yes")
    if warm.returncode != 0:
        raise SystemExit(f"warming the standby failed:\n{warm.stdout}{warm.stderr}")
    site.primary.link_down()
    for _ in range(6):
        if site.run("check").returncode == 2 and site.state().get("active") == "standby":
            break
    else:
        raise SystemExit("the failover did not happen within 6 rounds")
    events = site.audit()
    declared = next(e["ts"] for e in events if e["event"] == "decision"
                    and e["action"] == "failover")
    flipped = next(e["ts"] for e in events if e["event"] == "dns_change")
    run_id = next(e["run_id"] for e in events if e["event"] == "run_start"
                  and e["ts"] >= declared)
    journal = json.loads((site.state_dir / "runs" / f"{run_id}.json").read_text())
    steps = [(f"{s['action']} ({s['status']})", s["finished_at"] - s["started_at"])
             for s in journal["steps"]]
    steps.insert(0, ("decision -> first step", journal["steps"][0]["started_at"] - declared))
    return flipped - declared, steps


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    ap.add_argument("--runs", type=int, default=5)
    args = ap.parse_args()
    rig = Rig.from_env()
    base = Path(tempfile.mkdtemp(prefix="bench-rto-"))
    hook = WebhookReceiver()
    rig.start()
    try:
        times: list[float] = []
        for n in range(args.runs):
            took, steps = one_run(rig, base / f"run{n}", hook)
            times.append(took)
            print(f"run {n + 1}: declared down -> DNS flipped {took:.3f}s; "
                  + ", ".join(f"{name} {s:.3f}s" for name, s in steps), flush=True)
        median = statistics.median(times)
        print(f"declared down -> DNS flipped, median of {len(times)}: {median:.3f}s "
              f"(min {min(times):.3f}s, max {max(times):.3f}s); target at most {TARGET:.1f} s: "
              f"{'met' if median <= TARGET else 'not met'}")
    finally:
        hook.close()
        rig.stop()
        shutil.rmtree(base, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
