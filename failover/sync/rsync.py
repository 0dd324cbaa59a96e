"""rsync over ssh: argv lists, itemized plans, exit codes read as plain sentences.

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
- A real run uses `--delay-updates` (changed files are staged in `.rsync-partial/` and renamed
  into place together at the end) and `--delete-delay` (deletions after that), so an interrupted
  run never leaves a half-updated tree behind. rsync excludes the relative partial dir itself.
- `--max-delete` on the real run re-checks the deletion limit in case the tree changed after the
  dry run (exit 25).
- rsync runs with LC_ALL=C in its own process group, killed whole on timeout; it escapes odd
  bytes in names as `\\#ooo`, which `parse_itemized` decodes.
"""

from __future__ import annotations

import logging
import os
import re
import shlex
import signal
import subprocess
from dataclasses import dataclass, field

from failover.errors import HostKeyMismatch, SyncError, UsageError
from failover.sync.ssh import (
    SshTarget,
    changed_host_key,
    known_fingerprints,
    require_identity,
    ssh_connect_timeout,
    unknown_host_key,
)

log = logging.getLogger(__name__)

RSYNC = "rsync"
PARTIAL_DIR = ".rsync-partial"

EXIT_MEANINGS = {
    1: "syntax or usage error (a bug in failover, or an rsync too old on one side)",
    2: "protocol incompatibility between the two rsync versions",
    3: "a source or destination path could not be used",
    4: "an option is not supported by the other side's rsync",
    5: "could not start the rsync protocol (is rsync installed on the host?)",
    10: "network I/O error",
    11: "file I/O error (disk full? missing parent folder? permissions?)",
    12: "the connection broke mid-transfer (or rsync is missing on the host)",
    13: "rsync diagnostics error",
    14: "rsync IPC error",
    20: "rsync was interrupted",
    22: "out of memory",
    23: "partial transfer: some files or attributes were not transferred",
    24: "some source files vanished during the transfer",
    25: "the --max-delete limit stopped deletions (the tree changed after the dry run)",
    30: "timed out sending or receiving data",
    35: "timed out waiting for a connection",
    255: "ssh failed (host unreachable, login refused, or host key problem)",
}

_ITEM = re.compile(r"^([<>ch.])([fdLDS])(\S{9,10}) (.+)$")
_DELETING = re.compile(r"^\*deleting +(.+)$")
_ESCAPE = re.compile(rb"\\#([0-7]{3})")
_FINGERPRINT = re.compile(r"SHA256:[A-Za-z0-9+/=]+")


class RsyncMissing(SyncError):
    """rsync is not installed (or not on PATH) on the host: the SFTP fallback can take over."""


@dataclass(frozen=True)
class RsyncResult:
    itemized: list[str]  # the raw --itemize-changes lines
    created: list[str]
    updated: list[str]
    deleted: list[str]
    bytes_sent: int
    files_transferred: int
    bytes_received: int = 0
    warnings: list[str] = field(default_factory=list)


def remote_path(ssh: SshTarget, path: str) -> str:
    """`user@address:path` (rsync >= 3.2.4 protects the path from the remote shell itself)."""
    return f"{ssh.user}@{ssh.address}:{path}"


def _ssh_path(path: object) -> str:
    text = str(path)
    if any(c in text for c in "\"\n\r"):
        raise UsageError(f"path {text!r} cannot be passed to ssh (it holds a quote or newline)")
    return text.replace("%", "%%")


def ssh_command(ssh: SshTarget) -> str:
    """The value of `rsync -e`: strict host keys, one key, no config, no prompts."""
    identity, known_hosts = _ssh_path(require_identity(ssh)), _ssh_path(ssh.known_hosts)
    return shlex.join([
        "ssh", "-F", "/dev/null",
        "-o", f'IdentityFile="{identity}"', "-o", "IdentitiesOnly=yes",
        "-o", f'UserKnownHostsFile="{known_hosts}"',
        "-o", "GlobalKnownHostsFile=/dev/null", "-o", "StrictHostKeyChecking=yes",
        "-o", "BatchMode=yes", "-o", f"ConnectTimeout={ssh_connect_timeout(ssh)}",
        "-o", "ServerAliveInterval=15", "-o", "ServerAliveCountMax=4",
        "-p", str(ssh.port),
    ])


def rsync_argv(src: str, dst: str, ssh: SshTarget, *, delete: bool, dry_run: bool,
               excludes: list[str], max_delete: int | None = None,
               link_dest: str | None = None, bwlimit: int | None = None,
               io_timeout: float | None = None, prepare: str | None = None,
               delete_excluded: bool = False) -> list[str]:
    """The rsync command line (an argv list; no shell anywhere). One of src/dst is remote.

    `link_dest`: a directory on the receiver whose unchanged files are hard-linked, not copied.
    `bwlimit`: KiB/s. `io_timeout`: seconds without data before rsync gives up (exit 30).
    `prepare`: shell run on the receiver before rsync, in the same ssh session (quote it).
    `delete_excluded`: also delete excluded paths on the receiver (a stage, never a live tree).
    """
    argv = [RSYNC, "-a", "--itemize-changes", "--stats", "-e", ssh_command(ssh)]
    if prepare:  # `--rsync-path` is run by the remote shell: the one place a shell is involved
        argv.append(f"--rsync-path={prepare} && rsync")
    if delete_excluded:
        argv.append("--delete-excluded")
    if bwlimit:
        argv.append(f"--bwlimit={bwlimit}")
    if io_timeout:
        argv.append(f"--timeout={max(1, round(io_timeout))}")
    if link_dest:
        argv.append(f"--link-dest={link_dest}")
    if dry_run:
        argv.append("--dry-run")
    else:
        argv += ["--delay-updates", f"--partial-dir={PARTIAL_DIR}"]
    if delete:
        argv.append("--delete" if dry_run else "--delete-delay")
        if max_delete is not None and not dry_run:
            argv.append(f"--max-delete={max_delete}")
    argv += [f"--exclude={pattern}" for pattern in excludes]
    return [*argv, "--", src, dst]


