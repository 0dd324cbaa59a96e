"""A `mode: replica` database set (MariaDB/MySQL): each standby is a replica of the active host,
kept current by the servers' own replication. The set keeps the sync set contract:

- Pull: as for a dump set (database.py): the mirror keeps the last good dumps, a copy to load
  when a replica breaks. First it writes the heartbeat on the source (`failover_heartbeat` in
  the database: one row, the time), which replicates like any write.
- Push to a replica: nothing is loaded (a load would break replication). The replica's state is
  read: replication running (a SyncError naming the server's last error otherwise) and how old
  its data is: `Seconds_Behind_Master` while it is connected to its primary, otherwise (the
  primary gone) the age of the newest heartbeat it holds. The report's `data_at` is what
  `max_age` and `status` read. A push to a host that is not a replica (a failback to the old
  primary) is a dump set's staged load and swap: the orders come home the same way.
- `promote(host)` (a failover's `promote: true` step): replication stops and the replica takes
  writes (`read_only = OFF`); refused (UnsafePlan) when its data is older than `max_age`,
  unless the run accepts stale data (--accept-stale).
- Rollback is for dump sets only (UsageError).
"""

from __future__ import annotations

import logging
import time
from dataclasses import replace

from failover.errors import FailoverError, SyncError, UnsafePlan, UsageError
from failover.model.types import format_age, format_duration
from failover.remote.openssh import SshMaster, shared
from failover.remote.ssh import ssh_target
from failover.sync.changes import ChangeList
from failover.sync.database import DatabaseSet
from failover.sync.dbhost import SQL_TIMEOUT, DbHost
from failover.sync.dialects import MySql
from failover.sync.report import REPLICATION, SyncReport, make_report
from failover.sync.tree import Manifest

log = logging.getLogger(__name__)


class ReplicaSet(DatabaseSet):
    """A database set whose standbys are replicas (see the module docstring)."""

    def pull(self, host: str, *, master: SshMaster | None = None,
             stage_on: tuple[str, ...] = ()) -> SyncReport:
        del stage_on  # a replica is never loaded from a dump
        with shared(master, ssh_target(self.run.inventory, host)) as ssh:
            source = DbHost(self.sset, host, ssh)
            if self.database in source.databases():  # else the pull refuses it, as for dumps
                source.sql(self._mysql().heartbeat_sql(self.database))
        return super().pull(host, master=master)

    def push(self, host: str, *, master: SshMaster | None = None) -> SyncReport:
        with shared(master, ssh_target(self.run.inventory, host)) as ssh:
            db = DbHost(self.sset, host, ssh)
            status = self._status(db)
            if not status:  # the old primary in a failback: the staged load brings it home
                return super().push(host, master=ssh)
            if status.get("Slave_SQL_Running") != "Yes":
                error = status.get("Last_SQL_Error") or status.get("Last_IO_Error") or "stopped"
                raise SyncError(f"replication to {host} is not running ({error}); its copy of "
                                f"{self.database} falls behind. Fix the replica, or re-seed it "
                                "(docs/databases.md)")
            age, how = self._age(db, status)
        return self._replica_report(host, age, how, f"replica on {host}: replicating")

    def plan_push(self, host: str, tree: Manifest | None = None, *,
                  master: SshMaster | None = None) -> SyncReport:
        with shared(master, ssh_target(self.run.inventory, host)) as ssh:
            db = DbHost(self.sset, host, ssh)
            status = self._status(db)
            if not status:
                return super().plan_push(host, tree, master=ssh)
            age, how = self._age(db, status)
        return self._replica_report(host, age, how, f"would check the replica on {host}",
                                    dry_run=True)

    def promote(self, host: str, *, accept_stale: bool, dry_run: bool = False,
                master: SshMaster | None = None) -> SyncReport:
        """Stop replication on `host` and let it take writes (see the module docstring)."""
        with shared(master, ssh_target(self.run.inventory, host)) as ssh:
            db = DbHost(self.sset, host, ssh)
            status = self._status(db)
            if not status:
                raise SyncError(f"{host} is not a replica (SHOW SLAVE STATUS is empty): a "
                                f"`mode: replica` set needs {host} replicating from the primary")
            age, how = self._age(db, status)
            limit = self.sset.max_age
            if limit is not None and not accept_stale and (age is None or age > limit):
                held = "of unknown age" if age is None else f"{format_age(age)} old ({how})"
                raise UnsafePlan(f"the replica on {host} holds data {held}, more than "
                                 f"sync[{self.sset.name}].max_age {format_duration(limit)}: not "
                                 "promoted. Add --accept-stale to promote it anyway")
            if not dry_run:
                db.sql(self._mysql().promote_sql())
                log.warning("promoted: set=%s host=%s age=%s", self.sset.name, host, age)
        verb = "would stop" if dry_run else "stopped"
        return self._replica_report(host, age, how, f"{verb} replication on {host} and "
                                    f"{'would make' if dry_run else 'made'} it writable",
                                    dry_run=dry_run)

    def rollback(self, host: str, *, dry_run: bool = False) -> tuple[str, str] | None:
        raise UsageError(f"sync set {self.sset.name} is a replica set: replication keeps no "
                         "previous copy to roll back to (the mirror's dumps can be loaded by hand)")

    # -- helpers ---------------------------------------------------------------------------

    def _mysql(self) -> MySql:
        assert isinstance(self.dialect, MySql)  # the inventory allows replicas for mysql only
        return self.dialect

    def _status(self, db: DbHost) -> dict[str, str]:
        """`SHOW SLAVE STATUS` as a mapping ({} on a server that is not a replica)."""
        out = db.ssh.run(self._mysql().replica_argv(db.options),
                         f"mysql ({self.sset.name})", SQL_TIMEOUT)
        pairs = (line.split(":", 1) for line in out.splitlines() if ":" in line)
        return {key.strip(): value.strip() for key, value in pairs}

    def _age(self, db: DbHost, status: dict[str, str]) -> tuple[float | None, str]:
        """How old the replica's data is, and how that was found."""
        lag = status.get("Seconds_Behind_Master", "NULL")
        if status.get("Slave_IO_Running") == "Yes" and lag.isdigit():
            return float(lag), "replication lag"
        try:
            found = db.lines(self._mysql().heartbeat_age_sql(self.database))
            return max(0.0, float(found[0])), "since the newest heartbeat it received"
        except (FailoverError, IndexError, ValueError):  # no heartbeat replicated yet
            return None, "no heartbeat received"

    def _replica_report(self, host: str, age: float | None, how: str, what: str, *,
                        dry_run: bool = False) -> SyncReport:
        held = "of unknown age" if age is None else f"{format_age(age)} old"
        report = make_report(self.sset, "push", host, ChangeList(
            [], [], [], warnings=[f"{what}; its data is {held} ({how})"]), dry_run=dry_run,
            transport=REPLICATION)
        return replace(report, data_at=None if age is None or dry_run else time.time() - age)
