"""`mode: replica` on a real MariaDB primary/replica pair in the rig (tests/rig/mariadb.py
`replicate`): a sync checks the replica and records how old its data is, a failover with the
primary gone promotes it (replication stopped, writable), and a replica older than max_age is
promoted only with --accept-stale."""

from __future__ import annotations

import subprocess
import time
from collections.abc import Iterator

import pytest

from tests.rig import Rig
from tests.rig.mariadb import MariaDb, replicate, stop_replication
from tests.rig.shopdb import create_shop, grant_shop_user, orders_count, place_order
from tests.site import Site

PROMOTE = {"name": "Make the replica the primary",
           "sync": {"set": "shopdb", "from": "{{ from }}", "to": "{{ to }}", "promote": True}}


APP_PASSWORD = "app-only-in-tests"
TAKE_ORDER = ("INSERT INTO orders (customer_id, status, total_cents, note, created_at) "
              "VALUES (1, 'paid', 100, 'taken by the shop', NOW())")


def replica_state(db: MariaDb) -> dict[str, str]:
    rows = db.sql_dicts("SHOW SLAVE STATUS")
    return rows[0] if rows else {}


def as_shop(db: MariaDb, sql: str) -> subprocess.CompletedProcess[str]:
    """`sql` as the shop application's own user, `app` (read_only applies to it; failover's
    user may ignore it: READ_ONLY ADMIN is what lets it promote a replica)."""
    return subprocess.run(["mariadb", "--no-defaults", f"--socket={db.socket}", "--user=app",
                           "shop", "-e", sql], capture_output=True, text=True, check=False,
                          timeout=30, env={"MYSQL_PWD": APP_PASSWORD, "PATH": "/usr/bin:/bin"})


@pytest.fixture
def replica(site: Site, databases: Rig) -> Iterator[Site]:
    """The standby replicates the primary's shop; a `mode: replica` set, promoted by the
    failover playbook."""
    primary, standby = site.primary.mariadb, site.standby.mariadb
    create_shop(primary, "shop", 2)
    for db in (primary, standby):
        grant_shop_user(db, "shop")
        # the heartbeat (UPDATE), reading the replica's state and promoting it
        db.sql("SET sql_log_bin = 0; GRANT UPDATE ON `shop`.* TO shop@localhost; "
               "GRANT REPLICA MONITOR, REPLICATION SLAVE ADMIN, READ_ONLY ADMIN ON *.* "
               "TO shop@localhost; CREATE USER IF NOT EXISTS app@localhost IDENTIFIED BY "
               f"'{APP_PASSWORD}'; GRANT SELECT, INSERT ON `shop`.* TO app@localhost")
    replicate(primary, standby)
    site.edit(lambda inv: inv["sync"].append({
        "name": "shopdb", "type": "mysql", "mode": "replica", "database": "shop",
        "client_options": {h: site.rig.hosts[h].mariadb.client_options
                           for h in ("primary", "standby")}, "max_age": "1m"}))
    site.edit_playbook("failover", lambda pb: pb["steps"].insert(2, PROMOTE))
    try:
        yield site
    finally:
        stop_replication(standby)
        for db in (primary, standby):
            db.sql("DROP DATABASE IF EXISTS shop")


def test_a_sync_checks_the_replica_and_a_failover_promotes_it(replica: Site) -> None:
    site, primary, standby = replica, replica.primary.mariadb, replica.standby.mariadb
    done = site.run("sync", "shopdb", "--yes")
    assert done.returncode == 0, done.stdout + done.stderr
    assert "push shopdb mirror -> standby via replication: replica on standby: replicating; " \
           "its data is " in done.stdout, done.stdout
    assert replica_state(standby)["Slave_SQL_Running"] == "Yes"  # nothing was loaded on it
    pushed = site.state()["mirrors"]["shopdb"]["pushed"]["standby"]
    assert time.time() - pushed < 30

    order = place_order(primary, "shop", note="replicated before the outage")
    deadline = time.monotonic() + 30
    while orders_count(standby, "shop") != orders_count(primary, "shop"):
        assert time.monotonic() < deadline, "the order did not replicate"
        time.sleep(0.1)
    refused = as_shop(standby, TAKE_ORDER)
    assert refused.returncode != 0
    assert "--read-only" in refused.stderr, refused.stderr  # a replica takes no orders

    with site.primary.link_down():
        dry = site.run("failover", "--to", "standby", "--dry-run")
        assert dry.returncode == 0, dry.stdout + dry.stderr
        assert "would stop replication on standby and would make it writable" in dry.stdout
        assert standby.sql("SELECT @@read_only") == [("1",)]  # the dry run changed nothing
        over = site.run("failover", "--to", "standby", "--yes", timeout=300)
    assert over.returncode == 0, over.stdout + over.stderr
    assert "promoted standby:" in over.stdout, over.stdout
    assert standby.sql("SELECT @@read_only") == [("0",)]
    assert replica_state(standby)["Slave_SQL_Running"] == "No"
    assert standby.sql(f"SELECT note FROM orders WHERE id = {order}", "shop") == \
        [("replicated before the outage",)]
    wrote = as_shop(standby, TAKE_ORDER)
    assert wrote.returncode == 0, wrote.stderr  # the shop takes orders on the standby now


def test_a_replica_older_than_max_age_is_promoted_only_with_accept_stale(replica: Site) -> None:
    site, primary, standby = replica, replica.primary.mariadb, replica.standby.mariadb
    site.edit(lambda inv: inv["sync"][-1].update(max_age="3s"))
    assert site.run("sync", "shopdb", "--yes").returncode == 0
    standby.sql("STOP SLAVE SQL_THREAD")  # the replica falls behind: nothing more is applied
    lost = place_order(primary, "shop", note="never applied on the replica")
    time.sleep(4)

    with site.primary.link_down():
        refused = site.run("failover", "--to", "standby", "--yes", timeout=300)
        assert refused.returncode != 0, refused.stdout + refused.stderr
        assert "max_age" in refused.stdout + refused.stderr
        assert "--accept-stale" in refused.stdout + refused.stderr
        assert standby.sql("SELECT @@read_only") == [("1",)]
        forced = site.run("failover", "--to", "standby", "--yes", "--accept-stale", timeout=300)
    assert forced.returncode == 0, forced.stdout + forced.stderr
    assert "promoted standby:" in forced.stdout, forced.stdout
    assert standby.sql("SELECT @@read_only") == [("0",)]
    assert standby.sql(f"SELECT COUNT(*) FROM orders WHERE id = {lost}", "shop") == [("0",)]


def test_validate_wants_the_failover_to_promote_a_replica(replica: Site) -> None:
    site = replica
    site.edit_playbook("failover", lambda pb: pb["steps"].pop(2))
    done = site.run("validate")
    assert done.returncode != 0
    assert "sync set shopdb is marked `mode: replica` but this playbook does not promote it " \
           "before its dns step" in done.stderr, done.stderr
    site.edit(lambda inv: inv["sync"][-1].update(mode="dump"))
    site.edit_playbook("failover", lambda pb: pb["steps"].insert(2, PROMOTE))
    done = site.run("validate")
    assert done.returncode != 0
    assert "sync set shopdb is not `mode: replica`; only a replica is promoted" in done.stderr