def _unescape(name: str) -> str:
    raw = name.encode("utf-8", "surrogateescape")
    raw = _ESCAPE.sub(lambda m: bytes([int(m.group(1), 8)]), raw)
    return raw.decode("utf-8", "replace")


def parse_itemized(lines: list[str]) -> tuple[list[str], list[str], list[str], list[str]]:
    """--itemize-changes lines -> (itemized, created, updated, deleted) names.

    Directories keep their trailing slash. The transfer root (`./`) and directories whose only
    change is their mtime (a side effect of their contents changing) are not listed as updated.
    """
    itemized: list[str] = []
    created: list[str] = []
    updated: list[str] = []
    deleted: list[str] = []
    for line in lines:
        if m := _DELETING.match(line):
            itemized.append(line)
            deleted.append(_unescape(m.group(1)))
            continue
        m = _ITEM.match(line)
        if not m:
            continue
        itemized.append(line)
        kind, ftype, attrs, name = m.groups()
        name = name.split(" -> ", 1)[0] if ftype == "L" else name.split(" => ", 1)[0]
        name = _unescape(name)
        if name == "./":
            continue
        if kind != "." and set(attrs) == {"+"}:
            created.append(name)
        elif ftype == "d" and set(attrs) <= {".", "t", " "}:
            continue
        else:
            updated.append(name)
    return itemized, created, updated, deleted


def _stat(text: str, label: str) -> int:
    m = re.search(rf"^{re.escape(label)}: ([\d,.]+)", text, re.MULTILINE)
    return int(re.sub(r"\D", "", m.group(1))) if m else 0


def parse_stats(text: str) -> dict[str, int]:
    """The `--stats` numbers we report (0 when rsync did not print them)."""
    return {"bytes_sent": _stat(text, "Total bytes sent"),
            "bytes_received": _stat(text, "Total bytes received"),
            "files_transferred": _stat(text, "Number of regular files transferred")}


def parse_output(stdout: str, warnings: list[str] | None = None) -> RsyncResult:
    itemized, created, updated, deleted = parse_itemized(stdout.splitlines())
    return RsyncResult(itemized=itemized, created=created, updated=updated, deleted=deleted,
                       warnings=warnings or [], **parse_stats(stdout))


def _cause(stderr: str) -> str:
    """The line of rsync's stderr that says what went wrong (not its generic trailers)."""
    lines = [ln.strip() for ln in stderr.splitlines() if ln.strip()]
    generic = ("rsync error:", "rsync: connection unexpectedly closed")
    specific = [ln for ln in lines if ln.startswith("rsync:") and not ln.startswith(generic)]
    others = [ln for ln in lines if not ln.startswith(("rsync:", "rsync error:"))]  # ssh's
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


def describe_exit(code: int, stderr: str, where: str) -> str:
    meaning = EXIT_MEANINGS.get(code, "unexpected failure")
    cause = _cause(stderr)
    return f"rsync {where} failed (exit {code}, {meaning})" + (f": {cause}" if cause else "")


def run_rsync(argv: list[str], timeout: float, *, target: SshTarget | None = None) -> RsyncResult:
    """Run rsync and read its itemized changes and stats.

    Exit 0, and 24 (source files vanished; logged and kept as a warning), are success. A host
    key problem raises HostKeyMismatch naming `target`; anything else raises SyncError with the
    plain meaning of the exit code and rsync's own reason.
    """
    where = f"with {target.describe()}" if target else "(local)"
    env = {**os.environ, "LC_ALL": "C"}
    log.debug("rsync: target=%s dry_run=%s", target.host if target else "-", "--dry-run" in argv)
    try:
        proc = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE, env=env, start_new_session=True)
    except OSError as e:
        raise SyncError(f"cannot start {argv[0]}: {e.strerror or e} (is rsync installed?)") from e
    try:
        out, err = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        _kill_group(proc)
        raise SyncError(f"rsync {where} did not finish within {timeout:g}s and was stopped; "
                        f"files it had staged stay in {PARTIAL_DIR}/ for the next run") from None
    except BaseException:
        _kill_group(proc)
        raise
    stdout, stderr = out.decode("utf-8", "surrogateescape"), err.decode("utf-8", "replace")
    code = proc.returncode
    if code == 255 and target is not None and (mismatch := host_key_failure(stderr, target)):
        raise mismatch
    warnings: list[str] = []
    if code == 24:
        warnings.append(describe_exit(code, stderr, where))
        log.warning("rsync: target=%s exit=24 vanished_files=yes", target.host if target else "-")
    elif code != 0:
        if code in (12, 127) and re.search(r"rsync: (command )?not found", stderr):
            raise RsyncMissing(f"rsync {where} failed: rsync is not installed on the host "
                               "(or not on its PATH)")
        raise SyncError(describe_exit(code, stderr, where))
    return parse_output(stdout, warnings)


def _kill_group(proc: subprocess.Popen[bytes]) -> None:
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
