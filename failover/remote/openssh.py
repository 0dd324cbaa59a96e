"""OpenSSH for rsync and for the commands a sync runs on a host: argv lists, one connection.

Implementation notes:
- `-e` is not run by a shell: rsync splits it on whitespace itself, honouring '…' and "…"
  quoting, so `shlex.join` quoting is exactly right (checked with paths holding spaces and
  quotes). ssh expands `%` tokens in IdentityFile/UserKnownHostsFile (hence `%%`), and
  UserKnownHostsFile takes a whitespace-separated list (hence the inner double quotes).
  `-o IdentityFile=` rather than `-i`: ssh stats the `-i` argument before expanding `%%`, so
  a key path holding `%` fails with `-i` (seen with OpenSSH 9.2).
- `ServerAlive*`: a host that goes silent mid-transfer ends the run after ~60 s, not at the
  overall timeout.
- `-F /dev/null`: no ~/.ssh/config or /etc/ssh/ssh_config (paramiko reads none either), so both
  transports reach the same host with the same settings.
- `SshMaster` opens the connection before the caller's local work, so the ssh handshake (most of
  an incremental push's time) overlaps it; every rsync, and every command (`SshMaster.run`), of
  the sync then rides that connection.
"""

from __future__ import annotations

import contextlib
import os
import re
import shlex
import shutil
import signal
import subprocess
import tempfile
import time
from contextlib import AbstractContextManager
from types import TracebackType

from failover.errors import HostKeyMismatch, SyncError, UsageError
from failover.interrupt import checkpoint
from failover.remote.ssh import (
    SshTarget,
    changed_host_key,
    known_fingerprints,
    require_identity,
    ssh_connect_timeout,
    unknown_host_key,
)

_FINGERPRINT = re.compile(r"SHA256:[A-Za-z0-9+/=]+")


def _ssh_path(path: object) -> str:
    text = str(path)
    if any(c in text for c in "\"\n\r"):
        raise UsageError(f"path {text!r} cannot be passed to ssh (it holds a quote or newline)")
    return text.replace("%", "%%")


def ssh_argv(ssh: SshTarget, control: str | None = None) -> list[str]:
    identity, known_hosts = _ssh_path(require_identity(ssh)), _ssh_path(ssh.known_hosts)
    argv = [
        "ssh", "-F", "/dev/null",
        "-o", f'IdentityFile="{identity}"', "-o", "IdentitiesOnly=yes",
        "-o", f'UserKnownHostsFile="{known_hosts}"',
        "-o", "GlobalKnownHostsFile=/dev/null", "-o", "StrictHostKeyChecking=yes",
        "-o", "BatchMode=yes", "-o", f"ConnectTimeout={ssh_connect_timeout(ssh)}",
        "-o", "ServerAliveInterval=15", "-o", "ServerAliveCountMax=4",
        "-p", str(ssh.port),
    ]
    if control:
        argv += ["-o", "ControlMaster=no", "-o", f'ControlPath="{_ssh_path(control)}"']
    return argv


def ssh_command(ssh: SshTarget, control: str | None = None) -> str:
    """The value of `rsync -e`: strict host keys, one key, no config, no prompts.

    `control`: an SshMaster's socket; ssh falls back to its own connection if it is gone.
    """
    return shlex.join(ssh_argv(ssh, control))


