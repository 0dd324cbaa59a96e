"""The rig's database servers (tests/rig/databases.py, shopdb.py): real MariaDB and PostgreSQL on
both hosts, reached the way the tool will reach them: its client programs over the rig's ssh,
as ``shop`` through the host's ``client_options``, with no password on any command line."""

from __future__ import annotations

import socket
import subprocess

import pytest

from tests.rig import Rig, RigHost
from tests.rig.databases import DatabaseServer, MariaDb, Postgres, lag, replicate, stop_replication
from tests.rig.proc import wait_until
from tests.rig.shopdb import (
    TABLES,
    create_shop,
    grant_shop_user,
    orders_count,
    place_order,
    table_counts,
)

ENGINES = ["mariadb", "postgresql"]


def server(host: RigHost, engine: str) -> DatabaseServer:
    return host.mariadb if engine == "mariadb" else host.postgres


def ssh(host: RigHost, argv: list[str], *secrets: str) -> str:
    """Run ``argv`` on ``host`` over ssh; the command line must not carry any of ``secrets``."""
    assert secrets
    assert not [s for s in secrets if s in " ".join(argv)]
    cp = host.ssh(argv, timeout=120)
    assert cp.returncode == 0, cp.stderr
    return cp.stdout


def ssh_pipe(src: RigHost, src_argv: list[str], dst: RigHost, dst_argv: list[str],
             *secrets: str) -> None:
    """``ssh src src_argv | ssh dst dst_argv``: a dump carried from one host into the other."""
    assert not [s for s in secrets if s in " ".join([*src_argv, *dst_argv])]
    dump = subprocess.Popen(src.client.ssh_argv(src.address, src_argv), stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, stdin=subprocess.DEVNULL)
    assert dump.stdout is not None
    try:
        load = subprocess.run(dst.client.ssh_argv(dst.address, dst_argv), stdin=dump.stdout,
                              capture_output=True, text=True, timeout=120, check=False)
    finally:
        dump.stdout.close()
        _, dump_err = dump.communicate(timeout=120)
    assert dump.returncode == 0, dump_err.decode()
    assert load.returncode == 0, load.stderr


def _mysql(db: MariaDb, *args: str) -> list[str]:
    return ["mariadb", db.client_options, "--batch", "--skip-column-names", *args]


def _psql(db: Postgres, database: str, *args: str) -> list[str]:
    return ["psql", "--no-psqlrc", "--no-password", "--quiet", "--set=ON_ERROR_STOP=1",
            db.dbname_option(database), *args]


@pytest.mark.parametrize("engine", ENGINES)
def test_each_host_runs_its_own_server(databases: Rig, engine: str) -> None:
    p, s = server(databases.primary, engine), server(databases.standby, engine)
    assert p.sql("SELECT 40 + 2") == [("42",)]
    p.sql("CREATE DATABASE only_on_primary")
    try:
        names = "SHOW DATABASES" if engine == "mariadb" else "SELECT datname FROM pg_database"
        assert ("only_on_primary",) in p.sql(names)
        assert ("only_on_primary",) not in s.sql(names)
    finally:
        p.sql("DROP DATABASE only_on_primary")
    for db in (p, s):  # the rig address answers too: the other host (replication) comes in there
        with socket.create_connection((db.address, db.port), timeout=2):
            pass
        assert db.client_file.stat().st_mode & 0o777 == 0o600


def test_postgres_shop_reaches_the_other_host_over_the_rig_network(databases: Rig) -> None:
    p = databases.primary.postgres
    conninfo = f"host={p.address} port=5432 user=shop passfile={p.client_file} dbname=postgres"
    out = ssh(databases.standby, ["psql", "--no-psqlrc", "--no-password", "--tuples-only",
                                  "--no-align", f"--dbname={conninfo}", "--command",
                                  "SELECT current_user, host(inet_server_addr()),"
                                  " host(inet_client_addr())"], p.password)
    assert out.strip() == f"shop|{p.address}|{databases.standby.address}"


@pytest.mark.parametrize("engine", ENGINES)
def test_create_shop_and_place_orders(databases: Rig, engine: str) -> None:
    db = server(databases.primary, engine)
    counts = create_shop(db, "shop_counts", size_mb=1, seed=3)
    assert list(counts) == list(TABLES)
    assert counts["orders"] > 1000
    assert counts["order_lines"] > 2 * counts["orders"]
    assert table_counts(db, "shop_counts") == counts
    totals = db.sql("SELECT (SELECT sum(total_cents) FROM orders),"
                    " (SELECT sum(quantity * price_cents) FROM order_lines)", "shop_counts")
    assert totals[0][0] == totals[0][1]  # each order's total matches its lines

    first = place_order(db, "shop_counts", note="it's a \\ note")
    second = place_order(db, "shop_counts")
    assert (first, second) == (counts["orders"] + 1, counts["orders"] + 2)
    assert orders_count(db, "shop_counts") == counts["orders"] + 2
    assert db.sql(f"SELECT note, status FROM orders WHERE id = {first}", "shop_counts") == [
        ("it's a \\ note", "paid")]
    lines = db.sql(f"SELECT COUNT(*) FROM order_lines WHERE order_id = {first}", "shop_counts")
    assert int(lines[0][0]) in (1, 2)
    again = create_shop(db, "shop_counts", size_mb=1, seed=4)  # replaces the database
    assert again == counts


