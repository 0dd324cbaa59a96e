"""rsync over ssh: argv lists, itemized plans, exit codes read as plain sentences.

Implementation notes:
- `-e` is openssh.ssh_command(): strict host keys, one key, no config, no prompts.
- A real run uses `--delay-updates` (changed files are staged in `.rsync-partial/` and renamed
  into place together at the end) and `--delete-delay` (deletions after that), so an interrupted
  run never leaves a half-updated tree behind. rsync excludes the relative partial dir itself.
  They have a price in rsync itself: with either option, rsync 3.5.0 looks for a partial file
  of every file of the tree, changed or not (two openat calls each, strace); on bench/sync's
  incremental push that makes bare rsync 1.16x slower.
- `--modify-window=-1`: rsync's quick check compares mtimes in nanoseconds, as the pushed
  records (tree.py) and the host-side comparison (release.py) do. By default it compares whole
  seconds, so a file rewritten at the same size within the second of the last sync was skipped,
  on the pull and on the push (needs rsync >= 3.1.3 on the receiving side, January 2018).
- `--max-delete` on the real run re-checks the deletion limit in case the host holds more to
  delete than was planned (exit 25): rsync then stops deleting at the limit.
- A stage (`staged=True`: an atomic set's next release, not yet live, or the mirror's next
  snapshot, snapshots.py) is filled without `--delay-updates` and its partial dir: nobody reads
  it until release.py swaps it in (or the pull promotes it), so renaming every changed file
  twice would only cost time (~12% of a full push), and files that arrived whole before a cut
  stay for the next run. It is filled with `--no-inc-recursive`: the whole file list first,
  then the comparison, beat rsync's default interleaving on the rig (20,000 files in 200
  folders, 1% changed: 0.52 s against 0.59 s, median of 15; a real run with `--delay-updates`
  has no incremental recursion either). A pull's stage is also itemized (`itemize=True`).
- `SshMaster` (openssh.py) opens the connection before the caller's local work, so the ssh
  handshake (most of an incremental push's time) overlaps it; every rsync of the push then rides
  that connection.
- A remote wrapper (`wrapper=`, release.py) talks back on stderr in lines starting `@failover `
  (stdout is rsync's protocol); they are returned as `notes`, never shown as errors.
- rsync runs with LC_ALL=C in its own process group, killed whole on timeout; it escapes odd
  bytes in names as `\\#ooo`, which `parse_itemized` decodes.
"""

from __future__ import annotations

import logging
import os
import re
import subprocess
import threading
import time
from dataclasses import dataclass, field

from failover.errors import SyncError
from failover.remote.openssh import (
    SshMaster,
    host_key_failure,
    kill_group,
    ssh_command,
    stderr_cause,
)
from failover.remote.ssh import SshTarget
from failover.sync.changes import ChangeList

log = logging.getLogger(__name__)

RSYNC = "rsync"
PARTIAL_DIR = ".rsync-partial"
NOTE = "@failover "  # how a remote wrapper's lines start (release.py)

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
    25: "the --max-delete limit stopped deletions: the host held more to delete than planned",
    30: "timed out sending or receiving data",
    35: "timed out waiting for a connection",
    255: "ssh failed (host unreachable, login refused, or host key problem)",
}

_ITEM = re.compile(r"^([<>ch.])([fdLDS])(\S{9,10}) (.+)$")
_DELETING = re.compile(r"^\*deleting +(.+)$")
_ESCAPE = re.compile(rb"\\#([0-7]{3})")


class RsyncMissing(SyncError):
    """rsync is not installed (or not on PATH) on the host: the SFTP fallback can take over."""


class TransferCancelled(SyncError):
    """The run was interrupted while this rsync ran in a worker thread; rsync was stopped."""


@dataclass(frozen=True, kw_only=True)
class RsyncResult(ChangeList):
    """One rsync run's change list, with what rsync alone tells besides it."""

    itemized: list[str] = field(default_factory=list)  # the raw --itemize-changes lines
    notes: list[str] = field(default_factory=list)  # a remote wrapper's `@failover` lines
    # entries in the sender's file list (excluded paths left out, the transfer root too), from
    # --stats' "Number of files"; None when rsync did not print it
    source_files: int | None = None


def remote_path(ssh: SshTarget, path: str) -> str:
    """`user@address:path` (rsync >= 3.2.4 protects the path from the remote shell itself)."""
    return f"{ssh.user}@{ssh.address}:{path}"


def rsync_argv(src: str, dst: str, ssh: SshTarget, *, delete: bool, dry_run: bool,
               excludes: list[str], max_delete: int | None = None,
               link_dest: str | None = None, bwlimit: int | None = None,
               io_timeout: float | None = None, wrapper: str | None = None,
               delete_excluded: bool = False, staged: bool = False,
               itemize: bool | None = None, control: str | None = None) -> list[str]:
    """The rsync command line (an argv list; no shell anywhere). One of src/dst is remote.

    `link_dest`: a directory on the receiver whose unchanged files are hard-linked, not copied.
    `bwlimit`: KiB/s. `io_timeout`: seconds without data before rsync gives up (exit 30).
    `wrapper`: a command (quoted for the remote shell) that runs the receiving rsync itself as
    `rsync "$@"` (release.py), in the same ssh session.
    `delete_excluded`: also delete excluded paths on the receiver (a stage, never a live tree).
    `staged`: the receiver is a stage nobody reads yet: no --delay-updates, no partial dir (a
    cut transfer keeps every file that arrived whole; release.py reports what changed).
    `itemize`: list the changes (--itemize-changes); by default only when not `staged` (a pull
    into the mirror's next snapshot is staged and itemized: snapshots.py).
    `control`: an SshMaster's socket.
    """
    argv = [RSYNC, "-a", *(["--no-inc-recursive"] if staged else []),
            *(["--itemize-changes"] if (not staged if itemize is None else itemize) else []),
            "--modify-window=-1", "--stats", "-e", ssh_command(ssh, control)]
    if wrapper:  # `--rsync-path` is run by the remote shell: the one place a shell is involved
        argv.append(f"--rsync-path={wrapper}")
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
    elif not staged:
        argv += ["--delay-updates", f"--partial-dir={PARTIAL_DIR}"]
    if delete:
        argv.append("--delete" if dry_run or staged else "--delete-delay")
        if max_delete is not None and not dry_run:
            argv.append(f"--max-delete={max_delete}")
    argv += [f"--exclude={pattern}" for pattern in excludes]
    return [*argv, "--", src, dst]


