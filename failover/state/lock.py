"""One acting run at a time: an flock on <state_dir>/lock, polled until a deadline."""

from __future__ import annotations

import fcntl
import os
import time
from pathlib import Path
from types import TracebackType

from failover.errors import LockHeld
from failover.state.files import ensure_dir


class RunLock:
    """`with RunLock(path, wait=60):` holds the lock or raises LockHeld after `wait` seconds.

    The kernel drops an flock when its holder dies, so a killed run never leaves a stale lock.
    """

    def __init__(self, path: Path, wait: float) -> None:
        self.path = path
        self.wait = wait
        self._fd: int | None = None

    def __enter__(self) -> RunLock:
        ensure_dir(self.path.parent)
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o600)
        deadline = time.monotonic() + self.wait
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() >= deadline:
                    holder = os.pread(fd, 64, 0).decode(errors="replace").strip() or "unknown"
                    os.close(fd)
                    raise LockHeld(
                        f"another failover run holds {self.path} (pid {holder}); "
                        f"gave up after {self.wait:g}s (--wait sets how long to wait)"
                    ) from None
                time.sleep(0.1)
        os.ftruncate(fd, 0)
        os.pwrite(fd, str(os.getpid()).encode(), 0)
        self._fd = fd
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if self._fd is not None:
            fcntl.flock(self._fd, fcntl.LOCK_UN)
            os.close(self._fd)
            self._fd = None
