"""Database sync sets through the executable, on real MariaDB and PostgreSQL servers in the rig's
hosts (tests/rig/mariadb.py, postgres.py; the shop schema of tests/rig/shopdb.py): the standby
gets the dump's rows, a reader never sees a mix, a cut link or a damaged dump leaves the last
good copies, a failover loads the mirror's dump and a failback brings the orders home, and no
password shows anywhere."""

from __future__ import annotations

import gzip
import json
import subprocess
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import NamedTuple

import pytest

from tests.rig import Rig
from tests.rig.dbserver import DatabaseServer
from tests.rig.shopdb import (
    MARIADB_SCHEMA,
    POSTGRES_SCHEMA,
    TABLES,
    create_shop,
    grant_shop_user,
    ident,
    orders_count,
    place_order,
    table_counts,
)
from tests.site import Site
from tests.synctree import tree

ENGINES = ["mysql", "postgresql"]
SMALL_MB = 5  # enough rows for every other behaviour, quick to dump and load


class Db(NamedTuple):
    """The site with a `shopdb` set of one engine, and that engine's server on each host."""

    site: Site
    engine: str
    primary: DatabaseServer
    standby: DatabaseServer

    @property
    def orders(self) -> str:
        """The orders table as the dump names it."""
        return "orders" if self.engine == "mysql" else "public.orders"


def server(rig: Rig, host: str, engine: str) -> DatabaseServer:
    found: DatabaseServer = getattr(rig.hosts[host], "mariadb" if engine == "mysql" else "postgres")
    return found


def databases_on(db: DatabaseServer, name: str = "shop") -> set[str]:
    query = ("SELECT schema_name FROM information_schema.schemata" if db.engine == "mariadb"
             else "SELECT datname FROM pg_database")
    return {r[0] for r in db.sql(query)} & {name, f"{name}__next", f"{name}__prev"}


def drop_copies(db: DatabaseServer, name: str = "shop") -> None:
    for found in sorted(databases_on(db, name)):
        db.sql(f"DROP DATABASE `{found}`" if db.engine == "mariadb"
               else f'DROP DATABASE "{found}" WITH (FORCE)')


@pytest.fixture(scope="module", params=ENGINES)
def engine(request: pytest.FixtureRequest, databases: Rig) -> Iterator[str]:
    """A small shop on the primary, once per engine and module."""
    primary = server(databases, "primary", request.param)
    create_shop(primary, "shop", SMALL_MB)
    grant_shop_user(primary, "shop")
    yield request.param
    drop_copies(primary)


def with_set(site: Site, engine: str, database: str = "shop") -> Db:
    """`site` with a `shopdb` set of `engine` for `database`; the standby holds no copy."""
    primary, standby = server(site.rig, "primary", engine), server(site.rig, "standby", engine)
    drop_copies(standby, database)
    grant_shop_user(standby, database)
    options = {h: server(site.rig, h, engine).client_options for h in ("primary", "standby")}
    site.edit(lambda inv: inv["sync"].append(
        {"name": "shopdb", "type": engine, "database": database, "client_options": options}))
    return Db(site, engine, primary, standby)


@pytest.fixture
def db(site: Site, engine: str) -> Db:
    return with_set(site, engine)


def sync(site: Site, *args: str) -> subprocess.CompletedProcess[str]:
    return site.run("sync", "shopdb", "--yes", *args, timeout=600)


def last_good_dump(site: Site) -> Path:
    return (site.state_dir / "mirror" / "shopdb").resolve()


COUNTS = "SELECT (SELECT COUNT(*) FROM orders), (SELECT COUNT(*) FROM order_lines)"


def shop_counts(server: DatabaseServer, name: str) -> tuple[int, int]:
    """What a shop page reads: orders and their lines, in one statement."""
    orders, lines = server.sql(COUNTS, name)[0]
    return int(orders), int(lines)


