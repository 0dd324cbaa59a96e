"""Database servers per rig host, started on demand: MariaDB (mariadb.py) and PostgreSQL
(postgres.py), for the database sync sets (issue 12).

    rig.start_databases()                  # both engines on primary and standby (~2 s)
    rig.primary.mariadb.sql("SELECT 1")    # [("1",)]  -- root over the socket, in the namespace
    rig.primary.mariadb.client_options     # what the inventory carries for that host
    replicate(rig.primary.mariadb, rig.standby.mariadb)   # real GTID replication, see mariadb.py

Each server is a Daemon inside its host's namespace with its own data dir, unix socket and client
files under the host's dir; it listens on the socket, on 127.0.0.1 and on the host's rig address
(so the other host reaches it: replication, or a client run from there).  They are not part of
``Rig.start()``: ``Rig.start_databases()`` (or the ``databases`` pytest fixture) starts them,
``Rig.stop()`` stops them, and ``python -m tests.rig down/clean`` kills them like the other
daemons (recorded pid + start time, then anything left in the namespaces).

The first start initialises the data dir and creates a ``shop`` account with a generated
password, which only the host's client file holds (0600): nothing ever puts it in an argv.
That account owns nothing until ``shopdb.grant_shop_user()``.

``client_options``, the string a host's inventory entry carries for its sync sets (details and
the verified command lines in mariadb.py and postgres.py):
- MariaDB (``type: mysql``): ``--defaults-file=<hostdir>/my.cnf``, the client's first option;
  the database is the usual last argument (``mariadb-dump --defaults-file=… … shop``).
- PostgreSQL: a libpq conninfo without a database, ``host=<hostdir>/postgresql/sock port=5432
  user=shop passfile=<hostdir>/pgpass``; the database goes into the same single argument,
  ``'--dbname=<client_options> dbname=shop'`` (``Postgres.dbname_option("shop")``).

Measured on this machine kind (2 cores, Debian 12, MariaDB 10.11, PostgreSQL 15): both engines
on both hosts started together the first time (init + accounts) in 1.7-2.5 s; a restart of one
server takes 0.06-0.11 s.  Each engine's module has its own figures, shopdb.py the fill times.
"""

from __future__ import annotations

from .dbserver import DatabaseServer
from .mariadb import MariaDb, lag, replicate, stop_replication
from .postgres import Postgres

__all__ = [
    "DatabaseServer",
    "MariaDb",
    "Postgres",
    "lag",
    "replicate",
    "start_servers",
    "stop_replication",
]


def start_servers(servers: list[DatabaseServer], timeout: float = 60.0) -> None:
    """Start several servers in parallel and wait for each (first start included)."""
    for s in servers:
        if not s.running():
            s.start(wait=False)
    for s in servers:
        s.wait_ready(timeout)

