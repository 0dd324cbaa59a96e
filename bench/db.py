"""bench/db: a database set's sync of a 200 MB MariaDB shop against a bare dump-and-load pipe.

Ours: `failover sync` of a `type: mysql` set (sync/cycle.py), everything included: the dump
compressed on the primary and streamed into the mirror (hashed, its rows counted), the standby's
`shop__next` loaded from the same stream, its row counts checked, the swap (the copy before it
dropped, the live one kept as `shop__prev`).
Baseline, in the same run on the same servers: `ssh primary mysqldump ... shop | ssh standby
mysql ... bare` into an empty database (what a shop's admin would script by hand), the same
dump options but the position.
Target (issue 8): ours <= 1.2x the baseline.

The runs alternate (baseline first, then ours), each after the page cache was flushed and the
standby settled (`sync`); the medians are compared and every round is printed.

    FAILOVER_RIG_PREFIX=b8 FAILOVER_RIG_NET=10.203.48 FAILOVER_RIG_PORT_OFFSET=48 python -m bench.db
"""

from __future__ import annotations

import argparse
import shlex
import statistics
import subprocess
import tempfile
import time
from pathlib import Path

from bench.rigsite import inventory_doc
from failover.model.inventory import Inventory
from failover.sync.cycle import plan_sync, run_sync
from tests.rig import Rig
from tests.rig.shopdb import create_shop, grant_shop_user, table_counts

TARGET = 1.2


def inventory(rig: Rig, work: Path) -> Inventory:
    return Inventory.parse(inventory_doc(rig, work, work, [
        {"name": "shopdb", "type": "mysql", "database": "shop",
         "client_options": {h: rig.hosts[h].mariadb.client_options for h in rig.hosts}}]))


def bare(rig: Rig) -> None:
    """ssh primary mysqldump | ssh standby mysql, into an empty database `bare`."""
    primary, standby = rig.primary.mariadb, rig.standby.mariadb
    ssh = shlex.join(["ssh", *rig.ssh_options()])
    dump = shlex.join(["mysqldump", primary.client_options, "--single-transaction", "--quick",
                       "--routines", "--triggers", "--events", "--hex-blob", "shop"])
    load = shlex.join(["mysql", standby.client_options, "bare"])
    subprocess.run(f"{ssh} root@{rig.primary.address} {shlex.quote(dump)} | "
                   f"{ssh} root@{rig.standby.address} {shlex.quote(load)}",
                   shell=True, check=True)


def settle() -> None:
    subprocess.run(["sync"], check=True)
    Path("/proc/sys/vm/drop_caches").write_text("1\n")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--mb", type=float, default=200.0, help="the shop's dump size")
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    rig = Rig.from_env()
    rig.start()
    try:
        rig.start_databases()
        primary, standby = rig.primary.mariadb, rig.standby.mariadb
        started = time.monotonic()
        counts = create_shop(primary, "shop", args.mb)
        print(f"shop: {counts} ({time.monotonic() - started:.1f}s to fill)")
        for db in (primary, standby):
            grant_shop_user(db, "shop")
            grant_shop_user(db, "bare")
        with tempfile.TemporaryDirectory(prefix="bench-db-") as tmp:
            inv = inventory(rig, Path(tmp))
            plan = plan_sync(inv, "primary", ["shopdb"], None, ["standby"])
            times: dict[str, list[float]] = {"bare": [], "ours": []}
            for round_ in range(1, args.rounds + 1):
                standby.sql("DROP DATABASE IF EXISTS bare; CREATE DATABASE bare")
                settle()
                t0 = time.monotonic()
                bare(rig)
                times["bare"].append(time.monotonic() - t0)
                settle()
                t0 = time.monotonic()
                run = run_sync(inv, plan, dry_run=False)
                times["ours"].append(time.monotonic() - t0)
                assert run.ok, [t.error for t in run.transfers]
                assert table_counts(standby, "shop") == counts
                print(f"round {round_}: bare {times['bare'][-1]:.2f}s, "
                      f"ours {times['ours'][-1]:.2f}s")
            base, ours = statistics.median(times["bare"]), statistics.median(times["ours"])
            ratio = ours / base
            print(f"median: bare {base:.2f}s, failover sync {ours:.2f}s: {ratio:.2f}x "
                  f"(target <= {TARGET}x: {'met' if ratio <= TARGET else 'not met'})")
    finally:
        rig.stop()


if __name__ == "__main__":
    main()
