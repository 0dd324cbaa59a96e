"""MariaDB per rig host (RECIPE 5c), and real GTID replication between two hosts.

Server: ``ip netns exec NS mariadbd --no-defaults --user=root`` with its data dir, socket and
binary logs in ``<hostdir>/mariadb/``; it listens on the socket, 127.0.0.1:3306 and the host's
rig address :3306 (``--bind-address`` takes a list since 10.11).  Binary logging is always on
(``--log-bin``, ``--server-id`` = the address's last octet, ROW format, ``--log-slave-updates``),
so a dump can record its GTID position and any host can be a replication primary.
``--no-defaults``: Debian's /etc/mysql files are never read, by the server or by ``sql()``.

Accounts (created with ``sql_log_bin=0``, so they never replicate): ``root@localhost`` without a
password (socket or 127.0.0.1, inside the namespace only), ``shop@localhost`` with a generated
password, ``repl@'NET.%'`` (REPLICATION SLAVE) for the other host's replica.

The inventory's ``client_options`` for a ``type: mysql`` set on this host is
``--defaults-file=<hostdir>/my.cnf``: that file (0600) holds ``[client]`` socket, user=shop and
the password.  It must be the client's FIRST option, and the database is the usual last argument:
``mariadb-dump --defaults-file=/…/primary/my.cnf --single-transaction --routines --triggers
--events shop`` and ``mariadb --defaults-file=/…/standby/my.cnf shop__next`` (both verified over
the rig's ssh; ``mysqldump``/``mysql`` are the same programs).  What ``shop`` may do is granted per
database by ``shopdb.grant_shop_user()``.

Measured (2 cores, MariaDB 10.11.19): mariadb-install-db 0.4 s, then the server answers in
0.06-0.11 s (a restart too); RSS 98 MB idle, 250 MB after create_shop(200), 325 MB after loading
a 200 MB dump.  Loading a 202 MB dump as shop (mariadb-dump on the primary | ssh | mariadb on
the standby) took 22 s; ``replicate()`` of a 200 MB shop 20 s.  ``--innodb-buffer-pool-size``
against loading a 204 MB dump locally: 64M 72 s, 96M 33 s, 128M 23 s, 256M 25 s (16M: 86 s for
an 80 MB dump); so 128M.  ``innodb_flush_log_at_trx_commit=2`` and a 256M redo log did not help.
"""

from __future__ import annotations

import logging
import os
import socket
import subprocess
import time
from pathlib import Path

from .dbserver import DatabaseServer, write_private
from .proc import RigError, run, wait_until

log = logging.getLogger(__name__)

MARIADBD = "/usr/sbin/mariadbd"
BUFFER_POOL = "128M"
SYSTEM_DATABASES = {"information_schema", "mysql", "performance_schema", "sys"}
_UNESCAPE = {"\\\\": "\\", "\\t": "\t", "\\n": "\n", "\\0": "\0"}


def _unescape(field: str) -> str:
    """Undo the client's --batch escaping of \\, tab, newline and NUL."""
    if "\\" not in field:
        return field
    out, i = [], 0
    while i < len(field):
        pair = field[i : i + 2]
        if pair in _UNESCAPE:
            out.append(_UNESCAPE[pair])
            i += 2
        else:
            out.append(field[i])
            i += 1
    return "".join(out)


def quote(value: str) -> str:
    """A MariaDB string literal (the server's default sql_mode: backslash escapes apply)."""
    return "'" + value.replace("\\", "\\\\").replace("'", "''") + "'"


