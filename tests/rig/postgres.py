"""PostgreSQL 15 per rig host (Debian ``postgresql``, binaries in /usr/lib/postgresql/15/bin).

Server: ``initdb`` and ``postgres`` run as the ``postgres`` system user (they refuse root) through
``setpriv`` (it execs, so the recorded pid is the postmaster's), inside the host's namespace:
data dir ``<hostdir>/postgresql/data`` and socket dir ``<hostdir>/postgresql/sock``, both owned
by postgres; it listens on the socket, 127.0.0.1:5432 and the host's rig address :5432.  A 0700
rig dir gets group postgres and g+x, so that postgres (only) can reach its dirs.
``stop()`` is a fast shutdown (SIGINT: open sessions are ended), never the smart one that would
wait for them.

pg_hba: ``local all postgres trust`` (tests, and ``sql()``, run psql as root with
``--username=postgres``), ``scram-sha-256`` for the ``shop`` role on the socket and over TCP.
``shop`` has LOGIN CREATEDB and a generated password kept in ``<hostdir>/pgpass`` (0600, lines for
the socket dir, 127.0.0.1 and the rig address).

The inventory's ``client_options`` for a ``type: postgresql`` set on this host is a libpq
connection string without a database: ``host=<hostdir>/postgresql/sock port=5432 user=shop
passfile=<hostdir>/pgpass``.  psql and pg_dump have no option for a password file and the tool
cannot set PGPASSFILE remotely, but ``passfile`` is a conninfo keyword and both take a conninfo
as ``--dbname``.  So the database is given by appending ``dbname=<db>`` to it, in ONE argument:

    pg_dump --no-password '--dbname=host=/…/sock port=5432 user=shop passfile=/…/pgpass dbname=a'
    psql --no-password '--dbname=host=/…/sock port=5432 user=shop passfile=/…/pgpass dbname=b'

(``dbname_option(db)`` builds it; verified over the rig's ssh; when a keyword repeats the last one
wins, so ``dbname=`` may also override one already in the string).  A positional database name
does NOT combine with a conninfo ``--dbname``: pg_dump replaces the whole ``--dbname`` with it, and
psql takes it as the user name.  ``<hostdir>/pg_service.conf`` has the same settings as service
``shop``, for people (``PGSERVICEFILE=… psql service=shop``); the tool cannot use it.

Measured (2 cores, PostgreSQL 15.18): initdb 0.5 s, then the server answers in ~0.07 s (a
restart too); idle, the postmaster has 23 MB RSS and the server's processes 57 MB RSS, 13 MB PSS
with ``shared_buffers=32MB`` (71-91 MB RSS after a 200 MB load or fill).  Loading a 203 MB
pg_dump locally took 3.6 s with shared_buffers 32MB and 128MB alike (COPY writes through a small
ring buffer), so 32MB; as shop from the primary over ssh (pg_dump | ssh | psql) 6.2 s.
"""

from __future__ import annotations

import contextlib
import csv
import grp
import io
import logging
import os
import shutil
import signal
import stat
from pathlib import Path

from .dbserver import DatabaseServer, write_private
from .proc import DEFAULT_STOP_TIMEOUT, RigError, run

log = logging.getLogger(__name__)

PG_BIN = Path("/usr/lib/postgresql/15/bin")
SHARED_BUFFERS = "32MB"


def as_postgres(argv: list[str]) -> list[str]:
    return ["setpriv", "--reuid=postgres", "--regid=postgres", "--init-groups", *argv]


def literal(value: str) -> str:
    """A PostgreSQL string literal (standard_conforming_strings is on)."""
    return "'" + value.replace("'", "''") + "'"


