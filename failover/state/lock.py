"""FileLock: the local Lock (state/base.py): an flock on a file, polled until a deadline.

The file holds `<pid> <token>`: the holder's pid, for the message of whoever gives up waiting, and
the fencing token, a counter that every acquisition raises by one. The file is never deleted, so
the counter only grows. An flock cannot be lost while its holder lives, so locally the fence never
trips; it is kept so that callers work the same with a lease that can expire (etcd).
"""

from __future__ import annotations

import fcntl
import os
import time
from pathlib import Path

from failover.errors import LockHeld, StateUnwritable
from failover.state.base import Lock
from failover.state.files import ensure_dir


def _holder(data: bytes) -> tuple[str, int]:
    """(pid, token) from the lock file's text; a file written before tokens holds the pid only."""
    words = data.decode(errors="replace").split()
    token = int(words[1]) if len(words) > 1 and words[1].isdigit() else 0
    return (words[0] if words else "unknown"), token


class FileLock(Lock):
    """`with FileLock(path, wait=60):` holds the lock or raises LockHeld after `wait` seconds.

    The kernel drops an flock when its holder dies, so a killed run never leaves a stale lock.
    """

    def __init__(self, path: Path, wait: float) -> None:
        super().__init__(wait)
        self.path = path
        self._fd: int | None = None

    def acquire(self) -> int:
        try:
            ensure_dir(self.path.parent)
            fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o600)
        except OSError as e:  # before anything is done: say so, never a traceback
            raise StateUnwritable(f"cannot open the lock file {self.path}: {e.strerror}; the "
                                  "state folder must be writable (nothing was done)") from None
        deadline = time.monotonic() + self.wait
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() >= deadline:
                    pid, _ = _holder(os.pread(fd, 64, 0))
                    os.close(fd)
                    raise LockHeld(
                        f"another failover run holds {self.path} (pid {pid}); "
                        f"gave up after {self.wait:g}s (--wait sets how long to wait)"
                    ) from None
                time.sleep(0.1)
        token = _holder(os.pread(fd, 64, 0))[1] + 1
        os.ftruncate(fd, 0)
        os.pwrite(fd, f"{os.getpid()} {token}\n".encode(), 0)
        self._fd = fd
        return token

    def held_elsewhere(self) -> bool:
        """Is the lock held by anyone (a probe: takes it and lets go at once when free)?"""
        try:
            fd = os.open(self.path, os.O_RDONLY)
        except FileNotFoundError:
            return False
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return True
        finally:
            os.close(fd)
        return False

    def release(self) -> None:
        if self._fd is not None:
            fcntl.flock(self._fd, fcntl.LOCK_UN)
            os.close(self._fd)
            self._fd = None

    def current_token(self) -> int:
        try:
            return _holder(self.path.read_bytes()[:64])[1]
        except FileNotFoundError:
            return 0
