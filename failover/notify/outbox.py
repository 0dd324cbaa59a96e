"""outbox.json: the notices still owed to a channel, sent by the next `check` round.

A notice that a channel did not take within its `deadline` (notify/dispatch.py) is written here,
one entry per notice and channel, and the run or round that sent it says WARNING. Each recorded
`check` round (not --no-act) tries every entry once more; an entry leaves the file when its
channel took it, so a message owed is delivered once. Acting rounds and runs hold the run lock,
so two of them never send the same entry; the file's own short lock (`outbox.lock`) guards each
read-change-write. The notice is kept as sent, every field (its id, who, the service it is
about), its text with secrets already masked. An entry whose channel left the inventory, or older
than OWED_FOR, is dropped, with an audit line.

A damaged file is logged and read as empty (a lost reminder is better than a round that fails).
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import msgspec

from failover.notify.base import Notice
from failover.state.files import write_atomic
from failover.state.lock import FileLock

log = logging.getLogger(__name__)

OWED_FOR = 86400.0  # a day: a "failover done" older than that tells nobody anything new
LOCK_WAIT = 30.0


class Owed(msgspec.Struct):
    """One notice owed to one channel (its index in `notify:` and its `where`, no secret)."""

    notice: Notice
    channel: int
    where: str
    owed_at: float
    error: str
    attempts: int = 0

    @property
    def key(self) -> str:
        return f"{self.notice.id}|{self.channel}|{self.where}"


def _path(state_dir: Path) -> Path:
    return state_dir / "outbox.json"


def read(state_dir: Path) -> list[Owed]:
    """The entries owed now (no lock: a round's look; changes go through `editing`)."""
    try:
        data = _path(state_dir).read_bytes()
    except FileNotFoundError:
        return []
    except OSError as e:
        log.warning("outbox unreadable: path=%s error=%s", _path(state_dir), e)
        return []
    try:
        return msgspec.json.decode(data, type=list[Owed])
    except msgspec.DecodeError as e:
        log.warning("outbox damaged, read as empty: path=%s error=%s", _path(state_dir), e)
        return []


@contextmanager
def editing(state_dir: Path) -> Iterator[list[Owed]]:
    """The owed entries, under the outbox's lock; the list as the block leaves it is saved
    (the file is removed when it is empty)."""
    with FileLock(state_dir / "outbox.lock", LOCK_WAIT):
        entries = read(state_dir)
        yield entries
        path = _path(state_dir)
        if entries:
            write_atomic(path, msgspec.json.format(msgspec.json.encode(entries), indent=2))
        else:
            path.unlink(missing_ok=True)


def summary(state_dir: Path, now: float) -> list[dict[str, Any]]:
    """What `status` shows (and the --json of `status`, `check` and the run commands, as
    `notifications_owed`): each owed message, its channel, since when and the last error; the
    service it is about, with `services:`."""
    return [{"event": e.notice.event, "id": e.notice.id, "channel": f"notify[{e.channel}]",
             "where": e.where, "owed_for": round(max(0.0, now - e.owed_at), 1),
             "attempts": e.attempts, "error": e.error,
             **({"service": e.notice.service} if e.notice.service else {})}
            for e in read(state_dir)]
