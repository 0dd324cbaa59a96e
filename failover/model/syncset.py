"""A sync set: content kept in the orchestrator's mirror and pushed to the standbys, either a
tree of files or (type mysql/postgresql) one database, kept as its last good dumps
(sync/database.py)."""

import shlex
from typing import Annotated, Literal

from failover.model.base import Model
from failover.model.types import After, Duration, Meta, Name

DATABASE_TYPES = ("mysql", "postgresql")


def _password_option(engine: str, value: str | dict[str, str]) -> str | None:
    """The word of `value` that would put a password on the host's command line, if any
    (for mysql `-pSECRET`; for postgresql `-p` is the port)."""
    for text in [value] if isinstance(value, str) else list(value.values()):
        for word in shlex.split(text):
            lower = word.lower()
            if lower.startswith("--password") or "password=" in lower or \
                    (engine == "mysql" and word.startswith("-p")):
                return word.partition("=")[0] if "=" in word else word[:2]
    return None


def _database_name(value: str) -> str:
    if not value.replace("_", "a").isalnum() or not value.isascii() or len(value) > 50:
        raise ValueError(f"{value!r} is not a database name this tool can stage beside the "
                         "live one: letters, digits and _ only, at most 50 characters")
    return value


class SyncSet(Model):
    """Content kept in the orchestrator's mirror and pushed to the standbys: a tree of files,
    or (type mysql/postgresql) a database, kept as its last good dumps."""

    name: Name
    type: Annotated[Literal["files", "mysql", "postgresql"], Meta(
        description="files (default); mysql (MariaDB/MySQL) or postgresql: a database")] = "files"
    path: Annotated[str | dict[Name, str] | None, Meta(
        description="files: absolute; the same on every host, or one per host")] = None
    database: Annotated[Annotated[str, After(_database_name)] | None, Meta(
        description="mysql/postgresql: the database's name on every host")] = None
    client_options: Annotated[str | dict[Name, str], Meta(
        description=("mysql/postgresql: options for the client programs on the host (how they "
                     "connect, never a password), the same on every host or one per host"))] = ""
    failback: Annotated[bool, Meta(
        description="a failback brings this set home from the standby before DNS moves")] = False
    service: Annotated[Name | None, Meta(
        description="the service whose runs sync it (default: the first service)")] = None
    mode: Annotated[Literal["dump", "replica"], Meta(description=(
        "mysql: dump (the mirror's dumps are loaded on the standbys) or replica (each standby "
        "is a MariaDB/MySQL replica of the active host: a sync checks it, a failover's "
        "`promote: true` sync step makes it writable)"))] = "dump"
    exclude: Annotated[list[str], Meta(
        description="rsync patterns: name, *.log, dir/, a/b")] = []
    max_delete: Annotated[int, Meta(
        ge=0, description="a sync that would delete more files stops before any change")] = 200
    max_delete_percent: Annotated[int, Meta(ge=0, le=100, description=(
        "a pull that would delete more than this share of the mirror's files stops before any "
        "change (counted when the mirror holds 10 files or more, a database's tables from the "
        "first; 100: no share limit)"))] = 25
    keep_snapshots: Annotated[int, Meta(ge=1, description=(
        "good pulls the mirror keeps (unchanged files hard-linked); pushes read the newest"))] = 3
    atomic: Annotated[bool, Meta(
        description="publish whole releases behind a symlink (path becomes the link)")] = False
    max_age: Annotated[Duration | None, Meta(
        description="a standby whose copy is older is stale (WARNING, failover refused)")] = None
    keep_releases: Annotated[int, Meta(ge=2, description=(
        "releases kept (atomic sets); copies a failback keeps (plain sets)"))] = 5
    transport: Annotated[Literal["auto", "rsync", "sftp"], Meta(
        description="auto: SFTP when a host lacks rsync")] = "auto"
    bwlimit: Annotated[Annotated[int, Meta(ge=1)] | None, Meta(
        description="KiB/s per transfer")] = None
    io_timeout: Annotated[Duration, Meta(
        description="no data for this long ends a transfer")] = 60.0

    def __post_init__(self) -> None:
        if self.type == "files":
            if self.path is None:
                raise ValueError("a set of files needs `path:` (absolute, e.g. /var/www/shop/)")
            if self.database is not None or self.client_options:
                raise ValueError("`database:` and `client_options:` are for sets of type "
                                 f"{' or '.join(DATABASE_TYPES)}; add `type:`")
        else:
            if self.database is None:
                raise ValueError(f"a {self.type} set needs `database:` (its name on the hosts)")
            if self.path is not None or self.atomic or self.exclude:
                raise ValueError(f"`path:`, `atomic:` and `exclude:` are for sets of files; a "
                                 f"{self.type} set names its `database:`")
            if self.mode == "replica" and self.type != "mysql":
                raise ValueError("`mode: replica` is for MariaDB/MySQL replication (type: mysql)")
            if word := _password_option(self.type, self.client_options):
                raise ValueError(
                    f"no password in client_options ({word}...): every process on the host "
                    "could read it in the process list; keep it in the host's own client "
                    "config (--defaults-file=/etc/failover/my.cnf for MariaDB/MySQL, ~/.pgpass "
                    "or a service file for PostgreSQL)")

    @property
    def is_database(self) -> bool:
        return self.type in DATABASE_TYPES

    def path_on(self, host: str) -> str:
        """The files' path on `host` (KeyError when the set names none for it)."""
        if self.path is None:
            raise KeyError(host)
        path = self.path if isinstance(self.path, str) else self.path[host]
        return path if path.endswith("/") else path + "/"

    def client_options_on(self, host: str) -> list[str]:
        """The client programs' options on `host`, as separate arguments."""
        text = self.client_options if isinstance(self.client_options, str) \
            else self.client_options.get(host, "")
        return shlex.split(text)
