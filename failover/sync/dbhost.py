"""One database server as a database set sees it: its client programs, run on the host over one
ssh connection (the set's `client_options`, never a password), and the staged load and swap.

- `stage()` makes an empty `<db>__next`; `start_load()` starts the client reading a compressed
  dump on its stdin into it (scripts/db_load.sh), fed from the mirror's file or, while a pull
  streams, block by block (`Load.feed`); `finish()` checks the load's exit status and the
  loaded tables' exact row counts against the dump's, and only then swaps (dialects.py). A
  failed load or a count that differs leaves the live database as it was; `<db>__next` stays
  for inspection until the next push replaces it.
"""

from __future__ import annotations

import contextlib
import logging
import shlex
import subprocess
import tempfile

from failover.errors import SyncError
from failover.model.syncset import SyncSet
from failover.remote.openssh import SshMaster, kill_group, ssh_argv
from failover.sync.dialects import DIALECTS, NEXT
from failover.sync.dumps import differences, last_message, script_status
from failover.sync.release import script

log = logging.getLogger(__name__)

SQL_TIMEOUT = 300.0


class DbHost:
    """The set's database on one host, over `ssh` (which the caller opened and closes)."""

    def __init__(self, sset: SyncSet, host: str, ssh: SshMaster) -> None:
        self.sset, self.host, self.ssh = sset, host, ssh
        self.dialect = DIALECTS[sset.type]()
        self.options = sset.client_options_on(host)
        self.database = sset.database or ""
        self.staged = self.database + NEXT

    def argv(self, remote: list[str]) -> list[str]:
        """ssh running `remote` (one word each) on the host, over the connection."""
        target = self.ssh.target
        return [*ssh_argv(target, self.ssh.ready()), "--", f"{target.user}@{target.address}",
                shlex.join(remote)]

    def sql(self, statements: list[str], database: str | None = None) -> str:
        argv = self.dialect.sql_argv(self.options, statements, database)
        return self.ssh.run(argv, f"{self.dialect.client_program} ({self.sset.name})",
                            SQL_TIMEOUT)

    def lines(self, sql: str, database: str | None = None) -> list[str]:
        return [ln for ln in self.sql([sql], database).splitlines() if ln]

    def databases(self) -> set[str]:
        """Which of `<db>`, `<db>__next`, `<db>__prev` exist."""
        return set(self.lines(self.dialect.databases_sql(self.database)))

    def tables(self, database: str, exists: set[str] | None = None) -> dict[str, str]:
        """name -> kind of each table of `database` ({} when it does not exist; `exists`:
        databases() when the caller has it)."""
        if database not in (self.databases() if exists is None else exists):
            return {}
        rows = [ln.split("\t") for ln in self.lines(self.dialect.tables_sql(database), database)]
        return {r[0]: r[1] if len(r) > 1 else "" for r in rows}

    def counts(self, database: str, exists: set[str] | None = None) -> dict[str, int]:
        """Exact row counts of the base tables of `database`."""
        tables = [t for t, kind in self.tables(database, exists).items() if kind == "BASE TABLE"]
        if not tables:
            return {}
        rows = self.lines(self.dialect.count_sql(database, tables), database)
        return dict(sorted((n, int(c)) for n, c in (r.rsplit("\t", 1) for r in rows)))

    def estimates(self, database: str) -> dict[str, int]:
        """Each table's row count as the server estimates it (reads no data: for dry runs and
        reports)."""
        tables = self.tables(database)
        if not tables:
            return {}
        found = dict(r.rsplit("\t", 1)
                     for r in self.lines(self.dialect.estimate_sql(database), database))
        return {t: max(0, int(float(found.get(t, "0") or 0))) for t in sorted(tables)}

    def stage(self) -> None:
        """An empty `<db>__next` (a copy left by an earlier push goes)."""
        self.sql([self.dialect.drop_sql(self.staged),
                  f"CREATE DATABASE {self.dialect.quote(self.staged)}"])

    def start_load(self, timeout: float) -> Load:
        remote = ["sh", "-c", script("db_load"), "failover-load",
                  *self.dialect.load_argv(self.options, self.staged)]
        return Load(self, self.argv(remote), timeout)

    def finish(self, load: Load, want: dict[str, int], live: list[str]) -> dict[str, int]:
        """Wait for `load`; if it loaded exactly `want`, swap it in (live -> `<db>__prev`).
        The loaded counts; SyncError (the live database untouched) otherwise."""
        code, err = load.wait()
        untouched = f"the live database {self.database} is untouched"
        if code != 0:
            raise SyncError(f"loading the dump into {self.staged} on {self.host} failed "
                            f"({script_status(err)}): {last_message(err)}; {untouched}")
        exists = self.databases()
        loaded = self.counts(self.staged, exists)
        if loaded != want:
            raise SyncError(f"{self.staged} on {self.host} does not hold the dump's rows "
                            f"({differences(want, loaded)}); {untouched}, {self.staged} is "
                            "left to inspect")
        self.sql(self.dialect.swap_sql(self.database, live, list(loaded), exists))
        return loaded


class Load:
    """The client on the host reading a compressed dump on its stdin (scripts/db_load.sh)."""

    def __init__(self, db: DbHost, argv: list[str], timeout: float) -> None:
        self.db, self.timeout = db, timeout
        self.error = ""  # why feeding stopped (the client went away); wait() tells the rest
        self._err = tempfile.TemporaryFile()  # noqa: SIM115 (closed by wait/abort)
        self.proc = subprocess.Popen(argv, stdin=subprocess.PIPE, stdout=subprocess.DEVNULL,
                                     stderr=self._err, start_new_session=True)

    def feed(self, block: bytes) -> None:
        """Write a block of the compressed dump; a client that went away stops being fed."""
        stdin = self.proc.stdin
        if stdin is None or self.error:
            return
        try:
            stdin.write(block)
        except OSError as exc:  # BrokenPipe: its exit status and stderr say why
            self.error = exc.strerror or str(exc)

    def send(self, path: str) -> None:
        """Feed the whole file at `path`."""
        with open(path, "rb") as source:
            while block := source.read(1 << 20):
                self.feed(block)

    def wait(self) -> tuple[int, str]:
        """End of input; the exit status and stderr."""
        try:
            if self.proc.stdin is not None and not self.proc.stdin.closed:
                with contextlib.suppress(OSError):  # a client that went away: wait() says why
                    self.proc.stdin.close()
            try:
                code = self.proc.wait(timeout=self.timeout)
            except subprocess.TimeoutExpired:
                kill_group(self.proc)
                raise SyncError(f"loading the dump on {self.db.host} did not finish within "
                                f"{self.timeout:g}s; the live database is untouched") from None
            self._err.seek(0)
            return code, self._err.read().decode("utf-8", "replace")
        except BaseException:
            self.abort()
            raise
        finally:
            self._err.close()

    def abort(self) -> None:
        """Stop the client: `<db>__next` stays half loaded, the live database untouched."""
        if self.proc.stdin is not None:
            with contextlib.suppress(OSError):
                self.proc.stdin.close()
        kill_group(self.proc)
        if not self._err.closed:
            self._err.close()
