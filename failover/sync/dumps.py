"""A database set's copy in the mirror: one compressed dump and what is known about it.

Each snapshot (snapshots.py: the last `keep_snapshots` good pulls, the newest of them the *last
good* one) of a database set holds two files:

    dump.sql.gz   the dump as the source's dump program wrote it, compressed on the source
    dump.json     DumpInfo: engine, database, source host, when, size, sha256, the row count
                  of every table (read from the dump's own text as it streamed by), the
                  source's position when it could be recorded, what the swap cannot move

A push loads only a dump whose bytes still have the recorded sha256 (a damaged or truncated
file is refused before anything changes on the host), and checks the loaded tables' row counts
against the recorded ones before anything is swapped.

`stream_dump` runs the dump over ssh and writes, hashes and reads the stream in one pass.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import logging
import os
import select
import subprocess
import threading
import time
import zlib
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from failover.errors import MirrorUnusable, SyncError
from failover.interrupt import checkpoint
from failover.remote.openssh import kill_group
from failover.sync.changes import ChangeList
from failover.sync.dumptext import DumpParser

log = logging.getLogger(__name__)

DUMP, INFO = "dump.sql.gz", "dump.json"
CHUNK = 1 << 20


@dataclass(frozen=True)
class DumpInfo:
    engine: str
    database: str
    host: str
    taken_at: float
    size: int  # compressed bytes in the mirror
    sha256: str
    tables: dict[str, int]
    position: str | None = None
    unmovable: list[str] = field(default_factory=list)

    @property
    def rows(self) -> int:
        return sum(self.tables.values())

    def save(self, folder: Path) -> None:
        path = folder / INFO
        tmp = path.with_suffix(".tmp")
        tmp.write_text(json.dumps(asdict(self), indent=1, sort_keys=True), encoding="utf-8")
        os.replace(tmp, path)

    @classmethod
    def load(cls, folder: Path) -> DumpInfo:
        """The snapshot's record; SyncError when it is missing or unreadable."""
        try:
            data: dict[str, Any] = json.loads((folder / INFO).read_text(encoding="utf-8"))
            return cls(**data)
        except (OSError, ValueError, TypeError) as exc:
            raise MirrorUnusable(f"the mirror's dump in {folder} has no readable {INFO} "
                                 f"({exc}); pull again") from None


def verify(folder: Path, info: DumpInfo) -> Path:
    """The dump file, once its bytes are those that were pulled; SyncError otherwise."""
    path = folder / DUMP
    digest = hashlib.sha256()
    try:
        with path.open("rb") as f:
            while block := f.read(CHUNK):
                digest.update(block)
    except OSError as exc:
        raise MirrorUnusable(f"the mirror's dump {path} cannot be read: {exc.strerror}") from None
    if digest.hexdigest() != info.sha256 or path.stat().st_size != info.size:
        raise MirrorUnusable(f"the mirror's dump {path} is damaged: its checksum is not the "
                             "one recorded when it was pulled (a truncated or changed file); "
                             "nothing was loaded. Pull again, or load an older snapshot by hand")
    return path


@dataclass
class Streamed:
    size: int
    sha256: str
    status: str  # the script's `@failover ...` line
    stderr: str


def stream_dump(argv: list[str], dest: Path, parser: DumpParser, timeout: float,
                idle: float, cancel: threading.Event | None,
                sinks: Sequence[Callable[[bytes], None]] = ()) -> Streamed:
    """Run `argv` (ssh running scripts/db_dump.sh on the host); its stdout into `dest`,
    hashed, given to each of `sinks` (loads on the standbys) and, decompressed, fed to
    `parser`. SyncError when no byte came for `idle` seconds (a cut link: ssh alone would wait
    a minute for its keepalives) or the whole took longer than `timeout`.

    Both pipes are read here, never in a thread: over a shared connection the ssh master
    holds the session's pipes, so a thread blocked reading one would keep it (and the close
    in kill_group) waiting until the master gave up on a cut link."""
    digest, size, err = hashlib.sha256(), 0, bytearray()
    unzip = zlib.decompressobj(wbits=31)
    proc = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, start_new_session=True)
    assert proc.stdout is not None
    assert proc.stderr is not None
    out_fd, err_fd = proc.stdout.fileno(), proc.stderr.fileno()
    open_fds = {out_fd, err_fd}
    started = last = time.monotonic()
    try:
        with dest.open("wb") as out:
            while out_fd in open_fds:
                checkpoint()
                if cancel is not None and cancel.is_set():
                    raise KeyboardInterrupt
                now = time.monotonic()
                if now - last > idle or now - started > timeout:
                    why = (f"no data for {idle:g}s" if now - last > idle
                           else f"not done within {timeout:g}s")
                    raise SyncError(f"the dump stream stopped: {why}; the mirror keeps its "
                                    "last good dump")
                for fd in select.select(list(open_fds), [], [], 0.5)[0]:
                    block = os.read(fd, CHUNK)
                    if not block:
                        open_fds.discard(fd)
                    elif fd == err_fd:
                        err += block
                    else:
                        last = now
                        out.write(block)
                        for sink in sinks:
                            sink(block)
                        digest.update(block)
                        size += len(block)
                        with contextlib.suppress(zlib.error):  # not gzip: the status says why
                            parser.feed(unzip.decompress(block))
            out.flush()
            os.fsync(out.fileno())
        parser.close()
        deadline = time.monotonic() + 10  # the status line comes last, as ssh ends
        while err_fd in open_fds and time.monotonic() < deadline:
            if select.select([err_fd], [], [], 0.5)[0]:
                block = os.read(err_fd, CHUNK)
                err += block
                if not block:
                    open_fds.discard(err_fd)
        proc.wait(timeout=10)
    except BaseException:
        kill_group(proc)
        raise
    proc.stdout.close()
    proc.stderr.close()
    lines = err.decode("utf-8", "replace").rstrip("\n").splitlines()
    status = lines[-1] if lines and lines[-1].startswith("@failover ") else ""
    rest = "\n".join(line for line in lines if line != status)
    return Streamed(size, digest.hexdigest(), status, rest)


def table_changes(before: dict[str, int], after: dict[str, int], *,
             estimated: bool = False) -> ChangeList:
    """Tables as a change list: `+ orders (1204 rows)`, `~ orders (1204 -> 1310 rows)`;
    `estimated`: the counts of `after` are the server's estimates (`about 1310 rows`)."""
    about = "about " if estimated else ""
    created = [f"{t} ({about}{n} rows)" for t, n in after.items() if t not in before]
    updated = [f"{t} ({before[t]} -> {about}{n} rows)" for t, n in after.items() if t in before]
    deleted = [f"{t} ({before[t]} rows)" for t in before if t not in after]
    return ChangeList(created, updated, deleted)


def script_status(stderr: str) -> str:
    last = [ln for ln in stderr.splitlines() if ln.startswith("@failover ")]
    return last[-1].removeprefix("@failover ") if last else "no status"


def last_message(stderr: str) -> str:
    lines = [ln.strip() for ln in stderr.splitlines()
             if ln.strip() and not ln.startswith("@failover ")]
    return lines[-1] if lines else "no message"


def differences(want: dict[str, int], got: dict[str, int]) -> str:
    diff = [f"{t}: {got.get(t, 'missing')} rows, the dump {want.get(t, 'none')}"
            for t in sorted(set(want) | set(got)) if want.get(t) != got.get(t)]
    return "; ".join(diff[:5]) + ("; ..." if len(diff) > 5 else "")
