"""LocalStateBackend: the StateBackend contract (state/base.py) on local files.

state.json is read whole (a bad file is a clear error, never a traceback) and written atomically
(state/files.write_atomic: temp file, fsync, rename, 0600). Every save runs under an flock on the
state folder itself, so a compare (the fence, `expect`) and the rename that follows are one step
for every writer on this machine; no extra file is needed for it. The version of the state is the
file's bytes: state.json is a few kB, and comparing bytes is exact.
"""

from __future__ import annotations

import fcntl
import json
import logging
import os
from pathlib import Path

import msgspec

from failover.errors import ConfigError, Reason, StateConflict
from failover.model.coerce import Invalid
from failover.model.state import State
from failover.model.types import json_default
from failover.state.base import Lock, StateBackend, Version, Versioned
from failover.state.files import ensure_dir, write_atomic
from failover.state.lock import FileLock

log = logging.getLogger(__name__)


class LocalStateBackend(StateBackend):
    """<state_dir>/state.json and the run lock <state_dir>/lock."""

    def __init__(self, state_dir: Path) -> None:
        super().__init__()
        self.dir = state_dir
        self.path = state_dir / "state.json"

    def read(self) -> Versioned:
        try:
            data = self.path.read_bytes()
        except FileNotFoundError:
            return Versioned(State(), b"")
        return Versioned(self._parse(data), data)

    def _parse(self, data: bytes) -> State:
        try:
            return State.parse(json.loads(data.decode("utf-8")))
        except UnicodeDecodeError as e:
            raise ConfigError([Reason(str(self.path), None, None, "",
                                      f"is not UTF-8 text ({e.reason}); move it aside to start "
                                      "with a fresh state")]) from None
        except json.JSONDecodeError as e:
            raise ConfigError(
                [Reason(str(self.path), e.lineno, e.colno, "", f"is not valid JSON: {e.msg}"
                        "; move it aside to start with a fresh state")]
            ) from None
        except Invalid as e:
            reasons = [
                Reason(str(self.path), None, None, ".".join(str(p) for p in problem.path),
                       f"{problem.message}; move the file aside to start with a fresh state")
                for problem in e.problems
            ]
            raise ConfigError(reasons) from None

    def save(self, state: State, *, expect: Version | None = None) -> Version:
        text = msgspec.json.format(msgspec.json.encode(state, enc_hook=json_default), indent=2)
        data = text + b"\n"
        dir_fd = os.open(ensure_dir(self.dir), os.O_RDONLY | os.O_DIRECTORY)
        try:
            fcntl.flock(dir_fd, fcntl.LOCK_EX)  # released by close(), whatever happens
            self._check(expect)
            write_atomic(self.path, data)
        finally:
            os.close(dir_fd)
        log.debug("saved: state path=%s active=%s", self.path, state.active)
        return data

    def _check(self, expect: Version | None) -> None:
        """Refuse the save (StateConflict) when the fence or `expect` says it would lose a write."""
        if self.held is not None and (newest := self.held.current_token()) != self.held.token:
            raise StateConflict(f"{self.path} not written: the run lock was taken over (token "
                                f"{newest}, this run's {self.held.token}); nothing was saved")
        if expect is not None:
            try:
                stored: bytes = self.path.read_bytes()
            except FileNotFoundError:
                stored = b""
            if stored != expect:
                raise StateConflict(f"{self.path} changed since it was read; nothing was saved "
                                    "(read it again and retry)")

    def other_run_live(self) -> bool:
        return self.held is None and FileLock(self.dir / "lock", 0).held_elsewhere()

    def _new_lock(self, wait: float) -> Lock:
        return FileLock(self.dir / "lock", wait)
