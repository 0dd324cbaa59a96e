"""Small file primitives: atomic 0600 writes and a JSON encoder that never prints a secret."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

from failover.model.types import SECRET_MASK, json_default
from failover.redact import redact

__all__ = ["SECRET_MASK", "append_line", "dumps", "ensure_dir", "write_atomic"]


def dumps(value: Any, *, indent: int | None = None) -> str:
    """JSON text; a Secret renders as *** wherever it hides, and so does any registered secret
    (failover.redact) held in a plain string, such as a webhook URL inside an error message."""
    return redact(json.dumps(value, default=json_default, indent=indent, sort_keys=False))


def ensure_dir(path: Path) -> Path:
    path.mkdir(mode=0o700, parents=True, exist_ok=True)
    return path


def write_atomic(path: Path, text: str | bytes, mode: int = 0o600, *,
                 durable: bool = True) -> None:
    """Write `text` so a reader sees the old file or the new one, never half of either.

    Temp file in the same folder, 0600, fsync, rename over the target, fsync the folder.
    `durable=False` skips both fsyncs (a cache that is only ever a shortcut).
    """
    ensure_dir(path.parent)
    fd, tmp = _temp_file(path)
    data = text.encode("utf-8") if isinstance(text, str) else text
    try:
        os.fchmod(fd, mode)  # 0600 unless the caller shares the file (metrics: 0644)
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            if durable:
                os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    if not durable:
        return
    dir_fd = os.open(path.parent, os.O_RDONLY)
    try:
        os.fsync(dir_fd)
    finally:
        os.close(dir_fd)


def _temp_file(path: Path) -> tuple[int, str]:
    """A new, exclusive 0600 file next to `path` (what tempfile.mkstemp does, without importing
    tempfile and what it pulls in: this runs on every cron round)."""
    while True:
        tmp = str(path.parent / f".{path.name}.{os.urandom(6).hex()}")
        try:
            return os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o600), tmp
        except FileExistsError:
            continue


def append_line(path: Path, line: str) -> None:
    """Append one line (O_APPEND, 0600); lines of concurrent writers never interleave."""
    ensure_dir(path.parent)
    fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
    try:
        os.write(fd, (line.rstrip("\n") + "\n").encode("utf-8"))
    finally:
        os.close(fd)
