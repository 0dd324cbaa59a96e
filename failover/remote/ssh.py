"""SSH to the hosts with paramiko: strict host keys, one explicit key, results as values.

Contract:
- Host keys come only from the inventory's `ssh.known_hosts` (no system file, no agent, no
  ~/.ssh keys). An unknown or changed key raises `HostKeyMismatch`, which stops the whole run.
- Anything else that keeps us from running the command (refused, timed out, login refused)
  raises `SyncError` with a plain message. A command that runs and fails is a `CommandResult`
  with a non-zero `exit_status`, not an exception.
- An argv list is quoted with `shlex.join`; a string is the operator's own shell command from a
  playbook and is sent as written.
- Commands are never logged in full (a playbook command may carry an expanded secret).
"""

from __future__ import annotations

import logging
import math
import re
import select
import shlex
import time
from dataclasses import dataclass
from pathlib import Path
from typing import NoReturn

import paramiko

from failover.errors import HostKeyMismatch, HostUnreachable, SyncError, UsageError
from failover.interrupt import checkpoint
from failover.model.inventory import Inventory

log = logging.getLogger(__name__)

_READ_CHUNK = 65536
_PROGRAM = re.compile(r"^[A-Za-z0-9_./+-]{1,64}$")  # `FOO=secret cmd` would not match


@dataclass(frozen=True)
class SshTarget:
    """Everything needed to reach one host over SSH."""

    host: str  # the inventory's name for it
    address: str
    port: int
    user: str
    identity: Path | None
    known_hosts: Path
    connect_timeout: float

    @property
    def known_hosts_name(self) -> str:
        """The name a known_hosts line uses for this host (`[addr]:port` off port 22)."""
        return self.address if self.port == 22 else f"[{self.address}]:{self.port}"

    def describe(self) -> str:
        return f"{self.host} ({self.address} port {self.port})"


@dataclass(frozen=True)
class CommandResult:
    exit_status: int  # -1 when the server sent none (e.g. the command was killed by a signal)
    stdout: str
    stderr: str

    @property
    def ok(self) -> bool:
        return self.exit_status == 0


def ssh_target(inventory: Inventory, host_name: str) -> SshTarget:
    """The SSH settings of one host. UsageError if it is unknown or has no `ssh:`."""
    host = inventory.hosts.get(host_name)
    if host is None:
        raise UsageError(f"unknown host {host_name!r}; hosts: {', '.join(inventory.hosts)}")
    if host.ssh is None:
        raise UsageError(f"host {host_name} has no ssh settings; add hosts.{host_name}.ssh "
                         "(e.g. {user: deploy, identity: ~/.ssh/failover_ed25519})")
    return SshTarget(host=host_name, address=host.address, port=host.ssh.port,
                     user=host.ssh.user, identity=host.ssh.identity,
                     known_hosts=inventory.ssh.known_hosts,
                     connect_timeout=inventory.ssh.connect_timeout)


def require_identity(target: SshTarget) -> Path:
    """The key file, or UsageError: we log in only with an explicit key (no agent, no defaults)."""
    if target.identity is None:
        raise UsageError(f"host {target.host} has no ssh identity; set hosts.{target.host}.ssh."
                         "identity to a private key file (e.g. ~/.ssh/failover_ed25519)")
    if not target.identity.is_file():
        raise UsageError(f"ssh identity of host {target.host} not found: {target.identity}")
    return target.identity


def _scan_hint(target: SshTarget) -> str:
    return (f"Check it out of band: `ssh-keyscan -p {target.port} {target.address} | "
            "ssh-keygen -lf -` and compare the SHA256 fingerprint with the one your hoster "
            "shows (console or support)")


