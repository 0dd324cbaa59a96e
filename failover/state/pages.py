"""pages.json: when a person was last paged, per reason (`{"cooldown": 1717000000.0, ...}`).

Kept apart from state.json on purpose: a round that could not take the run lock (another run
holds it) must never write state.json, or the holder's next save would lose the write, or this one
the holder's. Page marks are the only thing such a round writes, so they live here, under their
own short lock (`pages.lock`), held while a page is decided, sent and marked, so two checkers
never page twice for one reason.

An unreadable or damaged file is logged and treated as empty: paging once too often is better than
not paging during an outage; the next mark rewrites the file whole.
"""

from __future__ import annotations

import json
import logging
from pathlib import Path
from types import TracebackType

from failover.state.files import write_atomic
from failover.state.lock import FileLock

log = logging.getLogger(__name__)

LOCK_WAIT = 120.0  # seconds: longer than one page takes (each channel has its own timeout)


class PageMarks:
    """`with PageMarks(state_dir) as marks:` read, change and (on a change) save the marks."""

    def __init__(self, state_dir: Path, service: str | None = None) -> None:
        self.path = state_dir / marks_file(service)
        self._lock = FileLock(state_dir / "pages.lock", LOCK_WAIT)
        self.marks: dict[str, float] = {}
        self._changed = False

    def __enter__(self) -> PageMarks:
        self._lock.__enter__()
        self.marks = self._read()
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        try:
            if self._changed and exc is None:
                write_atomic(self.path, json.dumps(self.marks, indent=2) + "\n")
        finally:
            self._lock.__exit__(exc_type, exc, tb)

    def mark(self, reason: str, at: float) -> None:
        self.marks[reason] = at
        self._changed = True

    def clear(self) -> None:
        if self.marks:
            self.marks = {}
            self._changed = True

    def _read(self) -> dict[str, float]:
        try:
            data = json.loads(self.path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            return {}
        except (OSError, UnicodeDecodeError, json.JSONDecodeError) as e:
            log.warning("page marks unreadable, paging as if none were sent: path=%s error=%s",
                        self.path, e)
            return {}
        if not isinstance(data, dict) or not all(
                isinstance(k, str) and isinstance(v, int | float) and not isinstance(v, bool)
                for k, v in data.items()):
            log.warning("page marks damaged (expected {reason: unix time}), paging as if none "
                        "were sent: path=%s", self.path)
            return {}
        return {k: float(v) for k, v in data.items()}


def marks_file(service: str | None) -> str:
    """pages.json; with `services:`, one file per service (pages-mail.json): mail's outage and
    web's each page once, and web being up clears only web's marks."""
    return "pages.json" if service is None else f"pages-{service}.json"


def has_marks(state_dir: Path, service: str | None = None) -> bool:
    """Cheap test (no lock) whether any mark may exist: rounds without one skip the lock."""
    return (state_dir / marks_file(service)).exists()
