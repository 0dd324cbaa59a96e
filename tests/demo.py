"""`make demo`: a real failover drill on the local rig, narrated.

Brings up two hosts (network namespaces with sshd and a web server) and PowerDNS, shows a healthy
round, takes the primary's link down, runs `failover check` as cron would until the failover is
done, then prints a timeline and the DNS answers before and after. Tears everything down.
"""

from __future__ import annotations

import sys
import tempfile
import time
from pathlib import Path

from tests.rig import Rig
from tests.site import ZONE, Site, WebhookReceiver


def say(text: str = "") -> None:
    print(text, flush=True)


def hhmmss(ts: float) -> str:
    return time.strftime("%H:%M:%S", time.localtime(ts)) + f".{int(ts % 1 * 10)}"


def show(proc_args: tuple[str, ...], site: Site) -> int:
    say(f"$ failover {' '.join(proc_args)}")
    p = site.run(*proc_args)
    for line in (p.stdout + p.stderr).rstrip().splitlines():
        say(f"  {line}")
    say(f"  (exit {p.returncode})")
    return p.returncode


def drill(rig: Rig, work: Path) -> int:
    hook = WebhookReceiver()
    try:
        site = Site(rig, work, hook)
        say("== the shop is on the primary; the standby is warmed once")
        if show(("validate",), site) != 0 or show(("run", "warm", "--to", "standby", "--yes"),
                                                   site) != 0:
            return 1
        before = site.dns()
        say(f"DNS before: {before}")
        say("\n== a healthy round")
        if show(("check",), site) != 0:
            return 1

        say("\n== the primary's hoster loses power (link down)")
        down_at = time.time()
        site.primary.link_down()
        declared = None
        for n in range(1, 8):
            say(f"\n-- cron round {n}")
            code = show(("check",), site)
            if code == 2 and declared is None:
                declared = time.time()
            if site.state().get("active") == "standby":
                break
        else:
            say("the failover did not happen")
            return 1

        say("\n== afterwards")
        show(("status",), site)
        after = site.dns()
        status, body = site.standby.get("/")
        events = site.audit()
        flipped = next(e["ts"] for e in events if e["event"] == "dns_change")
        verified = next(e["ts"] for e in events if e["event"] == "step"
                        and e["action"] == "dns_verify" and e["status"] == "ok")
        declared_at = next(e["ts"] for e in events if e["event"] == "decision"
                           and e["action"] == "failover")
        say("\ntimeline")
        say(f"  {hhmmss(down_at)}  primary down (link cut)")
        say(f"  {hhmmss(declared_at)}  declared down after 3 failed rounds; failover starts")
        say(f"  {hhmmss(flipped)}  DNS flipped to the standby")
        say(f"  {hhmmss(verified)}  every nameserver answers with the standby")
        say(f"  downtime seen by DNS: {flipped - down_at:.1f}s")
        say(f"\nDNS {ZONE} before: {before}")
        say(f"DNS {ZONE} after:  {after}")
        page = body.decode(errors="replace")
        say(f"standby serves: HTTP {status}, " + ("the shop's v2 page, from the mirror"
            if "v2" in page and "Add to cart" in page else f"an unexpected page: {page[:80]!r}"))
        say(f"notifications received: {hook.messages()}")
        ok = after == {ZONE: [site.standby.address], "www." + ZONE: [site.standby.address]}
        ok = ok and status == 200 and "v2" in page and declared is not None
        say("\nDRILL PASSED" if ok else "\nDRILL FAILED")
        return 0 if ok else 1
    finally:
        hook.close()


def main() -> int:
    rig = Rig.from_env()
    with tempfile.TemporaryDirectory(prefix="failover-demo-") as tmp, rig:
        return drill(rig, Path(tmp))


if __name__ == "__main__":
    sys.exit(main())
