"""Daemon: base class of the rig's controllers (start -> readiness poll -> stop, log file)."""

from __future__ import annotations

import logging
import time
from abc import ABC, abstractmethod
from collections.abc import Callable
from pathlib import Path

from .proc import (
    DEFAULT_READY_TIMEOUT,
    DEFAULT_STOP_TIMEOUT,
    ManagedProcess,
    RigError,
    log_tail,
    wait_until,
)

log = logging.getLogger(__name__)


class Daemon(ABC):
    """Base controller: start() -> readiness poll -> stop(), with a log file for reports."""

    name: str

    def __init__(self, name: str, log_path: Path) -> None:
        self.name = name
        self.proc = ManagedProcess(name, log_path)
        self.on_change: Callable[[], None] = lambda: None

    @property
    def log_path(self) -> Path:
        return self.proc.log_path

    @abstractmethod
    def argv(self) -> list[str]:
        """Command line of the daemon."""

    def prepare(self) -> None:
        """Write configs etc. before spawning (default: nothing)."""
        log.debug("%s: nothing to prepare", self.name)

    @abstractmethod
    def is_accessible(self) -> bool:
        """One quick readiness probe; never raises."""

    def running(self) -> bool:
        return self.proc.alive()

    def start(self, wait: bool = True, timeout: float = DEFAULT_READY_TIMEOUT) -> None:
        self.prepare()
        self.proc.spawn(self.argv())
        self.on_change()
        if wait:
            self.wait_ready(timeout)

    def wait_ready(self, timeout: float = DEFAULT_READY_TIMEOUT) -> float:
        """Poll is_accessible() every 50 ms; return seconds waited; RigError with log tail."""
        t0 = time.monotonic()
        dead = False

        def ready() -> bool:
            nonlocal dead
            if not self.proc.alive():
                dead = True
                return True
            return self.is_accessible()

        ok = wait_until(ready, timeout)
        if dead:
            raise RigError(
                f"{self.name} exited (status {self.proc.exit_status()}) "
                f"before it was ready\n{self.log_tail()}"
            )
        if not ok:
            raise RigError(f"{self.name} not ready after {timeout}s\n{self.log_tail()}")
        waited = time.monotonic() - t0
        log.debug("%s ready after %.3fs", self.name, waited)
        return waited

    def stop(self, timeout: float = DEFAULT_STOP_TIMEOUT) -> None:
        self.proc.stop(timeout)
        self.on_change()

    def log_tail(self, lines: int = 30) -> str:
        return log_tail(self.log_path, lines)

    def state(self) -> dict[str, int | None]:
        return {"pid": self.proc.pid, "starttime": self.proc.starttime}


def stop_all(daemons: list[Daemon]) -> list[str]:
    """SIGTERM every daemon first (they exit in parallel), then wait for each; returns errors."""
    errors: list[str] = []
    for d in daemons:
        d.proc.send_term()
    for d in daemons:
        try:
            d.stop()
        except (RigError, OSError) as exc:
            errors.append(f"{d.name}: {exc}")
    return errors