def unknown_host_key(target: SshTarget, offered: str | None = None) -> HostKeyMismatch:
    """The error for a host whose key is not in known_hosts (or known_hosts is missing)."""
    if not target.known_hosts.is_file():
        problem = f"cannot be verified: known_hosts file {target.known_hosts} does not exist"
    else:
        problem = f"is not in known_hosts {target.known_hosts}"
    offered_text = f" (it offered {offered})" if offered else ""
    return HostKeyMismatch(
        f"host key of {target.describe()} {problem}{offered_text}; the run stops here. "
        f"{_scan_hint(target)}; if it matches, add the scanned line to {target.known_hosts}")


def changed_host_key(target: SshTarget, offered: str | None,
                     expected: list[str]) -> HostKeyMismatch:
    """The error for a host whose key differs from the one known_hosts holds for it."""
    known = " or ".join(expected) if expected else "another key"
    return HostKeyMismatch(
        f"host key of {target.describe()} has CHANGED: known_hosts {target.known_hosts} expects "
        f"{known}, the host offered {offered or 'a different key'}; the run stops here (a "
        f"reinstalled host, or someone in the middle). {_scan_hint(target)}; if the new key is "
        f"genuine, remove the old line with `ssh-keygen -R '{target.known_hosts_name}' -f "
        f"{target.known_hosts}` and add the scanned one")


def fingerprint(key: paramiko.PKey) -> str:
    """`ssh-ed25519 SHA256:...`, as `ssh-keygen -lf` shows it."""
    return f"{key.get_name()} {key.fingerprint}"


def known_fingerprints(target: SshTarget) -> list[str]:
    """Fingerprints that known_hosts holds for this host ([] if none or unreadable)."""
    try:
        keys = paramiko.HostKeys(str(target.known_hosts)).lookup(target.known_hosts_name)
    except (OSError, paramiko.SSHException):
        return []
    return [fingerprint(k) for k in keys.values()] if keys else []


class _RecordingRejectPolicy(paramiko.RejectPolicy):
    """RejectPolicy that remembers the key it rejected, to name its fingerprint."""

    def __init__(self) -> None:
        self.rejected: paramiko.PKey | None = None

    def missing_host_key(self, client: paramiko.SSHClient, hostname: str,
                         key: paramiko.PKey) -> NoReturn:
        self.rejected = key
        super().missing_host_key(client, hostname, key)


def connect(target: SshTarget, timeout: float | None = None) -> paramiko.SSHClient:
    """A connected, host-key-verified, authenticated client. The caller closes it."""
    identity = require_identity(target)
    if not target.known_hosts.is_file():
        raise unknown_host_key(target)
    limit = min(target.connect_timeout, timeout) if timeout else target.connect_timeout
    client = paramiko.SSHClient()
    policy = _RecordingRejectPolicy()
    try:
        client.load_host_keys(str(target.known_hosts))
        client.set_missing_host_key_policy(policy)
        client.connect(target.address, port=target.port, username=target.user,
                       key_filename=str(identity), look_for_keys=False, allow_agent=False,
                       timeout=limit, banner_timeout=limit, auth_timeout=limit,
                       channel_timeout=limit)
    except (paramiko.SSHException, OSError) as e:
        client.close()
        raise _connect_error(target, e, policy, limit) from e
    except BaseException:
        client.close()
        raise
    log.debug("connected: host=%s address=%s port=%d", target.host, target.address, target.port)
    return client


def _connect_error(target: SshTarget, e: paramiko.SSHException | OSError,
                   policy: _RecordingRejectPolicy, limit: float) -> HostKeyMismatch | SyncError:
    """Our error for a failed connect: HostUnreachable when the host did not answer at all."""
    where = target.describe()
    if isinstance(e, paramiko.BadHostKeyException):
        return changed_host_key(target, fingerprint(e.key), [fingerprint(e.expected_key)])
    if isinstance(e, paramiko.PasswordRequiredException):
        return SyncError(f"ssh key {target.identity} for {where} is passphrase-protected; "
                         "failover needs a key without a passphrase")
    if isinstance(e, paramiko.AuthenticationException):
        return SyncError(f"ssh login to {where} as {target.user} with key {target.identity} was "
                         f"refused; is its public key in {target.user}'s authorized_keys there?")
    if isinstance(e, paramiko.SSHException) and policy.rejected is not None:
        return unknown_host_key(target, fingerprint(policy.rejected))
    if isinstance(e, paramiko.ssh_exception.NoValidConnectionsError):
        return HostUnreachable(f"cannot connect to {where}: connection refused (is sshd "
                               "running?)")
    if isinstance(e, TimeoutError) or "banner" in str(e):
        return HostUnreachable(f"cannot connect to {where}: no answer within {limit:g}s")
    if isinstance(e, paramiko.SSHException):
        return SyncError(f"ssh to {where} failed: {e}")
    return HostUnreachable(f"cannot connect to {where}: {e.strerror or e}")


