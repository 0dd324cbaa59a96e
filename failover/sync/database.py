"""A database sync set (`type: mysql` or `postgresql`): dumps into the mirror, staged loads on
the hosts. It keeps the sync set contract (base.py) as files do:

- Pull: a consistent dump on the host (`mysqldump --single-transaction ...`, `pg_dump`),
  compressed there and streamed over ssh into a new snapshot of the mirror (dumps.py). It
  becomes the last good dump only when the dump program exited 0, its text ran to its end
  marker, and the pull's gates passed: a database without tables is refused (an empty source),
  and so is one that lost more tables than `max_delete` / `max_delete_percent` allow. A refused,
  failed or cut pull leaves the last good dump as it was.
- Push: the last good dump, once its checksum is the recorded one, is loaded into
  `<db>__next` on the host; its tables' row counts are compared with the dump's; only then is it
  swapped in (dialects.py): the live copy becomes `<db>__prev` (the one before it goes). A
  failed load or a count that differs leaves the live database untouched.
- Dry runs read, change nothing: a pull's lists the source's tables (estimated rows: counting
  exactly would read the whole database), a push's compares the mirror's dump with the host's
  live tables.
- Rollback (`failover sync --rollback SET --host H`): `<db>` and `<db>__prev` change places.
- Passwords: never on a command line. `client_options` carries how the clients connect (a
  defaults file, a socket, a user) and the host's own client config the secret.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, replace
from pathlib import Path

from failover.errors import MirrorUnusable, SyncError, UnsafePlan
from failover.model.syncset import SyncSet
from failover.remote.openssh import SshMaster, shared
from failover.remote.ssh import ssh_target
from failover.sync.base import MirroredSet, MirrorRun
from failover.sync.changes import ChangeList
from failover.sync.dbhost import DbHost, Load
from failover.sync.dialects import DIALECTS, NEXT, PREV, MySql
from failover.sync.dumps import DUMP, DumpInfo, last_message, stream_dump, table_changes, verify
from failover.sync.release import script
from failover.sync.report import SyncReport, make_report, pull_limit
from failover.sync.snapshots import Snapshots
from failover.sync.tree import Entry, Manifest

log = logging.getLogger(__name__)

_ESTIMATED_BEFORE = "the row counts {host} holds now are the server's estimates"
_ESTIMATED = ("the row counts the live database on {host} held before are the server's "
              "estimates; the loaded ones were counted exactly and matched the dump")


class DatabaseSet(MirroredSet):
    """A sync set of one database (see the module docstring)."""

    def __init__(self, run: MirrorRun, sset: SyncSet) -> None:
        super().__init__(run, sset)
        self.dialect = DIALECTS[sset.type]()
        self.snapshots = Snapshots(run.root, sset.name, sset.keep_snapshots)
        self.database = sset.database or ""
        self._pending: dict[str, Pending] = {}  # loads a pull fed, waiting for their push

    # -- pull ------------------------------------------------------------------------------

    def pull(self, host: str, *, master: SshMaster | None = None,
             stage_on: tuple[str, ...] = ()) -> SyncReport:
        """`stage_on`: hosts whose `<db>__next` is loaded from the stream as it comes (the
        push to each then only checks and swaps: `push`); without, a push loads the file."""
        self._abort_pending()
        with shared(master, ssh_target(self.run.inventory, host)) as ssh, \
                self.snapshots.pulling() as stage:
            source = DbHost(self.sset, host, ssh)
            if self.database not in source.databases():  # before anything is staged anywhere
                raise UnsafePlan(self._empty(host, self._last_info()))
            position = isinstance(self.dialect, MySql) and source.lines(
                self.dialect.position_sql()) == ["1"]
            started = time.time()
            folder = stage.ready()
            part = folder / f"{DUMP}.part"
            parser = self.dialect.parser()
            remote = ["sh", "-c", script("db_dump"), "failover-dump",
                      *self.dialect.dump_argv(source.options, self.database, position)]
            pending = [self._stage(target) for target in stage_on]
            try:
                got = stream_dump(source.argv(remote), part, parser, self.run.timeout,
                                  self.sset.io_timeout, self.run.cancel,
                                  [p.load.feed for p in pending])
                self._check_dump(host, got.status, got.stderr, parser.complete)
                info = DumpInfo(engine=self.dialect.engine, database=self.database, host=host,
                                taken_at=started, size=got.size, sha256=got.sha256,
                                tables=dict(sorted(parser.tables.items())),
                                position=parser.position, unmovable=parser.unmovable)
                old = self._last_info()
                self._check_pull(host, info, old)
                part.rename(folder / DUMP)
                info.save(folder)
                snapshot = stage.promote()
            except BaseException:
                for p in pending:
                    p.close(abort=True)
                raise
        self._pending = {p.host: replace(p, snapshot=snapshot.id) for p in pending}
        log.info("pulled: set=%s host=%s tables=%d rows=%d bytes=%d staged_on=%s",
                 self.sset.name, host, len(info.tables), info.rows, info.size, list(stage_on))
        return self._report("pull", host, table_changes(old.tables if old else {}, info.tables),
                            bytes_received=info.size)

    def plan_pull(self, host: str, *,
                  master: SshMaster | None = None) -> tuple[SyncReport, Manifest | None]:
        with shared(master, ssh_target(self.run.inventory, host)) as ssh:
            estimated = DbHost(self.sset, host, ssh).estimates(self.database)
        old = self._last_info()
        if not estimated:
            raise UnsafePlan(self._empty(host, old))
        self._check_drops(host, estimated, old)  # row estimates may be 0: rows are the pull's
        warning = (f"row counts of {host} are the server's estimates; the pull counts them "
                   "exactly in the dump")
        changes = table_changes(old.tables if old else {}, estimated, estimated=True)
        tables = {name: Entry("f", rows) for name, rows in estimated.items()}  # for plan_push
        return self._report("pull", host, changes, dry_run=True, warnings=[warning]), tables

    # -- push ------------------------------------------------------------------------------

    def push(self, host: str, *, master: SshMaster | None = None) -> SyncReport:
        folder, info = self._source()
        pending = self._pending.pop(host, None)
        if pending is not None and (pending.snapshot != folder.name or info.unmovable):
            pending.close(abort=True)  # fed another dump than the last good one, or unpushable
            pending = None
        if pending is None:
            dump = verify(folder, info)
            self._check_movable(info)
            pending = self._stage(host, master)
            pending.load.send(str(dump))
        try:
            loaded = pending.db.finish(pending.load, info.tables, list(pending.live))
        finally:
            pending.close()
        log.info("pushed: set=%s host=%s tables=%d rows=%d", self.sset.name, host,
                 len(loaded), info.rows)
        return self._report("push", host, table_changes(pending.live, info.tables),
                            bytes_sent=info.size, warnings=[_ESTIMATED.format(host=host)])

    def plan_push(self, host: str, tree: Manifest | None = None, *,
                  master: SshMaster | None = None) -> SyncReport:
        with shared(master, ssh_target(self.run.inventory, host)) as ssh:
            live = DbHost(self.sset, host, ssh).estimates(self.database)
        staged, prev = self.database + NEXT, self.database + PREV
        if tree is not None:  # the tables the pull's dump will hold, as the source estimates
            dumped = {name: entry.size for name, entry in tree.items()}
            note = (f"would load the dump this sync's pull takes ({len(dumped)} tables, about "
                    f"{sum(dumped.values())} rows) into {staged}; the live {self.database} "
                    f"would become {prev}")
        else:
            info = self._source()[1]
            self._check_movable(info)
            dumped = info.tables
            age = time.time() - info.taken_at
            note = (f"would load the mirror's dump of {info.host}, taken {age / 60:.0f} min "
                    f"ago ({len(info.tables)} tables, {info.rows} rows), into {staged}; the "
                    f"live {self.database} would become {prev}")
        return self._report("push", host, table_changes(live, dumped, estimated=tree is not None),
                            dry_run=True, warnings=[note, _ESTIMATED_BEFORE.format(host=host)])

    def rollback(self, host: str, *, dry_run: bool = False) -> tuple[str, str] | None:
        prev = self.database + PREV
        with SshMaster(ssh_target(self.run.inventory, host)) as ssh:
            db = DbHost(self.sset, host, ssh)
            if prev not in db.databases():
                raise SyncError(f"{host} has no {prev} to roll back to (a push keeps the copy "
                                "it replaced there)")
            if dry_run:
                return None
            live, before = db.tables(self.database), db.tables(prev)
            db.sql(self.dialect.rollback_sql(self.database, list(live), list(before)))
        return self.database, prev

    # -- helpers ---------------------------------------------------------------------------

    def _stage(self, host: str, master: SshMaster | None = None) -> Pending:
        """An empty `<db>__next` on `host` and a load into it, started: the live tables' row
        estimates (for the report) and the connection ride along until the push is done."""
        target = ssh_target(self.run.inventory, host)
        ssh = master if master is not None and master.target == target else SshMaster(target)
        try:
            db = DbHost(self.sset, host, ssh)
            live = db.estimates(self.database)
            db.stage()
            load = db.start_load(self.run.timeout)
        except BaseException:
            if ssh is not master:
                ssh.close()
            raise
        return Pending(host, db, load, live, own=ssh is not master)

    def _abort_pending(self) -> None:
        for pending in self._pending.values():
            pending.close(abort=True)
        self._pending = {}

    def _source(self) -> tuple[Path, DumpInfo]:
        good = self.snapshots.last_good()
        if good is None or not (good.path / DUMP).exists():
            raise MirrorUnusable(f"mirror of set {self.sset.name} holds no dump; run a pull "
                                 f"first (failover sync {self.sset.name})")
        return good.path, DumpInfo.load(good.path)

    def _last_info(self) -> DumpInfo | None:
        good = self.snapshots.last_good()
        if good is None or not (good.path / DUMP).exists():
            return None
        try:
            return DumpInfo.load(good.path)
        except SyncError:
            return None

    def _check_dump(self, host: str, status: str, stderr: str, complete: bool) -> None:
        program = self.dialect.dump_program
        words = status.split()
        codes = dict(zip(words[1::2], words[2::2], strict=False))
        if codes.get("dump-exit") != "0" or codes.get("gzip-exit") != "0":
            what = (f"{program} exit {codes['dump-exit']}" if codes.get("dump-exit", "0") != "0"
                    else f"gzip exit {codes['gzip-exit']}" if "gzip-exit" in codes
                    else "the connection ended before the dump did")
            raise SyncError(f"dump of {self.database} on {host} failed ({what}): "
                            f"{last_message(stderr)}; the mirror keeps its last good dump")
        if not complete:
            raise SyncError(f"dump of {self.database} on {host} ended before its end marker "
                            "(cut short); the mirror keeps its last good dump")

    def _check_pull(self, host: str, info: DumpInfo, old: DumpInfo | None) -> None:
        if not info.rows:  # no tables, or tables without a row: a wrong or new database
            raise UnsafePlan(self._empty(host, old, len(info.tables)))
        self._check_drops(host, info.tables, old)

    def _check_drops(self, host: str, tables: dict[str, int], old: DumpInfo | None) -> None:
        if old is None:
            return
        gone = sorted(set(old.tables) - set(tables))
        limit, rule = pull_limit(self.sset, len(old.tables), self.run.allow_deletes, floor=1)
        if len(gone) > limit:
            raise UnsafePlan(
                f"sync {self.sset.name} from {host} would drop {len(gone)} of the mirror's "
                f"{len(old.tables)} tables ({', '.join(gone[:5])}{', ...' if len(gone) > 5 else ''}"
                f"), more than {rule} allows: database {self.database} there holds "
                f"{len(tables)} table{'' if len(tables) == 1 else 's'}. Check "
                f"sync[{self.sset.name}].database and client_options first. If it is meant: "
                f"--allow-deletes {len(gone)} for this run, or raise sync[{self.sset.name}]."
                "max_delete_percent in the inventory. The mirror keeps its last good dump")

    def _empty(self, host: str, old: DumpInfo | None, tables: int = 0) -> str:
        held = (f"the mirror keeps its last good dump ({len(old.tables)} tables, {old.rows} "
                "rows)" if old else "the mirror holds no dump yet")
        what = f"{tables} tables without a row" if tables else "no tables (or does not exist)"
        return (f"sync {self.sset.name} from {host} refused: database {self.database} there "
                f"holds {what}; {held}. Check sync[{self.sset.name}].database and "
                "client_options: an empty database is never pulled (pushed, it would empty the "
                "standbys)")

    def _check_movable(self, info: DumpInfo) -> None:
        if info.unmovable:
            raise SyncError(
                f"the dump of {self.database} holds {', '.join(info.unmovable[:5])}: the "
                "staged swap moves tables only, and would lose them. Load it by hand, or keep "
                "them out of the database")

    def _report(self, direction: str, host: str, changes: ChangeList, *, dry_run: bool = False,
                warnings: list[str] | None = None, bytes_sent: int = 0,
                bytes_received: int = 0) -> SyncReport:
        result = ChangeList(changes.created, changes.updated, changes.deleted,
                            bytes_sent=bytes_sent, bytes_received=bytes_received,
                            files_transferred=1 if not dry_run else 0,
                            warnings=[*changes.warnings, *(warnings or [])])
        pull = direction == "pull"
        return make_report(self.sset, "pull" if pull else "push", host, result, dry_run=dry_run,
                           transport=self.dialect.dump_program if pull
                           else self.dialect.client_program)


@dataclass(frozen=True)
class Pending:
    """A load into `<db>__next` on `host`, started; `snapshot`: the dump it was fed (set once
    the pull that fed it promoted it)."""

    host: str
    db: DbHost
    load: Load
    live: dict[str, int]
    own: bool  # the connection is ours to close
    snapshot: str = ""

    def close(self, *, abort: bool = False) -> None:
        """Done with the connection; `abort`: the load is stopped (its half copy in
        `<db>__next` is dropped by the next push: dropping it now would wait for the server to
        roll the load back)."""
        try:
            if abort:
                self.load.abort()
        finally:
            if self.own:
                self.db.ssh.close()
