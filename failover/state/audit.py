"""audit.jsonl: append-only, one JSON object per line: every round, decision, step, DNS change.

Each line carries the time, the event, who ran it (user@machine, pid, and `via`: cron, watch, a
terminal, ... as failover/who.py tells), the event's fields and
`prev`, the hash of the line before it (state/auditchain.py: the chain `report --verify` checks).
Secrets render as *** (state/files.dumps).

A log that can run for years on a checker that must not fill its disk:
- A healthy round (checker online, every check of every host passed, nothing to do) is not
  written as its own `round` and `decision` lines: consecutive healthy rounds are counted in one
  `rounds` line, `{"first", "last", "count", "active", "hosts"}`, written when something else is
  (so lines stay in time order), when the active host or the hosts checked change, and at least
  once an hour. Until then the count is kept in audit.meta.json; `read()` yields it last. Every
  round is still counted, so availability from the log stays exact.
- Past `max_bytes` the live file is rotated into `audit-<UTC time>.jsonl.gz`; the chain goes on
  across files and `read()` reads them all, oldest first.

Writers on the same state folder (cron's check beside a person's sync) take an flock on
audit.meta.json for each write, so the chain never forks.
"""

from __future__ import annotations

import fcntl
import os
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from failover.state.auditchain import (
    GENESIS,
    LIVE,
    META,
    audit_files,
    entries,
    line_hash,
    parse_meta,
    read_meta,
)
from failover.state.files import append_line, dumps, ensure_dir, write_atomic

SUMMARY_EVERY = 3600.0  # a `rounds` line at least this often while all is well
MAX_BYTES = 8 * 1024 * 1024  # the live file is rotated past this size


class AuditLog:
    def __init__(self, state_dir: Path, *, clock: Any = time.time,
                 max_bytes: int = MAX_BYTES, compact: bool = True, via: str = "",
                 service: str | None = None) -> None:
        from failover.who import started_via, user_at_host

        self.dir = state_dir
        self.service = service  # with `services:`: every record says which service it is of
        self.path = state_dir / LIVE
        self.who = user_at_host()
        self.via = via or started_via()  # cron, watch, terminal, ... (failover/who.py)
        self.clock = clock
        self.max_bytes = max_bytes
        self.compact = compact  # False: every round in full (tests compare the two)

    @property
    def started_by(self) -> str:
        """`user@host (cron)`: who started this process, for messages to people."""
        return f"{self.who} ({self.via})"

    def write(self, event: str, **fields: Any) -> None:
        with self._locked() as meta:
            self._flush(meta)
            self._append(meta, self._record(event, fields))

    def write_round(self, round_fields: dict[str, Any], decision_fields: dict[str, Any], *,
                    healthy: bool, hosts: list[str]) -> None:
        """One round: counted into the `rounds` summary when `healthy`, else written in full
        (a `round` line and a `decision` line)."""
        now = round(self.clock(), 3)
        key = "pending" if self.service is None else f"pending:{self.service}"
        with self._locked() as meta:
            pending = meta.get(key)
            active = round_fields.get("active")
            if healthy and self.compact:
                if pending and (pending["active"] != active or pending["hosts"] != hosts
                                or now - pending["first"] >= SUMMARY_EVERY):
                    self._flush(meta, key)
                    pending = None
                if pending:
                    pending.update(last=now, count=pending["count"] + 1)
                else:
                    meta[key] = {"first": now, "last": now, "count": 1, "active": active,
                                 "hosts": hosts, **({"service": self.service} if self.service
                                                    else {})}
            else:
                self._flush(meta)
                self._append(meta, self._record("round", round_fields, now))
                self._append(meta, self._record("decision", decision_fields, now))

    def read(self) -> Iterator[dict[str, Any]]:
        """Every record, oldest first, across rotated files; the healthy rounds not yet written
        come last, as the `rounds` line they will become."""
        for entry in entries(self.dir):
            if entry.record is not None:
                yield entry.record
        meta = read_meta(self.dir)
        for key in [k for k in meta if k == "pending" or k.startswith("pending:")]:
            yield self._summary(meta[key])

    # -- inside the lock ------------------------------------------------------------------
    @contextmanager
    def _locked(self) -> Iterator[dict[str, Any]]:
        """audit.meta.json, read and written under an flock on itself: the head and the count
        of healthy rounds not yet written. Rewritten in place (no rename: this runs every round);
        a torn file reads as empty, and the head is then found again from the log's last line."""
        ensure_dir(self.dir)
        fd = os.open(self.dir / META, os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
            meta = parse_meta(os.pread(fd, 1 << 20, 0))
            yield meta
            data = dumps(meta).encode("utf-8")
            os.pwrite(fd, data, 0)
            os.ftruncate(fd, len(data))
        finally:
            os.close(fd)  # drops the flock

    def _record(self, event: str, fields: dict[str, Any],
                ts: float | None = None) -> dict[str, Any]:
        service = {"service": self.service} if self.service else {}
        return {"ts": round(self.clock(), 3) if ts is None else ts, "event": event,
                "who": self.who, "via": self.via, "pid": os.getpid(), **service, **fields}

    def _summary(self, pending: dict[str, Any]) -> dict[str, Any]:
        return {"ts": pending["last"], "event": "rounds", "who": self.who, "via": self.via,
                "pid": os.getpid(), **pending}

    def _flush(self, meta: dict[str, Any], key: str | None = None) -> None:
        """Write the pending summary `key` (None: every service's) as a `rounds` line."""
        for k in [key] if key else [k for k in meta if k == "pending" or k.startswith("pending:")]:
            pending = meta.pop(k, None)
            if pending:
                self._append(meta, self._summary(pending))

    def _append(self, meta: dict[str, Any], record: dict[str, Any]) -> None:
        head = meta.get("head")
        if head is None or not self._files_exist():
            head = self._tail_hash()
        text = dumps({**record, "prev": head})
        append_line(self.path, text)
        meta["head"] = line_hash(text)
        if self.path.stat().st_size >= self.max_bytes:
            self._rotate()

    def _files_exist(self) -> bool:
        return self.path.exists() or bool(audit_files(self.dir))

    def _tail_hash(self) -> str:
        """The hash of the log's last line (GENESIS for an empty log): where the chain goes on
        when audit.meta.json is missing (a log from before the chain, or the file removed)."""
        last = None
        for entry in entries(self.dir):
            last = entry.text
        return GENESIS if last is None else line_hash(last)

    def _rotate(self) -> None:
        import gzip

        # audit-<sequence>-<UTC time>: the sequence keeps the order whatever the clock did
        seq = 1 + max((int(p.name.split("-")[1]) for p in audit_files(self.dir)
                       if p.name != LIVE and p.name.split("-")[1].isdigit()), default=0)
        stamp = time.strftime("%Y%m%dT%H%M%SZ", time.gmtime(self.clock()))
        plain = self.dir / f"audit-{seq:06d}-{stamp}.jsonl"
        os.replace(self.path, plain)  # the live file starts afresh; the chain goes on
        write_atomic(plain.with_name(plain.name + ".gz"), gzip.compress(plain.read_bytes(), 6))
        plain.unlink()

