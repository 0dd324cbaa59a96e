"""What one pull or push changed (or, dry run, would change), and the gates every transport
applies before changing anything: a push's max_delete; a pull's empty source, max_delete and
max_delete_percent (`--allow-deletes N` stands in for both for one run)."""

from __future__ import annotations

import logging
from dataclasses import asdict, dataclass, field
from typing import Any, Literal

from failover.errors import UnsafePlan
from failover.model.inventory import SyncSet
from failover.sync.rsync import RsyncResult

log = logging.getLogger(__name__)

Direction = Literal["pull", "push"]


@dataclass(frozen=True)
class SyncReport:
    """What one pull or push changed (or, with dry_run, would change)."""

    set: str
    direction: Direction
    host: str
    dry_run: bool
    created: list[str]
    updated: list[str]
    deleted: list[str]
    bytes_sent: int
    files_transferred: int
    bytes_received: int = 0
    warnings: list[str] = field(default_factory=list)
    transport: str = "rsync"  # or "sftp" (the fallback for hosts without rsync)

    @property
    def changed(self) -> bool:
        return bool(self.created or self.updated or self.deleted)

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    def summary(self) -> str:
        """`pull webroot from primary: changed 3 created, ...`; a dry run's says what it would
        do: `would push webroot to standby: 1 created, 0 updated, 2 deleted`."""
        where = f"{self.set} {'from' if self.direction == 'pull' else 'to'} {self.host}"
        head = f"would {self.direction} {where}" if self.dry_run else f"{self.direction} {where}"
        if not self.changed:
            return f"{head}: no changes"
        return (f"{head}: {'' if self.dry_run else 'changed '}{self.counts()}")

    def counts(self) -> str:
        return (f"{len(self.created)} created, {len(self.updated)} updated, "
                f"{len(self.deleted)} deleted")

    def lines(self) -> list[str]:
        """For humans: `+ new`, `~ changed`, `- deleted`, `! warning`; `no changes` if none."""
        out = [f"+ {name}" for name in self.created]
        out += [f"~ {name}" for name in self.updated]
        out += [f"- {name}" for name in self.deleted]
        out += [f"! {w}" for w in self.warnings]
        return out or ["no changes"]


def path_key(sset: SyncSet, host: str) -> str:
    """The inventory key that holds the set's path on `host`."""
    return f"sync[{sset.name}].path" + (f".{host}" if isinstance(sset.path, dict) else "")


def _files(n: int) -> str:
    return f"{n} file" if n == 1 else f"{n} files"


def check_deletions(sset: SyncSet, host: str, plan: RsyncResult, allow: int | None = None) -> None:
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


def pull_limit(sset: SyncSet, now: int, allow: int | None = None) -> tuple[int, str]:
    """The most files a pull may delete from a mirror of `now` files, and the rule that says
    so: the run's `--allow-deletes N`, else the lower of max_delete and max_delete_percent of
    `now` (the share counts for a mirror of MIN_FILES_FOR_SHARE files or more)."""
    if allow is not None:
        return allow, f"--allow-deletes {allow}"
    limit, rule = sset.max_delete, f"max_delete={sset.max_delete}"
    share = now * sset.max_delete_percent // 100
    if now >= MIN_FILES_FOR_SHARE and share < limit:
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
        raise UnsafePlan(f"sync {sset.name} from {host} refused: {where} holds no files (it is "
                         f"empty, or holds only excluded paths); the mirror holds {_files(now)} "
                         f"and keeps its last good copy. Check {key}: an empty source is never "
                         "pulled (pushed, it would wipe the standbys)")
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


def changes(result: RsyncResult) -> bool:
    return bool(result.created or result.updated or result.deleted)


def make_report(sset: SyncSet, direction: Direction, host: str, result: RsyncResult, *,
            dry_run: bool, transport: str = "rsync") -> SyncReport:
    return SyncReport(set=sset.name, direction=direction, host=host, dry_run=dry_run,
                      created=result.created, updated=result.updated, deleted=result.deleted,
                      bytes_sent=result.bytes_sent, files_transferred=result.files_transferred,
                      bytes_received=result.bytes_received, warnings=result.warnings,
                      transport=transport)