def split_notes(stderr: str) -> tuple[list[str], str]:
    """A remote wrapper's `@failover` lines (without the prefix), and the rest of stderr."""
    lines = stderr.splitlines()
    return ([ln.removeprefix(NOTE) for ln in lines if ln.startswith(NOTE)],
            "\n".join(ln for ln in lines if not ln.startswith(NOTE)))


def note_error(notes: list[str]) -> str:
    """What the wrapper said went wrong (its last `error: ` note), or ""."""
    failed = [n.removeprefix("error: ") for n in notes if n.startswith("error: ")]
    return failed[-1] if failed else ""


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


def source_files(text: str) -> int | None:
    """The entries of the sender's file list, without the transfer root (`./`): --stats'
    "Number of files: 5 (reg: 3, dir: 2)" is 4. None when rsync did not print it."""
    if not re.search(r"^Number of files: ", text, re.MULTILINE):
        return None
    return max(0, _stat(text, "Number of files") - 1)


def in_place(itemized: list[str]) -> list[str]:
    """The files and symlinks that rsync changes in place, with no new inode: only their mode,
    owner, group or (symlinks) mtime differ (`.f...p.....`, `.L..t......`). A file whose
    content, size or mtime differs is written to a new inode and renamed over the name."""
    names = []
    for line in itemized:
        m = _ITEM.match(line)
        if m and m.group(1) == "." and m.group(2) in "fL":
            name = m.group(4).split(" -> ", 1)[0] if m.group(2) == "L" else m.group(4)
            names.append(_unescape(name))
    return names


def parse_output(stdout: str, warnings: list[str] | None = None,
                 notes: list[str] | None = None) -> RsyncResult:
    itemized, created, updated, deleted = parse_itemized(stdout.splitlines())
    return RsyncResult(itemized=itemized, created=created, updated=updated, deleted=deleted,
                       warnings=warnings or [], notes=notes or [],
                       source_files=source_files(stdout), **parse_stats(stdout))


def describe_exit(code: int, stderr: str, where: str) -> str:
    meaning = EXIT_MEANINGS.get(code, "unexpected failure")
    cause = stderr_cause(stderr)
    return f"rsync {where} failed (exit {code}, {meaning})" + (f": {cause}" if cause else "")


def run_rsync(argv: list[str], timeout: float, *, target: SshTarget | None = None,
              master: SshMaster | None = None, keep_fds: tuple[int, ...] = (),
              cancel: threading.Event | None = None) -> RsyncResult:
    """Run rsync and read its itemized changes and stats.

    Exit 0, and 24 (source files vanished; logged and kept as a warning), are success. A host
    key problem raises HostKeyMismatch naming `target`; anything else raises SyncError with the
    plain meaning of the exit code and rsync's own reason. `keep_fds`: descriptors rsync
    inherits (a lock it keeps held should it outlive us: snapshots.py). `cancel` set (by an
    interruption, from the main thread) stops rsync within a quarter second: TransferCancelled.
    """
    where = f"with {target.describe()}" if target else "(local)"
    env = {**os.environ, "LC_ALL": "C"}
    log.debug("rsync: target=%s dry_run=%s", target.host if target else "-", "--dry-run" in argv)
    try:
        proc = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE, env=env, start_new_session=True,
                                pass_fds=keep_fds)
    except OSError as e:
        raise SyncError(f"cannot start {argv[0]}: {e.strerror or e} (is rsync installed?)") from e
    deadline = time.monotonic() + timeout
    tick = 1.0 if cancel is None else 0.25
    try:
        while True:
            try:
                out, err = proc.communicate(timeout=max(0.01, min(
                    tick, deadline - time.monotonic())))
                break
            except subprocess.TimeoutExpired:
                if cancel is not None and cancel.is_set():  # killed below, with the group
                    raise TransferCancelled(f"rsync {where} was stopped: the run was "
                                            "interrupted") from None
                if time.monotonic() >= deadline:
                    raise
                if proc.poll() is not None and master is not None:
                    # rsync is done, but the master still holds our pipes (ssh hands a mux
                    # session's stdio to it), as when the link died: let go of them
                    master.close()
    except subprocess.TimeoutExpired:
        kill_group(proc)
        raise SyncError(f"rsync {where} did not finish within {timeout:g}s and was stopped; "
                        f"files it had staged stay in {PARTIAL_DIR}/ for the next run") from None
    except BaseException:
        kill_group(proc)
        raise
    stdout = out.decode("utf-8", "surrogateescape")
    notes, stderr = split_notes(err.decode("utf-8", "surrogateescape"))
    code = proc.returncode
    if code != 0 and (failed := note_error(notes)):
        raise SyncError(f"{failed} (on {where.removeprefix('with ')})")
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
    return parse_output(stdout, warnings, notes)
