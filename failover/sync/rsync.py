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
  (stdout is rsync's protocol); they are returned as `notes`, never shown as errors. Reading
  rsync's output (itemized lines, stats, exit codes, notes) is rsync_output.py's.
- rsync runs with LC_ALL=C in its own process group, killed whole on timeout.
- A host without rsync is a result (`NoRsync`), not an exception: the caller falls back to
  SFTP (`transport: auto`) or turns it into the error (`NoRsync.error()`).
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
)
from failover.remote.ssh import SshTarget
from failover.sync.changes import ChangeList
from failover.sync.rsync_output import (
    describe_exit,
    note_error,
    parse_itemized,
    parse_stats,
    source_files,
    split_notes,
)

log = logging.getLogger(__name__)

RSYNC = "rsync"
PARTIAL_DIR = ".rsync-partial"

@dataclass(frozen=True)
class NoRsync:
    """rsync is not installed (or not on its PATH) on the host: a result, not an error, since
    the SFTP fallback can take over (`transport: auto`); `error()` when it cannot."""

    where: str  # `with standby (10.0.0.2 port 22)`

    def error(self) -> SyncError:
        return SyncError(f"rsync {self.where} failed: rsync is not installed on the host (or "
                         "not on its PATH)")


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


def ran(found: RsyncResult | NoRsync) -> RsyncResult:
    """`found`, when rsync ran; where rsync is known to be on the host (a run after its dry
    run) a missing one is an error: SyncError."""
    if isinstance(found, NoRsync):
        raise found.error()
    return found


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


def parse_output(stdout: str, warnings: list[str] | None = None,
                 notes: list[str] | None = None) -> RsyncResult:
    itemized, created, updated, deleted = parse_itemized(stdout.splitlines())
    return RsyncResult(itemized=itemized, created=created, updated=updated, deleted=deleted,
                       warnings=warnings or [], notes=notes or [],
                       source_files=source_files(stdout), **parse_stats(stdout))


def run_rsync(argv: list[str], timeout: float, *, target: SshTarget | None = None,
              master: SshMaster | None = None, keep_fds: tuple[int, ...] = (),
              cancel: threading.Event | None = None) -> RsyncResult | NoRsync:
    """Run rsync and read its itemized changes and stats.

    Exit 0, and 24 (source files vanished; logged and kept as a warning), are success. A host
    key problem raises HostKeyMismatch naming `target`; anything else raises SyncError with the
    plain meaning of the exit code and rsync's own reason. `keep_fds`: descriptors rsync
    inherits (a lock it keeps held should it outlive us: snapshots.py). `cancel` set (by an
    interruption, from the main thread) stops rsync within a quarter second: TransferCancelled.
    A host without rsync is the result NoRsync (the caller may fall back to SFTP).
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
            return NoRsync(where)
        raise SyncError(describe_exit(code, stderr, where))
    return parse_output(stdout, warnings, notes)