class SshMaster:
    """One ssh connection (OpenSSH ControlMaster) for all the rsync runs of one sync.

    Started first, so its handshake overlaps the caller's local work; `ready()` waits for it and
    returns the socket for `ssh_command(control=)`. Host keys are checked exactly as by a direct
    ssh; a failure raises as run_rsync's would. The socket lives in a fresh 0700 temp folder.
    """

    def __init__(self, target: SshTarget) -> None:
        self.target = target
        self.proc: subprocess.Popen[bytes] | None = None
        self.dir = tempfile.mkdtemp(prefix="failover-ssh-")
        self.path = os.path.join(self.dir, "mux")
        if len(self.path.encode()) > 90:  # a unix socket path holds ~108 bytes, ssh adds a suffix
            return  # a long TMPDIR: no master, each rsync makes its own connection
        argv = [*ssh_argv(target), "-o", "ControlMaster=yes",
                "-o", f'ControlPath="{_ssh_path(self.path)}"', "-N",
                f"{target.user}@{target.address}"]
        try:
            self.proc = subprocess.Popen(
                argv, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                stderr=subprocess.PIPE, start_new_session=True)
        except OSError as e:
            shutil.rmtree(self.dir, ignore_errors=True)
            raise SyncError(f"cannot start ssh: {e.strerror or e}") from e

    def ready(self) -> str | None:
        """The control socket, once the connection is up; raises if it could not be made."""
        if self.proc is None:
            return None
        deadline = time.monotonic() + ssh_connect_timeout(self.target) + 10
        while not os.path.exists(self.path):
            code = self.proc.poll()
            if code is not None:
                stderr = self.proc.stderr.read().decode("utf-8", "replace") \
                    if self.proc.stderr else ""
                self.close()
                if mismatch := host_key_failure(stderr, self.target):
                    raise mismatch
                cause = stderr_cause(stderr)
                raise SyncError(f"ssh to {self.target.describe()} failed (exit {code})"
                                + (f": {cause}" if cause else ""))
            if time.monotonic() > deadline:
                self.close()
                raise SyncError(f"ssh to {self.target.describe()} did not connect in time")
            checkpoint()
            time.sleep(0.002)
        return self.path

    def run(self, argv: list[str], what: str, timeout: float) -> str:
        """Run `argv` on the host over this connection (a connection of its own when there is
        no master); its stdout. HostKeyMismatch, or SyncError naming `what` when ssh or the
        command fails or does not finish within `timeout` seconds."""
        target = self.target
        command = [*ssh_argv(target, self.ready()), "--", f"{target.user}@{target.address}",
                   shlex.join(argv)]
        try:
            proc = subprocess.Popen(command, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                    stderr=subprocess.PIPE, start_new_session=True)
        except OSError as e:
            raise SyncError(f"cannot start ssh: {e.strerror or e}") from e
        try:
            out, err = proc.communicate(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.close()  # the master holds the session's pipes (ssh hands them over)
            kill_group(proc)
            raise SyncError(f"{what} on {target.describe()} did not finish within "
                            f"{timeout:g}s") from None
        except BaseException:
            kill_group(proc)
            raise
        stderr = err.decode("utf-8", "replace")
        if proc.returncode == 255 and (mismatch := host_key_failure(stderr, target)):
            raise mismatch
        if proc.returncode != 0:
            cause = stderr_cause(stderr)
            doing = f"ssh to {target.describe()}" if proc.returncode == 255 else \
                f"{what} on {target.describe()}"
            raise SyncError(f"{doing} failed (exit {proc.returncode})"
                            + (f": {cause}" if cause else ""))
        return out.decode("utf-8", "surrogateescape")

    def close(self) -> None:
        if self.proc is not None:
            kill_group(self.proc)
            self.proc = None
        shutil.rmtree(self.dir, ignore_errors=True)

    def __enter__(self) -> SshMaster:
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.close()


def stderr_cause(stderr: str) -> str:
    """The line of rsync's stderr that says what went wrong (not its generic trailers)."""
    lines = [ln.strip() for ln in stderr.splitlines() if ln.strip()]
    ssh = [ln for ln in lines if ln.startswith("ssh:")]  # why the connection ended: first
    if ssh:  # (rsync's own line then is a consequence, "Broken pipe", in whichever order)
        return ssh[-1]
    generic = ("rsync error:", "rsync: connection unexpectedly closed")
    specific = [ln for ln in lines if ln.startswith("rsync:") and not ln.startswith(generic)]
    others = [ln for ln in lines if not ln.startswith(("rsync:", "rsync error:"))]
    if specific:
        return specific[0]
    if others:
        return others[-1]
    return lines[-1] if lines else ""


def host_key_failure(stderr: str, target: SshTarget) -> HostKeyMismatch | None:
    """ssh's "Host key verification failed." read as our HostKeyMismatch, naming the host."""
    if "Host key verification failed." not in stderr:
        return None
    if "REMOTE HOST IDENTIFICATION HAS CHANGED" in stderr or "has changed" in stderr:
        offered = _FINGERPRINT.search(stderr)
        return changed_host_key(target, offered.group(0) if offered else None,
                                known_fingerprints(target))
    return unknown_host_key(target)


def kill_group(proc: subprocess.Popen[bytes]) -> None:
    """Stop rsync and the ssh it started (their own process group, started by us)."""
    try:
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(timeout=5)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()
    except ProcessLookupError:
        proc.wait()
    finally:
        for stream in (proc.stdout, proc.stderr):
            if stream is not None:
                stream.close()


def shared(master: SshMaster | None, target: SshTarget) -> AbstractContextManager[SshMaster]:
    """`master` when it is a connection to `target` (left open: its owner closes it, e.g. a
    playbook run that opened it early so its handshake overlapped the steps before), else a
    new SshMaster that closes on exit."""
    if master is not None and master.target == target:
        return contextlib.nullcontext(master)
    return SshMaster(target)