def shop_reads(db: Db, name: str) -> tuple[int, int]:
    """shop_counts as the shop itself reads them: as its own user (a PostgreSQL swap ends the
    shop's sessions, never a superuser's)."""
    if db.engine == "mysql":
        return shop_counts(db.standby, name)
    done = subprocess.run(["psql", "--no-psqlrc", "--no-password", "--tuples-only",
                           "--no-align", "--field-separator= ",
                           f"--dbname={db.standby.client_options} dbname={name}",
                           "--command", COUNTS], capture_output=True, text=True, check=False,
                          timeout=30)
    if done.returncode != 0:
        raise RuntimeError(done.stderr.strip())
    orders, lines = done.stdout.split()
    return int(orders), int(lines)


def test_a_sync_loads_the_standby_and_keeps_the_copy_it_replaced(db: Db) -> None:
    site, primary, standby = db.site, db.primary, db.standby
    dry = site.run("sync", "shopdb", "--dry-run")
    assert dry.returncode == 0, dry.stdout + dry.stderr
    assert f"  + {db.orders} (about " in dry.stdout, dry.stdout
    assert databases_on(standby) == set()  # the dry run changed nothing

    first = sync(site)
    assert first.returncode == 0, first.stdout + first.stderr
    assert table_counts(standby, "shop") == table_counts(primary, "shop")
    info = json.loads((last_good_dump(site) / "dump.json").read_text())
    assert info["tables"][db.orders] == orders_count(primary, "shop")

    before = orders_count(standby, "shop")
    place_order(primary, "shop", note="placed between two syncs")
    second = sync(site)
    assert second.returncode == 0, second.stdout + second.stderr
    assert orders_count(standby, "shop") == before + 1
    assert orders_count(standby, "shop__prev") == before  # the copy the push replaced
    assert databases_on(standby) == {"shop", "shop__prev"}

    back = site.run("sync", "--rollback", "shopdb", "--host", "standby", "--yes")
    assert back.returncode == 0, back.stdout + back.stderr
    assert "live as shop again" in back.stdout
    assert orders_count(standby, "shop") == before
    assert orders_count(standby, "shop__prev") == before + 1


def with_database_steps(db: Db) -> None:
    """The stock playbooks with a step for shopdb: best effort in a failover, required (and
    marked `failback: true`) in a failback."""
    step = {"set": "shopdb", "from": "{{ from }}", "to": "{{ to }}"}
    db.site.edit_playbook("failover", lambda pb: pb["steps"].insert(2, {
        "name": "The shop's database", "ignore_errors": True, "sync": step}))
    db.site.edit_playbook("failback", lambda pb: pb["steps"].insert(2, {
        "name": "Bring the orders home", "sync": {**step, "pull": "required"}}))
    db.site.edit(lambda inv: inv["sync"][-1].update(failback=True))


