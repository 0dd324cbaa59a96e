"""What differs between MariaDB/MySQL and PostgreSQL for a database set: the client programs'
argv, the SQL of the staged swap, and which dump parser reads its text (dumptext.py).

Pure: argv lists and SQL text, no I/O (database.py runs them over ssh). Identifiers reach SQL
quoted (`quote()`), database names are checked by the inventory (letters, digits, _), and every
value reaches the host as one argv word: no shell line is built from input.

The swap, on the host, once `<db>__next` holds the loaded dump and its row counts matched:
- MariaDB/MySQL: one `RENAME TABLE` moves every live table to `<db>__prev` and every staged one
  into `<db>` (atomic: a reader sees the old tables or the new ones, never a mix).
- PostgreSQL: the databases themselves are renamed (`<db>` -> `<db>__prev`, `<db>__next` ->
  `<db>`) in one transaction, the sessions on `<db>` ended first (they reconnect to the new
  one); a reader never finds `<db>` missing or half loaded.
Rollback swaps `<db>` and `<db>__prev` the same way (through `<db>__next`, whose half-loaded
copy from a failed push goes), so a second rollback undoes the first.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable

from failover.sync.dumptext import DumpParser, MySqlDumpParser, PostgresDumpParser

NEXT, PREV = "__next", "__prev"
HEARTBEAT = "failover_heartbeat"  # a replica set's row on the primary


class Dialect(ABC):
    engine: str
    dump_program: str
    client_program: str

    @abstractmethod
    def dump_argv(self, options: list[str], database: str, position: bool) -> list[str]: ...

    @abstractmethod
    def load_argv(self, options: list[str], database: str) -> list[str]:
        """The client reading a dump on stdin into `database`, stopping at the first error."""

    @abstractmethod
    def sql_argv(self, options: list[str], statements: list[str],
                 database: str | None = None) -> list[str]:
        """Run each statement in turn (stopping at the first error); rows tab-separated."""

    @abstractmethod
    def tables_sql(self, database: str) -> str:
        """One query: the tables of `database` (name, kind), as count_sql names them."""

    @abstractmethod
    def estimate_sql(self, database: str) -> str:
        """One query: (table, the server's estimate of its rows), reading no data."""

    @abstractmethod
    def quote(self, name: str) -> str: ...

    @abstractmethod
    def count_sql(self, database: str, tables: list[str]) -> str:
        """One query: (table, exact row count) for each of `tables`."""

    @abstractmethod
    def swap_sql(self, database: str, live: list[str], staged: list[str],
                 exists: set[str]) -> list[str]:
        """`<db>__next` becomes `<db>`, `<db>` becomes `<db>__prev` (the one before goes).
        `live`/`staged`: the tables of `<db>`/`<db>__next`; `exists`: which of the three
        databases are there now."""

    @abstractmethod
    def rollback_sql(self, database: str, live: list[str], prev: list[str]) -> list[str]:
        """`<db>` and `<db>__prev` change places."""

    def drop_sql(self, database: str) -> str:
        """Drop `database` if it is there, its sessions ended."""
        force = " WITH (FORCE)" if self.engine == "postgresql" else ""
        return f"DROP DATABASE IF EXISTS {self.quote(database)}{force}"

    def databases_sql(self, database: str) -> str:
        names = ", ".join(literal(database + s) for s in ("", NEXT, PREV))
        return self._databases_sql(names)

    @abstractmethod
    def _databases_sql(self, names: str) -> str: ...

    @abstractmethod
    def parser(self) -> DumpParser: ...


def literal(text: str) -> str:
    """`text` as an SQL string literal (both engines: quotes doubled, no backslash escapes
    in what this module quotes: names the inventory checked, or the server listed)."""
    return "'" + text.replace("'", "''") + "'"


def _backtick(name: str) -> str:
    return "`" + name.replace("`", "``") + "`"


def _quoted(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


class MySql(Dialect):
    engine, dump_program, client_program = "mysql", "mysqldump", "mysql"

    def dump_argv(self, options: list[str], database: str, position: bool) -> list[str]:
        where = ["--master-data=2", "--gtid"] if position else []
        return ["mysqldump", *options, "--single-transaction", "--quick", "--routines",
                "--triggers", "--events", "--hex-blob", *where, database]

    def load_argv(self, options: list[str], database: str) -> list[str]:
        return ["mysql", *options, "--batch", database]

    def sql_argv(self, options: list[str], statements: list[str],
                 database: str | None = None) -> list[str]:
        return ["mysql", *options, "--batch", "--skip-column-names", "-e",
                ";\n".join(statements), *([database] if database else [])]

    def position_sql(self) -> str:
        """1 when the dump can record the binlog position: binary log on, and (MySQL; MariaDB
        takes it without) the privileges `--master-data` needs for its short global lock."""
        return ("SELECT @@log_bin AND (@@version LIKE '%MariaDB%' OR (SELECT COUNT(DISTINCT "
                "privilege_type) FROM information_schema.user_privileges WHERE privilege_type "
                "IN ('RELOAD', 'REPLICATION CLIENT', 'SUPER')) >= 2)")

    # -- replicas (`mode: replica`) ---------------------------------------------------------

    def replica_argv(self, options: list[str]) -> list[str]:
        """The replica's status, one `Key: value` per line (none on a server that is not one)."""
        return ["mysql", *options, "--vertical", "-e", "SHOW SLAVE STATUS"]

    def heartbeat_sql(self, database: str) -> list[str]:
        """On the primary: the time now, in a row that replicates (pt-heartbeat's way: what a
        replica holds of it says how old its data is, also once the primary is gone)."""
        table = f"{_backtick(database)}.{_backtick(HEARTBEAT)}"
        return [f"CREATE TABLE IF NOT EXISTS {table} "
                "(id TINYINT UNSIGNED NOT NULL PRIMARY KEY, at DATETIME(6) NOT NULL)",
                f"INSERT INTO {table} VALUES (1, UTC_TIMESTAMP(6)) "  # noqa: S608
                "ON DUPLICATE KEY UPDATE at = VALUES(at)"]

    def heartbeat_age_sql(self, database: str) -> str:
        """On a replica: seconds since the last heartbeat it holds was written."""
        return (f"SELECT TIMESTAMPDIFF(MICROSECOND, at, UTC_TIMESTAMP(6)) / 1e6 FROM "  # noqa: S608
                f"{_backtick(database)}.{_backtick(HEARTBEAT)} WHERE id = 1")

    def promote_sql(self) -> list[str]:
        """The replica stops applying the old primary's changes and takes writes (its
        replication settings stay: re-seeding it later is docs/databases.md's)."""
        return ["STOP SLAVE", "SET GLOBAL read_only = OFF"]

    def tables_sql(self, database: str) -> str:
        return ("SELECT table_name, table_type FROM information_schema.tables "  # noqa: S608
                f"WHERE table_schema = {literal(database)} ORDER BY table_name")

    def estimate_sql(self, database: str) -> str:
        return ("SELECT table_name, table_rows FROM information_schema.tables "  # noqa: S608
                f"WHERE table_schema = {literal(database)} AND table_type = 'BASE TABLE'")

    def quote(self, name: str) -> str:
        return _backtick(name)

    def count_sql(self, database: str, tables: list[str]) -> str:
        db = _backtick(database)
        return " UNION ALL ".join(
            f"SELECT {literal(t)}, COUNT(*) FROM {db}.{_backtick(t)}"  # noqa: S608
            for t in tables)

    def swap_sql(self, database: str, live: list[str], staged: list[str],
                 exists: set[str]) -> list[str]:
        db, nxt, prev = (_backtick(database + s) for s in ("", NEXT, PREV))
        moves = [f"{db}.{_backtick(t)} TO {prev}.{_backtick(t)}" for t in live]
        moves += [f"{nxt}.{_backtick(t)} TO {db}.{_backtick(t)}" for t in staged]
        keep = [f"DROP DATABASE IF EXISTS {prev}", f"CREATE DATABASE {prev}"] if live else []
        return [f"CREATE DATABASE IF NOT EXISTS {db}", *keep,
                "RENAME TABLE " + ", ".join(moves), f"DROP DATABASE {nxt}"]

    def rollback_sql(self, database: str, live: list[str], prev: list[str]) -> list[str]:
        db, old, via = (_backtick(database + s) for s in ("", PREV, NEXT))
        moves = [f"{db}.{_backtick(t)} TO {via}.{_backtick(t)}" for t in live]
        moves += [f"{old}.{_backtick(t)} TO {db}.{_backtick(t)}" for t in prev]
        moves += [f"{via}.{_backtick(t)} TO {old}.{_backtick(t)}" for t in live]
        return [f"DROP DATABASE IF EXISTS {via}", f"CREATE DATABASE {via}",
                "RENAME TABLE " + ", ".join(moves), f"DROP DATABASE {via}"]

    def _databases_sql(self, names: str) -> str:
        return ("SELECT schema_name FROM information_schema.schemata "  # noqa: S608
                f"WHERE schema_name IN ({names})")

    def parser(self) -> DumpParser:
        return MySqlDumpParser()


class Postgres(Dialect):
    engine, dump_program, client_program = "postgresql", "pg_dump", "psql"

    def dump_argv(self, options: list[str], database: str, position: bool) -> list[str]:
        del position  # pg_dump does not record the WAL position
        flags, dbname = _connect(options, database)
        return ["pg_dump", *flags, "--no-password", "--format=plain", dbname]

    def load_argv(self, options: list[str], database: str) -> list[str]:
        flags, dbname = _connect(options, database)
        return ["psql", *flags, "--no-password", "--no-psqlrc", "--quiet",
                "--set=ON_ERROR_STOP=1", "--single-transaction", "--output=/dev/null", dbname]

    def sql_argv(self, options: list[str], statements: list[str],
                 database: str | None = None) -> list[str]:
        each = [word for s in statements for word in ("--command", s)]
        flags, dbname = _connect(options, database or "postgres")
        return ["psql", *flags, "--no-password", "--no-psqlrc", "--tuples-only",
                "--no-align", "--field-separator=\t", "--set=ON_ERROR_STOP=1", *each, dbname]

    def tables_sql(self, database: str) -> str:
        del database  # the session is connected to it
        return ("SELECT quote_ident(schemaname) || '.' || quote_ident(tablename), 'BASE TABLE' "
                "FROM pg_tables WHERE schemaname NOT IN ('pg_catalog', 'information_schema') "
                "ORDER BY 1")

    def estimate_sql(self, database: str) -> str:
        del database
        return ("SELECT quote_ident(schemaname) || '.' || quote_ident(relname), n_live_tup "
                "FROM pg_stat_user_tables")

    def quote(self, name: str) -> str:
        return _quoted(name)

    def count_sql(self, database: str, tables: list[str]) -> str:
        del database
        return " UNION ALL ".join(
            f"SELECT {literal(t)}, COUNT(*) FROM {t}" for t in tables)  # noqa: S608

    def swap_sql(self, database: str, live: list[str], staged: list[str],
                 exists: set[str]) -> list[str]:
        del staged
        db, nxt, prev = (database + s for s in ("", NEXT, PREV))
        into_place = f"ALTER DATABASE {_quoted(nxt)} RENAME TO {_quoted(db)}"
        if db in exists and live:
            return [self.drop_sql(prev), _transaction(
                [*_ended(db), f"ALTER DATABASE {_quoted(db)} RENAME TO {_quoted(prev)}",
                 into_place])]
        if db in exists:  # an empty one is not kept: a rollback to it would empty the shop
            return [f"DROP DATABASE {_quoted(db)} WITH (FORCE)", into_place]
        return [into_place]

    def rollback_sql(self, database: str, live: list[str], prev: list[str]) -> list[str]:
        del live, prev
        db, old, via = (database + s for s in ("", PREV, NEXT))
        return [self.drop_sql(via), _transaction([
            *_ended(db), *_ended(old), f"ALTER DATABASE {_quoted(db)} RENAME TO {_quoted(via)}",
            f"ALTER DATABASE {_quoted(old)} RENAME TO {_quoted(db)}",
            f"ALTER DATABASE {_quoted(via)} RENAME TO {_quoted(old)}"])]

    def _databases_sql(self, names: str) -> str:
        return f"SELECT datname FROM pg_database WHERE datname IN ({names})"  # noqa: S608

    def parser(self) -> DumpParser:
        return PostgresDumpParser()


def _connect(options: list[str], database: str) -> tuple[list[str], str]:
    """psql/pg_dump options, and the one `--dbname=` argument that selects `database`.

    `client_options` may hold libpq connection keywords (`host=/run/postgresql user=shop
    passfile=/etc/failover/pgpass`: the way to name a password file without an environment
    variable), options (`--host=... --username=...`), or both. The keywords and `dbname=`
    travel as one conninfo, since a database name given apart would replace it."""
    keywords = [w for w in options if "=" in w and not w.startswith("-")]
    flags = [w for w in options if w not in keywords]
    return flags, "--dbname=" + " ".join([*keywords, f"dbname={database}"])


def _ended(database: str) -> list[str]:
    """End the sessions on `database` that this user may end (a superuser's stay: the rename
    then waits 5 s for them and fails, and the transaction changes nothing)."""
    return ["SELECT count(pg_terminate_backend(a.pid)) FROM pg_stat_activity a "  # noqa: S608
            "JOIN pg_roles r ON r.oid = a.usesysid "
            f"WHERE a.datname = {literal(database)} AND a.pid <> pg_backend_pid() AND "
            "(NOT r.rolsuper OR (SELECT rolsuper FROM pg_roles WHERE rolname = current_user))"]


def _transaction(statements: list[str]) -> str:
    """One psql command: the statements in one transaction (renames: all or none)."""
    return "; ".join(["BEGIN", *statements, "COMMIT"])


DIALECTS: dict[str, Callable[[], Dialect]] = {"mysql": MySql, "postgresql": Postgres}
