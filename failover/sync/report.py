"""What one pull or push changed (or, dry run, would change), and the gates every transport
applies before changing anything (max_delete)."""

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


def check_deletions(sset: SyncSet, direction: Direction, host: str, plan: RsyncResult) -> None:
    count = len(plan.deleted)
    if count <= sset.max_delete:
        return
    where = f"to {host}" if direction == "push" else f"from {host}"
    what = "files" if direction == "push" else "files from the mirror"
    log.warning("refused: set=%s direction=%s host=%s deletions=%d max_delete=%d", sset.name,
                direction, host, count, sset.max_delete)
    raise UnsafePlan(f"sync {sset.name} {where} would delete {count} {what}, more than "
                     f"max_delete={sset.max_delete}; raise sync[{sset.name}].max_delete in the "
                     "inventory to allow it")


def changes(result: RsyncResult) -> bool:
    return bool(result.created or result.updated or result.deleted)


def make_report(sset: SyncSet, direction: Direction, host: str, result: RsyncResult, *,
            dry_run: bool, transport: str = "rsync") -> SyncReport:
    return SyncReport(set=sset.name, direction=direction, host=host, dry_run=dry_run,
                      created=result.created, updated=result.updated, deleted=result.deleted,
                      bytes_sent=result.bytes_sent, files_transferred=result.files_transferred,
                      bytes_received=result.bytes_received, warnings=result.warnings,
                      transport=transport)