class MariaDb(DatabaseServer):
    """mariadbd in one host's namespace: socket, 127.0.0.1:3306 and ADDRESS:3306."""

    engine = "mariadb"
    port = 3306
    tools = (MARIADBD, "mariadb-install-db", "mariadb", "mariadb-admin", "mariadb-dump")

    @property
    def socket(self) -> str:
        return str(self.dir / "mysqld.sock")

    @property
    def server_id(self) -> int:
        return int(self.address.rsplit(".", 1)[1])

    @property
    def client_file(self) -> Path:
        return self.host_dir / "my.cnf"

    @property
    def client_options(self) -> str:
        return f"--defaults-file={self.client_file}"

    @property
    def password(self) -> str:
        return _option(self.client_file.read_text(), "password")

    @property
    def repl_file(self) -> Path:
        return self.dir / "repl.cnf"

    def initialised(self) -> bool:
        return (self.dir / "data" / "mysql").is_dir()

    def initialise(self) -> None:
        run(
            [
                "mariadb-install-db", "--no-defaults", "--user=root",
                f"--datadir={self.dir / 'data'}", "--auth-root-authentication-method=normal",
                "--skip-test-db",
            ],
            timeout=60,
        )

    def argv(self) -> list[str]:
        d = self.dir
        return self.net.exec_argv(
            [
                MARIADBD, "--no-defaults", "--user=root", f"--datadir={d / 'data'}",
                f"--socket={self.socket}", f"--pid-file={d / 'mariadbd.pid'}",
                f"--port={self.port}", f"--bind-address={self.address},127.0.0.1",
                "--skip-name-resolve", f"--innodb-buffer-pool-size={BUFFER_POOL}",
                f"--log-bin={d / 'binlog'}", f"--server-id={self.server_id}",
                "--binlog-format=ROW", "--log-slave-updates", f"--relay-log={d / 'relay'}",
                "--max-connections=50", "--table-open-cache=200",
            ]
        )

    def is_accessible(self) -> bool:
        argv = ["mariadb-admin", "--no-defaults", f"--socket={self.socket}", "--user=root",
                "--connect-timeout=1", "ping"]
        try:
            return run(argv, check=False, timeout=5).returncode == 0
        except RigError:
            return False

    def bootstrap(self, password: str) -> None:
        repl_password = os.urandom(16).hex()
        net = self.address.rsplit(".", 1)[0]
        self.sql(
            "SET sql_log_bin=0;"  # mariadb-install-db's root@<hostname>: unused, warned about
            f"DROP USER IF EXISTS root@{quote(socket.gethostname())};"
            f"CREATE OR REPLACE USER shop@localhost IDENTIFIED BY {quote(password)};"
            f"CREATE OR REPLACE USER repl@'{net}.%' IDENTIFIED BY {quote(repl_password)};"
            f"GRANT REPLICATION SLAVE ON *.* TO repl@'{net}.%';"
        )
        write_private(self.repl_file, f"[client]\nuser=repl\npassword={repl_password}\n")
        write_private(
            self.client_file, f"[client]\nsocket={self.socket}\nuser=shop\npassword={password}\n"
        )

    # -- queries --------------------------------------------------------------------------
    def _client_argv(self, database: str | None, names: bool = False) -> list[str]:
        argv = ["mariadb", "--no-defaults", f"--socket={self.socket}", "--user=root", "--batch"]
        argv += [] if names else ["--skip-column-names"]
        return argv + ([database] if database else [])

    def sql(self, query: str, database: str | None = None) -> list[tuple[str, ...]]:
        """Rows as tuples of text (NULL as "NULL"); several statements' rows are concatenated."""
        out = self.client(self._client_argv(database), input_text=query).stdout
        return [tuple(_unescape(f) for f in line.split("\t")) for line in out.splitlines()]

    def sql_dicts(self, query: str, database: str | None = None) -> list[dict[str, str]]:
        """One statement's rows as {column: text} (e.g. ``SHOW SLAVE STATUS``)."""
        out = self.client(self._client_argv(database, names=True), input_text=query).stdout
        lines = out.splitlines()
        if not lines:
            return []
        header = lines[0].split("\t")
        return [dict(zip(header, map(_unescape, ln.split("\t")), strict=True)) for ln in lines[1:]]

    def databases(self) -> list[str]:
        """The user databases (no system schemas)."""
        return [r[0] for r in self.sql("SHOW DATABASES") if r[0] not in SYSTEM_DATABASES]


def _option(text: str, key: str) -> str:
    for line in text.splitlines():
        k, sep, v = line.partition("=")
        if sep and k.strip() == key:
            return v.strip()
    raise RigError(f"no {key}= line")