def test_a_damaged_dump_is_refused_before_anything_is_swapped(db: Db) -> None:
    site = db.site
    damage = "flipped byte" if db.engine == "mysql" else "truncated"  # one of each is enough
    with_database_steps(db)
    assert sync(site).returncode == 0
    held = table_counts(db.standby, "shop")
    dump = last_good_dump(site) / "dump.sql.gz"
    data = dump.read_bytes()
    dump.write_bytes(data[:100] + bytes([data[100] ^ 1]) + data[101:] if damage == "flipped byte"
                     else data[: len(data) // 2])
    with site.primary.link_down():
        done = site.run("failover", "--to", "standby", "--yes", timeout=600)
    assert done.returncode == 0, done.stdout + done.stderr  # the step's errors are ignored
    assert "is damaged" in done.stdout, done.stdout
    assert table_counts(db.standby, "shop") == held
    assert databases_on(db.standby) == {"shop"}  # nothing was staged, nothing swapped


def test_failover_loads_the_last_dump_and_failback_brings_the_orders_home(db: Db) -> None:
    site, primary, standby = db.site, db.primary, db.standby
    with_database_steps(db)
    assert sync(site).returncode == 0
    synced = orders_count(primary, "shop")
    unsynced = place_order(primary, "shop", note="taken just before the power went")

    with site.primary.link_down():
        over = site.run("failover", "--to", "standby", "--yes", timeout=600)
        assert over.returncode == 0, over.stdout + over.stderr
        assert "pushed the last good mirror (" in over.stdout, over.stdout
        assert orders_count(standby, "shop") == synced  # the mirror's dump, loaded
        during = place_order(standby, "shop", note="taken on the standby during the outage")

    try:
        site.recovered("primary")
        back = site.run("failback", "--yes", timeout=600)
        assert back.returncode == 0, back.stdout + back.stderr
        note = primary.sql(f"SELECT note FROM orders WHERE id = {during}", "shop")
        assert note == [("taken on the standby during the outage",)]
        assert orders_count(primary, "shop") == synced + 1
        # the preferred host's own copy from before the outage is kept, with its own order
        kept = primary.sql(f"SELECT note FROM orders WHERE id = {unsynced}", "shop__prev")
        assert kept == [("taken just before the power went",)]
    finally:  # the module's shop, as it was, for the tests after this one
        drop_copies(primary)
        create_shop(primary, "shop", SMALL_MB)
        grant_shop_user(primary, "shop")


def test_validate_wants_a_failback_set_brought_home_before_dns(db: Db) -> None:
    db.site.edit(lambda inv: inv["sync"][-1].update(failback=True))
    done = db.site.run("validate")
    assert done.returncode != 0
    assert "sync set shopdb is marked `failback: true` but this playbook does not bring it " \
        "home before its dns step" in done.stderr, done.stderr


def test_a_password_in_client_options_is_refused(db: Db) -> None:
    secret = "hunter2-never-shown"
    flag = "-p" if db.engine == "mysql" else "password="
    db.site.edit(lambda inv: inv["sync"][-1].update(client_options=f"--user=shop {flag}{secret}"))
    done = db.site.run("validate")
    assert done.returncode != 0
    assert "no password in client_options" in done.stderr, done.stderr
    assert "inventory.yaml:" in done.stderr, done.stderr  # file:line, as for every mistake
    assert secret not in done.stdout + done.stderr


def test_no_password_in_process_lists_output_audit_or_journals(db: Db) -> None:
    site = db.site
    with_database_steps(db)
    secrets = {db.primary.password, db.standby.password}
    seen: list[str] = []
    stop = threading.Event()

    def watch() -> None:
        while not stop.is_set():
            seen.append(subprocess.run(["ps", "-ww", "-eo", "args"], capture_output=True, text=True,
                                       check=False).stdout)

    watcher = threading.Thread(target=watch)
    watcher.start()
    try:
        done = sync(site)
        run = site.run("failover", "--to", "standby", "--yes", timeout=600)
    finally:
        stop.set()
        watcher.join()
    assert done.returncode == 0, done.stdout + done.stderr
    assert run.returncode == 0, run.stdout + run.stderr
    assert any(db.primary.client_options in listing for listing in seen)  # ps saw the dump
    files = [site.state_dir / "audit.jsonl", *(site.state_dir / "runs").glob("*.json")]
    texts = [*seen, done.stdout, done.stderr, run.stdout,
             *(f.read_text() for f in files if f.exists())]
    for secret in secrets:
        assert not any(secret in text for text in texts)
    dump = gzip.decompress((last_good_dump(site) / "dump.sql.gz").read_bytes())
    assert not any(secret.encode() in dump for secret in secrets)


def test_a_failback_pipe_step_brings_the_rows_home_before_the_flip(databases: Rig,
                                                                    site: Site) -> None:
    """Rows written on the standby while it was active, moved by a `failback: true` pipe step
    (mysqldump | mysql, no temp file) to the preferred host before DNS moves back."""
    primary, standby = databases.hosts["primary"].mariadb, databases.hosts["standby"].mariadb
    for db in (primary, standby):
        db.sql("DROP DATABASE IF EXISTS pipeshop; CREATE DATABASE pipeshop")
        db.sql("CREATE TABLE orders (id INT PRIMARY KEY, note VARCHAR(100)); "
               "INSERT INTO orders VALUES (1, 'before the outage')", "pipeshop")
        grant_shop_user(db, "pipeshop")
    dump = (f"mysqldump {standby.client_options} --no-create-info --insert-ignore "
            "--skip-add-locks pipeshop orders")
    load = f"mysql {primary.client_options} pipeshop"

    def rows_home(pb: dict[str, object]) -> None:
        steps = pb["steps"]
        assert isinstance(steps, list)
        flip = next(i for i, s in enumerate(steps) if "dns" in s)
        steps.insert(flip, {"name": "Orders taken on the standby come home", "pipe": {
            "from": {"host": "{{ from }}", "command": dump},
            "to": {"host": "{{ to }}", "command": load}, "failback": True}})

    site.edit_playbook("failback", rows_home)
    try:
        assert site.run("failover", "--to", "standby", "--yes").returncode == 0
        standby.sql("INSERT INTO orders VALUES (2, 'taken on the standby')", "pipeshop")
        site.recovered("primary")
        dry = site.run("failback", "--dry-run")
        assert "(failback: bringing home what standby wrote while it was active)" in dry.stdout
        back = site.run("failback", "--yes")
        assert back.returncode == 0, back.stdout + back.stderr
        assert primary.sql("SELECT id, note FROM orders ORDER BY id", "pipeshop") == [
            ("1", "before the outage"), ("2", "taken on the standby")]
        audit = site.audit()
        run_id = next(e["run_id"] for e in reversed(audit) if e["event"] == "run_start")
        piped = next(e["ts"] for e in audit if e["event"] == "step" and e["action"] == "pipe"
                     and e.get("run_id") == run_id and e["status"] == "ok")
        flipped = [e["ts"] for e in audit if e["event"] == "dns_change"][-1]
        assert piped < flipped  # home before DNS moved back
    finally:
        for db in (primary, standby):
            db.sql("DROP DATABASE IF EXISTS pipeshop")



def wrong_database(db: Db, name: str, script: str | None) -> None:
    """Database `name` on the primary: none (script None), or one made by `script`; the set
    pointed at it."""
    drop_copies(db.primary, name)
    if script is not None:
        db.primary.sql(f"CREATE DATABASE {ident(db.primary, name)}")
        db.primary.sql(script, name)
    for server in (db.primary, db.standby):  # the standby's copy is staged as the pull streams
        grant_shop_user(server, name)
    db.site.edit(lambda inv: inv["sync"][-1].update(database=name))


def test_a_wrong_or_empty_database_never_replaces_the_last_good_dump(db: Db) -> None:
    site = db.site
    assert sync(site).returncode == 0
    good = last_good_dump(site)
    dump, held = tree(good), table_counts(db.standby, "shop")
    schema = MARIADB_SCHEMA if db.engine == "mysql" else POSTGRES_SCHEMA
    shop_tables = sorted(db.orders.replace("orders", t) for t in TABLES)
    wrong = [  # (database, made by, what the refusal says)
        ("nowhere", None, "there holds no tables (or does not exist); the mirror keeps its last "
                          "good dump (4 tables, "),
        ("no_rows", schema, "there holds 4 tables without a row; the mirror keeps"),
        ("blog", "CREATE TABLE posts (id integer PRIMARY KEY); INSERT INTO posts VALUES (1);",
         f"would drop 4 of the mirror's 4 tables ({', '.join(shop_tables)}), more than "
         "max_delete_percent=25 (1 of 4) allows: database blog there holds 1 table. "
         "Check sync[shopdb].database and client_options first. If it is meant: "
         "--allow-deletes 4 for this run")]
    if db.engine == "postgresql":  # the gates are the same code; only the dump's parser differs
        wrong = wrong[1:2]
    try:
        for name, script, message in wrong:
            wrong_database(db, name, script)
            p = sync(site)
            assert p.returncode == 1, (name, p.stdout + p.stderr)
            assert message in p.stdout, (name, p.stdout)
            assert last_good_dump(site) == good
            assert tree(good) == dump
            assert table_counts(db.standby, "shop") == held
        if db.engine == "mysql":  # a dry run says it too (from the server's table list)
            dry = site.run("sync", "shopdb", "--dry-run")
            assert dry.returncode == 1, dry.stdout + dry.stderr
            assert "dry run FAILED: sync shopdb from primary would drop 4 of" in dry.stdout
    finally:
        for name, _, _ in wrong:
            drop_copies(db.primary, name)
            drop_copies(db.standby, name)