def verify_host_key(target: SshTarget) -> None:
    """Connect, check the host key and log in; run nothing. Raises like `run_command`."""
    connect(target).close()
    log.info("verified: host=%s host_key=ok login=ok", target.host)


def run_command(target: SshTarget, command: str | list[str], timeout: float) -> CommandResult:
    """Run one command on the host and wait for it, at most `timeout` seconds in all.

    Raises HostKeyMismatch (unknown/changed key), UsageError (no identity) or SyncError
    (unreachable, login refused, or the command did not finish in time).
    """
    line = command_line(command)
    program = program_name(line)
    deadline = time.monotonic() + timeout
    started = time.monotonic()
    client = connect(target, timeout)
    try:
        transport = client.get_transport()
        if transport is None:  # connect() succeeded, so this is a paramiko invariant
            raise SyncError(f"ssh to {target.describe()} lost its connection")
        try:
            channel = transport.open_session(timeout=max(deadline - time.monotonic(), 0.1))
            channel.exec_command(line)
            out, err, status = _collect(channel, deadline)
        except (paramiko.SSHException, OSError) as e:
            raise SyncError(f"ssh to {target.describe()} failed while running {program}: "
                            f"{e}") from e
        if status is None:
            raise SyncError(f"command {program} on {target.host} did not finish within "
                            f"{timeout:g}s; the connection was closed (it may still be running)")
    finally:
        client.close()
    log.info("ran: host=%s program=%s exit=%d seconds=%.2f", target.host, program, status,
             time.monotonic() - started)
    return CommandResult(status, out.decode("utf-8", "replace"), err.decode("utf-8", "replace"))


def command_line(command: str | list[str]) -> str:
    """What the remote shell runs: an argv list quoted with `shlex.join`; a string (the
    operator's own shell command from a playbook) as written."""
    return command if isinstance(command, str) else shlex.join(command)


def program_name(line: str) -> str:
    """The command's program name for logs and messages; never an argument (could be a secret).
    `(command)` when the first word is not a plain program name (e.g. `FOO=secret cmd`)."""
    first = line.split(maxsplit=1)[0] if line.strip() else ""
    return first if _PROGRAM.match(first) else "(command)"


def _collect(channel: paramiko.Channel, deadline: float) -> tuple[bytes, bytes, int | None]:
    """Read stdout/stderr until the command exits; exit status None if the deadline passed."""
    out, err = bytearray(), bytearray()
    channel.settimeout(0.0)
    while True:
        while channel.recv_ready():
            out += channel.recv(_READ_CHUNK)
        while channel.recv_stderr_ready():
            err += channel.recv_stderr(_READ_CHUNK)
        drained = not channel.recv_ready() and not channel.recv_stderr_ready()
        if drained and channel.exit_status_ready() and (channel.eof_received or channel.closed):
            break
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            channel.close()
            return bytes(out), bytes(err), None
        checkpoint()
        # stdout wakes select() at once; stderr and the exit status are seen within 50 ms
        select.select([channel], [], [], min(remaining, 0.05))
    return bytes(out), bytes(err), channel.recv_exit_status()


def ssh_connect_timeout(target: SshTarget) -> int:
    """OpenSSH's ConnectTimeout takes whole seconds."""
    return max(1, math.ceil(target.connect_timeout))