def replicate(primary: MariaDb, replica: MariaDb, timeout: float = 60.0) -> None:
    """Make ``replica`` a read-only GTID replica of ``primary`` over the rig network.

    The primary's user databases are copied first (one ``mariadb-dump --single-transaction
    --master-data=1 --gtid --databases …`` piped into the replica, which replaces same-named
    databases there and sets its ``gtid_slave_pos`` to the dump's position; loaded with
    ``sql_log_bin=0``, so the replica's own binlog gets no GTIDs of its own).  Then the replica
    connects as ``repl`` to PRIMARY_ADDRESS:3306 with ``MASTER_USE_GTID=slave_pos``, gets
    ``read_only=ON`` (root keeps writing, ``shop`` cannot), and this returns once both replication
    threads run.  Raises RigError with the replica's last error otherwise.
    """
    stop_replication(replica)
    databases = primary.databases()
    if databases:
        _copy(primary, replica, databases, timeout)
    else:
        pos = primary.sql("SELECT @@GLOBAL.gtid_binlog_pos")[0][0]
        replica.sql(f"SET GLOBAL gtid_slave_pos = {quote(pos)}")
    password = _option(primary.repl_file.read_text(), "password")
    replica.sql(
        f"CHANGE MASTER TO MASTER_HOST={quote(primary.address)}, MASTER_PORT={primary.port},"
        f" MASTER_USER='repl', MASTER_PASSWORD={quote(password)},"
        " MASTER_USE_GTID=slave_pos, MASTER_CONNECT_RETRY=1;"
        "START SLAVE; SET GLOBAL read_only=ON;"
    )
    status: dict[str, str] = {}

    def running() -> bool:
        nonlocal status
        rows = replica.sql_dicts("SHOW SLAVE STATUS")
        status = rows[0] if rows else {}
        return status.get("Slave_IO_Running") == "Yes" and status.get(
            "Slave_SQL_Running") == "Yes"

    if not wait_until(running, timeout):
        raise RigError(
            f"{replica.name}: replication from {primary.address} not running after {timeout}s: "
            f"IO {status.get('Last_IO_Error')!r} SQL {status.get('Last_SQL_Error')!r}"
        )
    log.info("%s replicates from %s (%s)", replica.name, primary.name, ", ".join(databases))


def _copy(primary: MariaDb, replica: MariaDb, databases: list[str], timeout: float) -> None:
    t0 = time.monotonic()
    dump = subprocess.Popen(
        primary.net.exec_argv(
            [
                "mariadb-dump", "--no-defaults", f"--socket={primary.socket}", "--user=root",
                "--single-transaction", "--master-data=1", "--gtid", "--routines", "--triggers",
                "--events", "--add-drop-database", "--databases", *databases,
            ]
        ),
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, stdin=subprocess.DEVNULL,
    )
    assert dump.stdout is not None
    try:
        load = subprocess.run(
            replica.net.exec_argv(
                ["mariadb", "--no-defaults", f"--socket={replica.socket}", "--user=root",
                 "--init-command=SET sql_log_bin=0"]
            ),
            stdin=dump.stdout, capture_output=True, timeout=timeout, check=False,
        )
    finally:
        dump.stdout.close()
        _, dump_err = dump.communicate(timeout=timeout)
    if dump.returncode or load.returncode:
        raise RigError(
            f"copying {databases} {primary.name} -> {replica.name} failed: "
            f"{dump_err.decode(errors='replace').strip()} {load.stderr.decode().strip()}"
        )
    log.debug("copied %s in %.2fs", databases, time.monotonic() - t0)


def stop_replication(replica: MariaDb) -> None:
    """Stop and forget replication on ``replica`` and make it writable (a promotion)."""
    replica.sql("STOP SLAVE; RESET SLAVE ALL; SET GLOBAL read_only=OFF")


def lag(replica: MariaDb) -> float | None:
    """Seconds_Behind_Master; None when ``replica`` does not replicate (or a thread is down)."""
    rows = replica.sql_dicts("SHOW SLAVE STATUS")
    if not rows:
        return None
    value = rows[0].get("Seconds_Behind_Master", "NULL")
    return None if value == "NULL" else float(value)