class Postgres(DatabaseServer):
    """postgres in one host's namespace: socket dir, 127.0.0.1:5432 and ADDRESS:5432."""

    engine = "postgresql"
    port = 5432
    tools = (*(str(PG_BIN / t) for t in ("initdb", "postgres", "pg_isready")), "psql", "setpriv")

    @property
    def socket_dir(self) -> Path:
        return self.dir / "sock"

    @property
    def socket(self) -> str:
        return str(self.socket_dir / f".s.PGSQL.{self.port}")

    @property
    def client_file(self) -> Path:
        return self.host_dir / "pgpass"

    @property
    def service_file(self) -> Path:
        return self.host_dir / "pg_service.conf"

    @property
    def client_options(self) -> str:
        return f"host={self.socket_dir} port={self.port} user=shop passfile={self.client_file}"

    def dbname_option(self, database: str) -> str:
        """The one psql/pg_dump argument that selects ``database`` as ``shop`` on this host."""
        return f"--dbname={self.client_options} dbname={database}"

    @property
    def password(self) -> str:
        return self.client_file.read_text().splitlines()[0].rsplit(":", 1)[1]

    def initialised(self) -> bool:
        return (self.dir / "data" / "PG_VERSION").is_file()

    def initialise(self) -> None:
        self._make_reachable()
        data = self.dir / "data"
        shutil.rmtree(data, ignore_errors=True)  # a half-made one from an interrupted start
        self.socket_dir.mkdir(parents=True, exist_ok=True)
        for d in (self.dir, self.socket_dir):
            shutil.chown(d, "postgres", "postgres")
        run(
            as_postgres(
                [str(PG_BIN / "initdb"), f"--pgdata={data}", "--username=postgres",
                 "--encoding=UTF8", "--locale=C", "--no-sync", "--auth-local=trust",
                 "--auth-host=scram-sha-256"]
            ),
            timeout=60,
        )
        net = self.address.rsplit(".", 1)[0]
        (data / "pg_hba.conf").write_text(
            "# rig: root's psql as postgres over the socket; shop with its password\n"
            "local all postgres trust\n"
            "local all shop scram-sha-256\n"
            "host all shop 127.0.0.1/32 scram-sha-256\n"
            f"host all shop {net}.0/24 scram-sha-256\n"
        )

    def _make_reachable(self) -> None:
        """postgres must traverse every dir above its own.

        A rig dir from mkdtemp is 0700 root:root: it gets group postgres and g+x (0710), so
        that postgres, and no other user, reaches its dirs.  (o+x would also let any user
        read client/authorized_keys, and so log in as themselves with the rig's key.)
        """
        gid = grp.getgrnam("postgres").gr_gid
        for d in (self.host_dir.parent, self.host_dir):
            st = d.stat()
            mode = stat.S_IMODE(st.st_mode)
            if mode & stat.S_IXOTH or (st.st_gid == gid and mode & stat.S_IXGRP):
                continue
            if mode & 0o070:
                raise RigError(f"the postgres user cannot reach {self.dir}: {d} is {mode:o} "
                               "with group permissions of its own")
            shutil.chown(d, group="postgres")
            d.chmod(mode | stat.S_IXGRP)
        for d in self.host_dir.parent.parents:
            if not d.stat().st_mode & stat.S_IXOTH:
                raise RigError(f"the postgres user cannot reach {self.dir}: {d} is not o+x "
                               "(put the rig dir elsewhere, e.g. the default under /tmp)")

    def argv(self) -> list[str]:
        return self.net.exec_argv(
            as_postgres(
                [str(PG_BIN / "postgres"), "-D", str(self.dir / "data"),
                 "-k", str(self.socket_dir), "-h", f"{self.address},127.0.0.1",
                 "-p", str(self.port), "-c", f"shared_buffers={SHARED_BUFFERS}",
                 "-c", "max_connections=50"]
            )
        )

    def is_accessible(self) -> bool:
        argv = [str(PG_BIN / "pg_isready"), "-q", f"--host={self.socket_dir}",
                f"--port={self.port}", "--username=postgres", "--dbname=postgres", "--timeout=1"]
        try:
            return run(argv, check=False, timeout=5).returncode == 0
        except RigError:
            return False

    def bootstrap(self, password: str) -> None:
        self.sql(
            "DO $$BEGIN IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'shop')"
            " THEN CREATE ROLE shop; END IF; END$$;"
            f"ALTER ROLE shop LOGIN CREATEDB PASSWORD {literal(password)};"
        )
        write_private(self.service_file, (
            f"[shop]\nhost={self.socket_dir}\nport={self.port}\nuser=shop\n"
            f"passfile={self.client_file}\n"
        ))
        hosts = [str(self.socket_dir), "127.0.0.1", self.address]
        write_private(self.client_file, "".join(f"{h}:{self.port}:*:shop:{password}\n"
                                                for h in hosts))

    def stop(self, timeout: float = DEFAULT_STOP_TIMEOUT) -> None:
        """Fast shutdown (SIGINT), then the base class's SIGTERM/SIGKILL wait."""
        p = self.proc
        if p.pid is not None and p.alive():
            with contextlib.suppress(ProcessLookupError):
                os.kill(p.pid, signal.SIGINT)
        super().stop(timeout)

    def sql(self, query: str, database: str | None = None) -> list[tuple[str, ...]]:
        """psql as ``postgres`` over the socket; rows as text (NULL as ""), CSV-parsed."""
        argv = [
            "psql", "--no-psqlrc", "--no-password", "--quiet", "--csv", "--tuples-only",
            "--set=ON_ERROR_STOP=1", f"--host={self.socket_dir}", f"--port={self.port}",
            "--username=postgres", f"--dbname={database or 'postgres'}",
        ]
        out = self.client(argv, input_text=query).stdout
        return [tuple(row) for row in csv.reader(io.StringIO(out)) if row]
