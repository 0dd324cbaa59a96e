"""bench/notify: notifications never hold up a failover, even with every channel down.

On its own rig (FAILOVER_RIG_PREFIX / _NET / _PORT_OFFSET, as the tests), with the shipped
inventory and playbooks (tests/site.py) and four channels that hear every event (a JSON webhook,
a Slack-format webhook, an email channel to a real SMTP server with STARTTLS and a login, an
Apprise json:// URL), each round-trip: the primary fails at once (failure_threshold 1) and one
`failover check` round fails over. Runs alternate between every channel up and every channel down
(the webhook receiver answers 503, the mail server is stopped; deadline 5 s). Measured from the
audit log: the round's decision -> the DNS change. The ratio down / up of the medians is the
figure; target (issue 15: sending "never blocks a run"): at most 1.2 (noise on a shared machine).
The whole `check` wall time is printed beside it: with channels down it waits for the deadline
after the flip, once the shop has moved.

    FAILOVER_RIG_PREFIX=h1 FAILOVER_RIG_NET=10.203.11 FAILOVER_RIG_PORT_OFFSET=11 \\
        python -m bench.notify [--runs 3]
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from tests.rig import Rig
from tests.rig.mailserver import Mailbox
from tests.site import Site, WebhookReceiver

TARGET = 1.2
DEADLINE = "5s"


def one_run(rig: Rig, work: Path, down: bool) -> tuple[float, float, int]:
    """(decision -> DNS change, the round's wall time, messages owed) of one failover."""
    for host in rig.hosts.values():
        host.reset()
    work.mkdir(parents=True)
    hook = WebhookReceiver(status=503 if down else 200)
    box = Mailbox(rig.dir / "tls", user="failover", password="bench-pw")
    try:
        site = Site(rig, work, hook)
        site.env.update(SMTP_PASSWORD="bench-pw",
                        APPRISE_URL=hook.url.replace("http://", "json://") + "/apprise")

        def change(inv: dict[str, Any]) -> None:
            inv["policy"]["failure_threshold"] = 1
            inv["notify"] = [
                {"type": "webhook", "url": "${CHAT_WEBHOOK}", "deadline": DEADLINE},
                {"type": "webhook", "url": "${CHAT_WEBHOOK}/slack", "format": "slack",
                 "deadline": DEADLINE},
                {"type": "email", "smtp": box.address, "from": "failover@shop.test",
                 "to": ["oncall@shop.test"], "username": "failover",
                 "password": "${SMTP_PASSWORD}", "ca_file": str(box.ca_file),
                 "deadline": DEADLINE},
                {"type": "apprise", "urls": ["${APPRISE_URL}"], "deadline": DEADLINE}]
        site.edit(change)
        if down:
            box.stop()
        site.primary.stop_http()
        began = time.monotonic()
        p = site.run("check")
        wall = time.monotonic() - began
        if p.returncode != 2 or site.state().get("active") != "standby":
            raise SystemExit(f"the failover did not happen:\n{p.stdout}{p.stderr}")
        events = site.audit()
        declared = next(e["ts"] for e in events if e["event"] == "decision"
                        and e["action"] == "failover")
        flipped = next(e["ts"] for e in events if e["event"] == "dns_change")
        owed = sum(1 for e in events if e["event"] == "notify_owed")
        return flipped - declared, wall, owed
    finally:
        box.stop()
        hook.close()


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    ap.add_argument("--runs", type=int, default=3)
    args = ap.parse_args()
    rig = Rig.from_env()
    base = Path(tempfile.mkdtemp(prefix="bench-notify-"))
    rig.start()
    try:
        flips: dict[bool, list[float]] = {False: [], True: []}
        walls: dict[bool, list[float]] = {False: [], True: []}
        for n in range(args.runs):
            for down in (False, True):  # interleaved: the machine's load hits both alike
                flip, wall, owed = one_run(rig, base / f"run{n}-{int(down)}", down)
                flips[down].append(flip)
                walls[down].append(wall)
                print(f"run {n + 1}, channels {'down' if down else 'up'}: decision -> DNS "
                      f"flipped {flip:.3f}s; check round {wall:.1f}s; messages owed {owed}",
                      flush=True)
        up, down = statistics.median(flips[False]), statistics.median(flips[True])
        ratio = down / up if up else float("inf")
        print(f"decision -> DNS flipped, median: channels up {up:.3f}s, every channel down "
              f"{down:.3f}s: ratio {ratio:.2f}x; target at most {TARGET:.1f}x: "
              f"{'met' if ratio <= TARGET else 'not met'}")
        print(f"the whole check round, median: up {statistics.median(walls[False]):.1f}s, "
              f"down {statistics.median(walls[True]):.1f}s (waits up to the {DEADLINE} deadline "
              "after the flip, then owes the messages)")
    finally:
        rig.stop()
        shutil.rmtree(base, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