def test_shop_copies_a_mariadb_shop_over_ssh_and_swaps_it_in(databases: Rig) -> None:
    """mariadb-dump on the primary | mariadb into NAME__next on the standby, then RENAME TABLE:
    all as shop, through --defaults-file=<hostdir>/my.cnf."""
    p, s = databases.primary.mariadb, databases.standby.mariadb
    fresh, stale = create_shop(p, "shop_swap", 2, seed=1), create_shop(s, "shop_swap", 1, seed=2)
    place_order(p, "shop_swap", note="placed on the primary")
    for db in (p, s):
        grant_shop_user(db, "shop_swap")
    secrets = (p.password, s.password)
    ssh(databases.standby, _mysql(s, "-e", "DROP DATABASE IF EXISTS shop_swap__next;"
                                  " CREATE DATABASE shop_swap__next"), *secrets)
    ssh_pipe(databases.primary, ["mariadb-dump", p.client_options, "--single-transaction",
                                 "--routines", "--triggers", "--events", "--master-data=2",
                                 "--gtid", "shop_swap"],
             databases.standby, _mysql(s, "shop_swap__next"), *secrets)
    renames = ", ".join(f"shop_swap.{t} TO shop_swap__prev.{t}, shop_swap__next.{t} TO"
                        f" shop_swap.{t}" for t in TABLES)
    ssh(databases.standby, _mysql(s, "-e", "DROP DATABASE IF EXISTS shop_swap__prev;"
                                  f" CREATE DATABASE shop_swap__prev; RENAME TABLE {renames};"
                                  " DROP DATABASE shop_swap__next"), *secrets)
    assert table_counts(s, "shop_swap") == table_counts(p, "shop_swap")
    assert table_counts(s, "shop_swap")["orders"] == fresh["orders"] + 1
    assert table_counts(s, "shop_swap__prev") == stale
    assert s.sql("SELECT note FROM orders ORDER BY id DESC LIMIT 1", "shop_swap") == [
        ("placed on the primary",)]
    for db in (p, s):
        db.sql("DROP DATABASE shop_swap; DROP DATABASE IF EXISTS shop_swap__prev")


def test_shop_copies_a_postgres_shop_over_ssh_and_swaps_it_in(databases: Rig) -> None:
    """pg_dump on the primary | psql into NAME__next on the standby, then ALTER DATABASE RENAME:
    all as shop, through '--dbname=<client_options> dbname=<db>'."""
    p, s = databases.primary.postgres, databases.standby.postgres
    fresh, stale = create_shop(p, "shop_swap", 2, seed=1), create_shop(s, "shop_swap", 1, seed=2)
    place_order(p, "shop_swap", note="placed on the primary")
    for db in (p, s):
        grant_shop_user(db, "shop_swap")
    secrets = (p.password, s.password)
    ssh(databases.standby, _psql(s, "postgres", "--command=DROP DATABASE IF EXISTS shop_swap__next",
                                 "--command=CREATE DATABASE shop_swap__next"), *secrets)
    ssh_pipe(databases.primary, ["pg_dump", "--no-password", p.dbname_option("shop_swap")],
             databases.standby, _psql(s, "shop_swap__next"), *secrets)
    ssh(databases.standby, _psql(s, "postgres", "--command=DROP DATABASE IF EXISTS shop_swap__prev",
                                 "--command=ALTER DATABASE shop_swap RENAME TO shop_swap__prev",
                                 "--command=ALTER DATABASE shop_swap__next RENAME TO shop_swap"),
        *secrets)
    assert table_counts(s, "shop_swap") == table_counts(p, "shop_swap")
    assert table_counts(s, "shop_swap")["orders"] == fresh["orders"] + 1
    assert table_counts(s, "shop_swap__prev") == stale
    assert s.sql("SELECT note FROM orders ORDER BY id DESC LIMIT 1", "shop_swap") == [
        ("placed on the primary",)]
    assert place_order(s, "shop_swap") == fresh["orders"] + 2  # the identity came along
    for db in (p, s):
        db.sql("DROP DATABASE shop_swap WITH (FORCE)")
        db.sql("DROP DATABASE IF EXISTS shop_swap__prev")


def test_mariadb_replication_carries_an_order_to_the_standby(databases: Rig) -> None:
    p, s = databases.primary.mariadb, databases.standby.mariadb
    create_shop(p, "shop_repl", 1)
    grant_shop_user(s, "shop_repl")
    assert lag(s) is None
    replicate(p, s)
    try:
        assert table_counts(s, "shop_repl") == table_counts(p, "shop_repl")
        order = place_order(p, "shop_repl", note="replicated")

        def arrived() -> bool:
            return s.sql(f"SELECT note FROM orders WHERE id = {order}", "shop_repl") == [
                ("replicated",)]

        assert wait_until(arrived, 20.0)
        assert lag(s) == 0.0
        assert s.sql("SELECT @@read_only") == [("1",)]
        refused = databases.standby.ssh(_mysql(s, "shop_repl", "-e",
                                               "INSERT INTO orders (customer_id, status,"
                                               " total_cents, created_at) VALUES (1, 'x', 0,"
                                               " NOW())"))
        assert refused.returncode == 1
        assert "--read-only" in refused.stderr
    finally:
        stop_replication(s)
    assert lag(s) is None
    assert s.sql("SELECT @@read_only") == [("0",)]
    for db in (p, s):
        db.sql("DROP DATABASE shop_repl")


@pytest.mark.parametrize("engine", ENGINES)
def test_a_killed_server_comes_back_with_its_committed_orders(databases: Rig, engine: str) -> None:
    db = server(databases.standby, engine)
    create_shop(db, "shop_crash", 0.2)
    order = place_order(db, "shop_crash", note="committed")
    db.kill()
    assert not db.running()
    with pytest.raises(ConnectionRefusedError):
        socket.create_connection((db.address, db.port), timeout=2).close()
    db.start()
    assert db.sql(f"SELECT note FROM orders WHERE id = {order}", "shop_crash") == [("committed",)]
    db.sql("DROP DATABASE shop_crash")
