"""audit.jsonl: append-only, one JSON object per line: every round, decision, step, DNS change.

Each line carries the time, the event, who ran it (user, machine, pid) and the event's fields.
Secrets render as *** (state/files.dumps).
"""

from __future__ import annotations

import getpass
import os
import socket
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from failover.state.files import append_line, dumps


def _who() -> str:
    try:
        user = getpass.getuser()
    except (KeyError, OSError):
        user = str(os.getuid())
    return f"{user}@{socket.gethostname()}"


class AuditLog:
    def __init__(self, state_dir: Path, *, clock: Any = time.time) -> None:
        self.path = state_dir / "audit.jsonl"
        self.who = _who()
        self.clock = clock

    def write(self, event: str, **fields: Any) -> None:
        record = {"ts": round(self.clock(), 3), "event": event, "who": self.who,
                  "pid": os.getpid(), **fields}
        append_line(self.path, dumps(record))

    def read(self) -> Iterator[dict[str, Any]]:
        import json

        try:
            with self.path.open(encoding="utf-8") as f:
                for line in f:
                    if line.strip():
                        yield json.loads(line)
        except FileNotFoundError:
            return
