"""`make demo`: a real failover drill on the local rig, narrated.

Brings up two hosts (network namespaces with sshd, a web server and MariaDB holding the shop's
orders) and PowerDNS, shows the orders reaching the standby and a healthy round, takes the
primary's link down, runs `failover check` as cron would until the failover is done, takes an
order on the standby during the outage, then brings the primary back and fails back: the
order comes home. Prints a timeline and the DNS answers before and after. Tears everything
down.
"""

from __future__ import annotations

import sys
import tempfile
import time
from pathlib import Path

from tests.rig import Rig
from tests.rig.shopdb import create_shop, grant_shop_user, orders_count, place_order
from tests.site import ZONE, Site, WebhookReceiver

SHOP_MB = 5  # the demo shop's database: products, customers, orders (tests/rig/shopdb.py)


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
        with_shop_database(rig, site)
        primary_db, standby_db = site.primary.mariadb, site.standby.mariadb
        say("== the shop is on the primary; the standby is warmed once (files and orders)")
        if show(("validate",), site) != 0 or show(("sync", "--yes"), site) != 0:
            return 1
        say(f"orders: primary {orders_count(primary_db, 'shop')}, "
            f"standby {orders_count(standby_db, 'shop')}")
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
        ok = come_home(site) and ok
        say("\nDRILL PASSED" if ok else "\nDRILL FAILED")
        return 0 if ok else 1
    finally:
        hook.close()


def with_shop_database(rig: Rig, site: Site) -> None:
    """MariaDB on both hosts, the shop's database on the primary, and a `shopdb` sync set that
    the failover loads on the standby and the failback brings home (docs/databases.md)."""
    rig.start_databases(("mariadb",))
    create_shop(site.primary.mariadb, "shop", SHOP_MB)
    site.standby.mariadb.sql("DROP DATABASE IF EXISTS shop")  # a new standby: no copy yet
    for host in (site.primary, site.standby):
        host.mariadb.sql("DROP DATABASE IF EXISTS shop__prev; DROP DATABASE IF EXISTS shop__next")
        grant_shop_user(host.mariadb, "shop")
    options = {h.name: h.mariadb.client_options for h in (site.primary, site.standby)}
    site.edit(lambda inv: inv["sync"].append({
        "name": "shopdb", "type": "mysql", "database": "shop", "client_options": options,
        "failback": True}))
    step = {"set": "shopdb", "from": "{{ from }}", "to": "{{ to }}"}
    site.edit_playbook("failover", lambda pb: pb["steps"].insert(2, {
        "name": "The shop's database (best effort, the old host may be gone)",
        "ignore_errors": True, "sync": step}))
    site.edit_playbook("failback", lambda pb: pb["steps"].insert(2, {
        "name": "Bring the orders home", "sync": {**step, "pull": "required"}}))


def come_home(site: Site) -> bool:
    """An order taken on the standby during the outage; the primary back; a failback."""
    say("\n== a customer orders on the standby during the outage")
    order = place_order(site.standby.mariadb, "shop", note="placed during the outage")
    say(f"order {order} placed on the standby")
    say("\n== the primary's hoster restores power; the engineer fails back")
    site.primary.link_up()
    say("\n== cron's rounds see the primary healthy again (policy.recovery_threshold)")
    site.recovered("primary")
    code = show(("failback", "--yes"), site)
    found = site.primary.mariadb.sql(f"SELECT note FROM orders WHERE id = {order}", "shop")
    home = code == 0 and found == [("placed during the outage",)]
    say(f"order {order} on the primary after the failback: {'yes' if home else 'NO'}; "
        f"DNS: {site.dns()}")
    return home and site.dns() == {ZONE: [site.primary.address],
                                   "www." + ZONE: [site.primary.address]}


def main() -> int:
    rig = Rig.from_env()
    with tempfile.TemporaryDirectory(prefix="failover-demo-") as tmp, rig:
        return drill(rig, Path(tmp))


if __name__ == "__main__":
    sys.exit(main())
