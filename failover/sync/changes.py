"""The change list: what one transfer changes in the receiving tree (or, planned, would change).

One value for every transport and every question: rsync's itemized output (rsync.py), the SFTP
diff of two manifests (tree.diff), a dry run's prediction (predict.py) and the atomic release
script's comparison (release.py) all come back as a ChangeList, and the report a user sees
(report.SyncReport) is a ChangeList with where it went. Names are paths relative to the set's
root, as rsync names them: directories end in '/'. Pure values: no I/O.
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields
from typing import Any


@dataclass(frozen=True)
class ChangeList:
    """`+ created`, `~ updated`, `- deleted`, with what crossing the wire cost (or, planned,
    would cost: `bytes_sent` 0 until it runs) and the warnings the transfer gave."""

    created: list[str]
    updated: list[str]
    deleted: list[str]
    bytes_sent: int = 0
    files_transferred: int = 0
    bytes_received: int = 0
    warnings: list[str] = field(default_factory=list)

    @property
    def changed(self) -> bool:
        return bool(self.created or self.updated or self.deleted)

    def counts(self) -> str:
        """`1 created, 0 updated, 2 deleted`."""
        return (f"{len(self.created)} created, {len(self.updated)} updated, "
                f"{len(self.deleted)} deleted")

    def lines(self) -> list[str]:
        """For humans: `+ new`, `~ changed`, `- deleted`, `! warning`; `no changes` if none."""
        out = [f"+ {name}" for name in self.created]
        out += [f"~ {name}" for name in self.updated]
        out += [f"- {name}" for name in self.deleted]
        out += [f"! {w}" for w in self.warnings]
        return out or ["no changes"]

    def change_fields(self) -> dict[str, Any]:
        """The ChangeList part of this value (of a subclass too), to build another from it."""
        return {f.name: getattr(self, f.name) for f in fields(ChangeList)}
