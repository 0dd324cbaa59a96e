"""What one pull or push changed (or, dry run, would change), and the gates every transport
applies before changing anything: a push's max_delete; a pull's empty source, max_delete and
max_delete_percent (`--allow-deletes N` stands in for both for one run)."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any, Literal

from failover.errors import UnsafePlan
from failover.model.syncset import SyncSet
from failover.sync.changes import ChangeList

log = logging.getLogger(__name__)

Direction = Literal["pull", "push"]
DUMP_PROGRAMS = ("mysqldump", "pg_dump", "mysql", "psql")  # a database set's `transport`
REPLICATION = "replication"  # a replica set's push: the replica checked, nothing sent


@dataclass(frozen=True, kw_only=True)
class SyncReport(ChangeList):
    """What one pull or push changed (or, with dry_run, would change): its change list, and
    which set went which way to or from which host, over which transport."""

    set: str
    direction: Direction
    host: str
    dry_run: bool
    transport: str = "rsync"  # or "sftp" (the fallback for hosts without rsync)
    data_at: float | None = None  # a push whose data is not the mirror's pull (a replica's)

    @property
    def is_dump(self) -> bool:
        """A database set's transfer: its change list names tables, and one dump moved."""
        return self.transport in DUMP_PROGRAMS

    def to_json(self) -> dict[str, Any]:
        """Plain data for --json and the audit log, in the order they have always shown."""
        return {"set": self.set, "direction": self.direction, "host": self.host,
                "dry_run": self.dry_run, **self.change_fields(), "transport": self.transport}

    def summary(self) -> str:
        """`pull webroot from primary: changed 3 created, ...`; a dry run's says what it would
        do: `would push webroot to standby: 1 created, 0 updated, 2 deleted`."""
        where = f"{self.set} {'from' if self.direction == 'pull' else 'to'} {self.host}"
        head = f"would {self.direction} {where}" if self.dry_run else f"{self.direction} {where}"
        if not self.changed:
            return f"{head}: no changes"
        return (f"{head}: {'' if self.dry_run else 'changed '}{self.counts()}")


def path_key(sset: SyncSet, host: str) -> str:
    """The inventory key that holds the set's path on `host`."""
    return f"sync[{sset.name}].path" + (f".{host}" if isinstance(sset.path, dict) else "")


def _files(n: int) -> str:
    return f"{n} file" if n == 1 else f"{n} files"


def check_deletions(sset: SyncSet, host: str, plan: ChangeList, allow: int | None = None) -> None:
    """A push's gate: refuse to delete more than max_delete files from `host` (`allow`: the
    run's --allow-deletes instead)."""
    count = len(plan.deleted)
    limit = sset.max_delete if allow is None else allow
    if count <= limit:
        return
    rule = f"max_delete={sset.max_delete}" if allow is None else f"--allow-deletes {allow}"
    log.warning("refused: set=%s direction=push host=%s deletions=%d limit=%d", sset.name, host,
                count, limit)
    raise UnsafePlan(f"sync {sset.name} to {host} would delete {count} files, more than {rule}; "
                     f"check {path_key(sset, host)} first; if the deletions are meant: "
                     f"--allow-deletes {count} for this run, or raise sync[{sset.name}].max_delete "
                     "in the inventory")


MIN_FILES_FOR_SHARE = 10  # octoDNS checks its share thresholds only on zones of 10+ records


def pull_limit(sset: SyncSet, now: int, allow: int | None = None,
               floor: int = MIN_FILES_FOR_SHARE) -> tuple[int, str]:
    """The most files a pull may delete from a mirror of `now` files, and the rule that says
    so: the run's `--allow-deletes N`, else the lower of max_delete and max_delete_percent of
    `now` (the share counts for a mirror of `floor` files or more; a database's tables are
    few and each one matters: its set counts the share from the first table)."""
    if allow is not None:
        return allow, f"--allow-deletes {allow}"
    limit, rule = sset.max_delete, f"max_delete={sset.max_delete}"
    share = now * sset.max_delete_percent // 100
    if now >= floor and share < limit:
        limit, rule = share, f"max_delete_percent={sset.max_delete_percent} ({share} of {now})"
    return limit, rule


def check_pull(sset: SyncSet, host: str, host_path: str, *, now: int, after: int, deleted: int,
               allow: int | None = None) -> int:
    """A pull's gates, before anything changes: the source holds files, and the pull deletes
    no more of the mirror's `now` files than pull_limit() allows. `after`: the files the
    mirror will hold (the source's, without excluded paths). Files count as rsync counts them:
    folders and symlinks too. Returns the limit (the transfer's --max-delete); raises UnsafePlan
    naming the path to check first, then the overrides."""
    where, key = f"{host}:{host_path}", path_key(sset, host)
    if after == 0:
        log.warning("refused: set=%s direction=pull host=%s reason=empty source", sset.name, host)
        held = (f"the mirror holds {_files(now)} and keeps its last good copy" if now else
                "the mirror holds nothing yet")
        raise UnsafePlan(f"sync {sset.name} from {host} refused: {where} holds no files (it is "
                         f"empty, or holds only excluded paths); {held}. Check {key}: an empty "
                         "source is never pulled (pushed, it would wipe the standbys)")
    limit, rule = pull_limit(sset, now, allow)
    if deleted <= limit:
        return limit
    log.warning("refused: set=%s direction=pull host=%s deletions=%d limit=%d files_now=%d "
                "files_after=%d", sset.name, host, deleted, limit, now, after)
    raise UnsafePlan(f"sync {sset.name} from {host} would delete {deleted} files from the "
                     f"mirror, more than {rule} allows: {where} holds {_files(after)}, the "
                     f"mirror {_files(now)}. Check {key} first. If the deletions are meant: "
                     f"--allow-deletes {deleted} for this run (failover sync, run, failover, "
                     f"failback), or raise sync[{sset.name}].max_delete or "
                     f"sync[{sset.name}].max_delete_percent in the inventory. The mirror keeps "
                     "its last good copy")


def make_report(sset: SyncSet, direction: Direction, host: str, result: ChangeList, *,
                dry_run: bool, transport: str = "rsync") -> SyncReport:
    """`result` (any transport's change list) as the report of this transfer."""
    return SyncReport(**result.change_fields(), set=sset.name, direction=direction, host=host,
                      dry_run=dry_run, transport=transport)
