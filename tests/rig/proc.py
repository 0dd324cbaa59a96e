"""Process helpers for the rig: commands, managed processes, polling.

Every daemon is started with stdin from /dev/null and stdout+stderr appended to its own log
file (never an inherited pipe), and is recorded as (pid, start time) so that a later stop --
possibly from another process, see ``python -m tests.rig down`` -- only signals the process
we started, never a recycled pid.
"""

from __future__ import annotations

import contextlib
import logging
import os
import signal
import subprocess
import time
from collections.abc import Callable, Sequence
from pathlib import Path

log = logging.getLogger(__name__)

POLL_INTERVAL = 0.05  # seconds between readiness polls
DEFAULT_READY_TIMEOUT = 20.0
DEFAULT_STOP_TIMEOUT = 10.0


class RigError(RuntimeError):
    """The rig (or one of its daemons) could not be set up, checked or torn down."""


def run(
    argv: Sequence[str], *, check: bool = True, timeout: float = 30.0, input_text: str | None = None
) -> subprocess.CompletedProcess[str]:
    """Run ``argv`` (no shell), capture its output; raise RigError on failure if ``check``."""
    log.debug("run %s", " ".join(argv))
    try:
        cp = subprocess.run(
            list(argv),
            capture_output=True,
            text=True,
            timeout=timeout,
            input=input_text,
            stdin=None if input_text is not None else subprocess.DEVNULL,
            check=False,
        )
    except subprocess.TimeoutExpired as exc:
        raise RigError(f"timed out after {timeout}s: {' '.join(argv)}") from exc
    if check and cp.returncode != 0:
        raise RigError(
            f"command failed (rc {cp.returncode}): {' '.join(argv)}\n"
            f"{cp.stderr.strip() or cp.stdout.strip()}"
        )
    return cp


def proc_starttime(pid: int) -> int | None:
    """Start time (clock ticks since boot, /proc/PID/stat field 22); None if gone or a zombie."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except (FileNotFoundError, ProcessLookupError, PermissionError):
        return None
    fields = stat[stat.rindex(")") + 2 :].split()  # fields[0] is field 3 (state)
    if fields[0] in ("Z", "X"):
        return None
    return int(fields[19])


def pid_matches(pid: int, starttime: int) -> bool:
    return proc_starttime(pid) == starttime


def wait_until(
    predicate: Callable[[], bool], timeout: float, interval: float = POLL_INTERVAL
) -> bool:
    """Poll ``predicate`` every ``interval`` s until it is true (-> True) or ``timeout`` passes."""
    deadline = time.monotonic() + timeout
    while True:
        if predicate():
            return True
        if time.monotonic() >= deadline:
            return False
        time.sleep(interval)


def log_tail(path: Path, lines: int = 30) -> str:
    try:
        text = path.read_text(errors="replace")
    except FileNotFoundError:
        return f"(no log file {path})"
    tail = text.splitlines()[-lines:]
    return f"--- last {len(tail)} lines of {path} ---\n" + "\n".join(tail)


def terminate_pid(pid: int, starttime: int, timeout: float = DEFAULT_STOP_TIMEOUT) -> None:
    """SIGTERM ``pid`` if it is still the process started at ``starttime``; SIGKILL on timeout."""
    for sig in (signal.SIGTERM, signal.SIGKILL):
        if not pid_matches(pid, starttime):
            return
        try:
            os.kill(pid, sig)
        except ProcessLookupError:
            return
        if wait_until(lambda: not pid_matches(pid, starttime), timeout):
            return
        log.warning("pid %d did not exit %.0fs after %s", pid, timeout, sig.name)
    raise RigError(f"pid {pid} survived SIGKILL")


def stray_pids(rig_dir: Path) -> list[tuple[int, int]]:
    """(pid, starttime) of rig daemons whose command line points into ``rig_dir``.

    A fallback for teardown when the state file is stale: sshd (-f DIR/...), pdns_server
    (--config-dir=DIR/...), the HTTP launcher (WEBROOT under DIR), mariadbd (--datadir=DIR/...)
    and postgres (-D DIR/...; its children follow the postmaster).
    """
    marker = f"{rig_dir}/"
    found: list[tuple[int, int]] = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit() or int(entry.name) == os.getpid():
            continue
        try:
            argv = (entry / "cmdline").read_bytes().decode(errors="replace").split("\0")
        except OSError:
            continue
        # sshd rewrites its argv to one string: "sshd: /usr/sbin/sshd -D -e -f DIR/... [listener]"
        prog = os.path.basename(argv[0].split()[0]) if argv[0] else ""
        ours = prog in ("sshd", "sshd:", "pdns_server", "mariadbd", "postgres") or (
            len(argv) > 1 and argv[1].endswith("http_launcher.py")
        )
        if ours and marker in " ".join(argv):
            starttime = proc_starttime(int(entry.name))
            if starttime is not None:
                found.append((int(entry.name), starttime))
    return found


class ManagedProcess:
    """One background process with its log file and (pid, start time) record."""

    def __init__(self, name: str, log_path: Path) -> None:
        self.name = name
        self.log_path = log_path
        self.popen: subprocess.Popen[bytes] | None = None
        self.pid: int | None = None
        self.starttime: int | None = None

    def spawn(self, argv: Sequence[str]) -> None:
        if self.alive():
            raise RigError(f"{self.name} already running (pid {self.pid})")
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        with self.log_path.open("ab") as logf:
            logf.write(f"=== {time.strftime('%H:%M:%S')} start: {' '.join(argv)}\n".encode())
            logf.flush()
            self.popen = subprocess.Popen(
                list(argv),
                stdin=subprocess.DEVNULL,
                stdout=logf,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        self.pid = self.popen.pid
        self.starttime = proc_starttime(self.pid)
        log.debug("%s started: pid %s", self.name, self.pid)

    def adopt(self, pid: int | None, starttime: int | None) -> None:
        """Take over a process recorded by another rig process (state file)."""
        self.popen, self.pid, self.starttime = None, pid, starttime

    def alive(self) -> bool:
        if self.pid is None or self.starttime is None:
            return False
        if self.popen is not None and self.popen.poll() is not None:
            return False
        return pid_matches(self.pid, self.starttime)

    def send_term(self) -> None:
        """SIGTERM without waiting (stop() then waits); lets several daemons exit in parallel."""
        if self.pid is not None and self.starttime is not None and self.alive():
            with contextlib.suppress(ProcessLookupError):
                os.kill(self.pid, signal.SIGTERM)

    def exit_status(self) -> int | None:
        return self.popen.poll() if self.popen is not None else None

    def stop(self, timeout: float = DEFAULT_STOP_TIMEOUT) -> None:
        if self.pid is not None and self.starttime is not None:
            terminate_pid(self.pid, self.starttime, timeout)
        if self.popen is not None:
            self.popen.wait(timeout=timeout)  # reap (and keep Popen from warning)
        self.popen, self.pid, self.starttime = None, None, None
