"""DatabaseServer: the base of the rig's database controllers (mariadb.py, postgres.py).

An overview of the database servers, and how tests use them, is in databases.py.
"""

from __future__ import annotations

import contextlib
import logging
import os
import shutil
import signal
import subprocess
from abc import abstractmethod
from pathlib import Path
from typing import ClassVar

from .daemon import Daemon
from .netns import NetHost
from .proc import DEFAULT_READY_TIMEOUT, RigError, proc_starttime, run, wait_until

log = logging.getLogger(__name__)


class DatabaseServer(Daemon):
    """One database server in one host's namespace; subclasses name the engine.

    ``start()`` initialises on the first call (data dir, ``shop`` account, client file) and waits
    until the server answers; ``stop()`` is a clean shutdown, ``kill()`` a crash (SIGKILL; the
    next ``start()`` recovers).  ``sql()`` runs a query as the engine's superuser over the socket.
    """

    engine: ClassVar[str]  # "mariadb" | "postgresql": the sync set's type, mysql | postgresql
    port: ClassVar[int]
    tools: ClassVar[tuple[str, ...]]  # programs the controller runs

    def __init__(self, host: str, net: NetHost, host_dir: Path, log_path: Path) -> None:
        super().__init__(f"{self.engine}-{host}", log_path)
        self.host = host
        self.net = net
        self.namespace = net.namespace
        self.address = net.address
        self.host_dir = host_dir
        self.dir = host_dir / self.engine

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.host!r}, {self.address}:{self.port})"

    # -- what the tool and the tests use ----------------------------------------------------
    @property
    @abstractmethod
    def client_options(self) -> str:
        """The inventory's ``client_options`` for this host (see the engine's module)."""

    @property
    @abstractmethod
    def client_file(self) -> Path:
        """The 0600 file that holds the ``shop`` password (written last by the first start)."""

    @property
    @abstractmethod
    def password(self) -> str:
        """The ``shop`` account's generated password, read back from the client file."""

    @abstractmethod
    def sql(self, query: str, database: str | None = None) -> list[tuple[str, ...]]:
        """Run ``query`` (one or more statements) as the superuser; the result rows as text."""

    @abstractmethod
    def initialise(self) -> None:
        """Create the data dir (first start only)."""

    @abstractmethod
    def bootstrap(self, password: str) -> None:
        """With the server up for the first time: create the accounts, write the client file."""

    # -- lifecycle ------------------------------------------------------------------------
    def prepare(self) -> None:
        missing = [t for t in self.tools if shutil.which(t) is None]
        if missing:
            raise RigError(f"{', '.join(missing)} not found "
                           "(apt-get install mariadb-server mariadb-client postgresql)")
        if not self.initialised():
            self.dir.mkdir(parents=True, exist_ok=True)
            self.initialise()

    @abstractmethod
    def initialised(self) -> bool:
        """The data dir exists and is complete."""

    def wait_ready(self, timeout: float = DEFAULT_READY_TIMEOUT) -> float:
        waited = super().wait_ready(timeout)
        if not self.client_file.exists():
            self.bootstrap(os.urandom(16).hex())
            log.info("%s: accounts created, client file %s", self.name, self.client_file)
        return waited

    def client(
        self, argv: list[str], input_text: str | None = None, timeout: float = 120.0
    ) -> subprocess.CompletedProcess[str]:
        """Run a client program inside the host's namespace; RigError (with stderr) on failure."""
        return run(self.net.exec_argv(argv), input_text=input_text, timeout=timeout)

    def kill(self, timeout: float = 10.0) -> None:
        """SIGKILL the server (a crash): gone at once, recovery on the next ``start()``."""
        p = self.proc
        if p.pid is not None and p.alive():
            children = child_pids(p.pid)
            log.info("%s: SIGKILL pid %d", self.name, p.pid)
            with contextlib.suppress(ProcessLookupError):
                os.kill(p.pid, signal.SIGKILL)
            if not wait_until(lambda: not p.alive(), timeout):
                raise RigError(f"{self.name}: pid {p.pid} survived SIGKILL")
            # postgres's backends exit when they see the postmaster die; wait for them, or a
            # restart would find its shared memory still in use
            if not wait_until(lambda: not any(proc_starttime(c) for c in children), timeout):
                raise RigError(f"{self.name}: children {children} outlived the server")
        if p.popen is not None:
            p.popen.wait(timeout=timeout)
        p.popen, p.pid, p.starttime = None, None, None
        self.on_change()


def child_pids(pid: int) -> list[int]:
    try:
        return [int(c) for c in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]
    except OSError:
        return []


def write_private(path: Path, text: str) -> None:
    """Write ``text`` to a new 0600 file (replacing any old one); never world-readable."""
    path.unlink(missing_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as f:
        f.write(text)

