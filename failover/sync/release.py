"""Atomic publishing for sync sets with `atomic: true`: whole releases behind one symlink.

On the host, `path` becomes a symlink to `<path>.releases/<id>/` (relative, so it survives
chroots). A push fills the stage `<path>.releases/.next/` (a hard-link copy of the live release,
made in the background after the push before: unchanged files cost no time and no disk), then
swaps the symlink with one rename(2): readers see the old tree or the new one, never a mix. An
interrupted push leaves the live tree untouched, and the next one fills the same stage further
(resume).

Notes:
- A push is one ssh session: the script below runs the receiving rsync itself, then publishes.
- The first atomic push onto a plain directory moves that directory into `<path>.releases/` as
  the oldest release, then swaps in the symlink: two renames, microseconds apart.
- The remote side needs GNU coreutils (`mv -T`, `readlink -f`, `head -n -N`): any Linux host;
  `flock` (util-linux) lets the next stage be made after the session instead of during it.
- The scripts are package data, `scripts/*.sh` (checked by shellcheck in the test suite), sent
  as the text of `sh -c` without their comment lines (`script()`); every value reaches them as
  a positional argument ("$1"), quoted by shlex.join, never spliced into the script text.
- Old releases are pruned to the newest `KEEP_RELEASES`, never the live one.
- A release holds exactly the mirror: paths the set excludes (caches, logs) are not carried over
  from the previous release. State the host itself writes (uploads, sessions) belongs outside
  `path`, linked in from a shared folder, as with Capistrano's `shared/`.
- Releases share unchanged files as hard links: editing one in place on the host changes it in
  the older releases too.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from importlib import resources
from typing import Literal, cast, get_args

from failover.errors import SyncError
from failover.remote.ssh import SshTarget, run_command
from failover.sync.changes import ChangeList
from failover.sync.rsync_output import note_error, split_notes

log = logging.getLogger(__name__)

# scripts that call `swap` (scripts/swap.sh) get it put in front of them
_NEEDS_SWAP = frozenset({"publish", "release", "rollback"})

KEEP_RELEASES = 5  # the inventory's `keep_releases` default
_ID_FORMAT = "%Y%m%dT%H%M%S.%fZ"
COMMAND_TIMEOUT = 120.0

STAGE = ".next"  # `<path>.releases/.next/`: the release being filled (ls and prune skip it)



Outcome = Literal["published", "unchanged", "refused"]


@dataclass(frozen=True, kw_only=True)
class StagedDiff(ChangeList):
    """The staged release against the live tree, and what the publish did with it.

    `compared`: the host compared the trees (no usable record), so the change lists are the
    host's; otherwise they are empty and the caller's record diff holds the changes.
    """

    outcome: Outcome
    release: str  # the live release after it ("" when refused)
    compared: bool


@functools.cache
def script(name: str) -> str:
    """The text of `scripts/<name>.sh` as `sh -c` runs it: swap.sh in front when it needs it,
    comment lines left out (they would ride every push's command line) but for shellcheck's
    directives, so the test suite checks exactly the text that runs."""
    folder = resources.files("failover.sync") / "scripts"
    parts = [folder.joinpath(f"{n}.sh").read_text(encoding="utf-8")
             for n in (["swap"] if name in _NEEDS_SWAP else []) + [name]]
    return "".join(line + "\n" for part in parts for line in part.splitlines()
                   if not line.lstrip().startswith("#") or "# shellcheck " in line)


def stage_path(base: str) -> str:
    return f"{base}.releases/{STAGE}/"


def release_script(base: str, new_id: str, old_id: str, keep: int, max_delete: int,
                   expect: str = "", changed: bool = True, fill: str = "rsync") -> list[str]:
    """The argv of the publish script (scripts/release.sh); as rsync's `--rsync-path`, shlex.join
    it."""
    return ["sh", "-c", script("release"), "failover-release", base, new_id, old_id, str(keep),
            str(max_delete), expect, "1" if changed else "0", fill]


def read_notes(notes: list[str], where: str) -> StagedDiff:
    """The script's `@failover` lines (rsync_output.NOTE stripped) as a StagedDiff."""
    lists: dict[str, list[str]] = {"+": [], "~": [], "-": []}
    outcome: Outcome | None = None
    live = ""
    for line in notes:
        mark, _, path = line.partition("\t")
        if mark in lists and path:
            lists[mark].append(path)
            continue
        word, _, rest = line.partition(" ")
        if word in get_args(Outcome):
            outcome, live = cast(Outcome, word), rest.strip()
    if outcome is None:
        raise SyncError(f"publishing on {where} ended without saying what it did")
    return StagedDiff(sorted(lists["+"]), sorted(lists["~"]), sorted(lists["-"], reverse=True),
                      outcome=outcome, release=live, compared="compared" in notes)


def publish_stage(target: SshTarget, base: str, new_id: str, old_id: str, keep: int,
                  max_delete: int) -> StagedDiff:
    """Compare, gate and publish a stage already filled, in one ssh command (max_delete -1: no
    limit). The caller uses it after a "refused" whose deletions were all excluded paths."""
    result = run_command(target, release_script(base, new_id, old_id, keep, max_delete,
                                                fill="none"), COMMAND_TIMEOUT)
    notes, rest = split_notes(result.stderr)
    if result.exit_status != 0:
        lines = (rest or result.stdout).strip().splitlines()
        detail = note_error(notes) or (lines[-1] if lines else "")
        raise SyncError(f"publishing {base} on {target.describe()} failed (exit "
                        f"{result.exit_status})" + (f": {detail}" if detail else ""))
    return read_notes(notes, target.describe())


@dataclass(frozen=True)
class LiveTree:
    """What `path` is on the host now."""

    kind: Literal["link", "dir", "none"]
    path: str | None  # the directory readers see now (resolved), None when there is none
    has_releases: bool = False  # `<path>.releases/` exists
    newest: str | None = None  # the newest release id, published or not
    prepared: bool = False  # inspect(expect=, new=) started release `new` from the live one

    def pending(self) -> str | None:
        """An unpublished release newer than the live one (an interrupted push): reuse it."""
        live_id = self.path.rsplit("/", 1)[-1] if self.kind == "link" and self.path else ""
        if self.newest and self.newest > live_id and self.kind != "none":
            return self.newest
        return None


def base_path(host_path: str) -> str:
    """The set's path without its trailing slash: the name of the symlink."""
    base = host_path.rstrip("/")
    if not base.startswith("/"):
        raise SyncError(f"atomic sync needs an absolute path, got {host_path!r}")
    return base


def release_ids(now: datetime | None = None) -> tuple[str, str]:
    """(id of the new release, id for a plain directory being moved aside); they sort in order."""
    now = now or datetime.now(UTC)
    return now.strftime(_ID_FORMAT), (now - timedelta(microseconds=1)).strftime(_ID_FORMAT)


def ids_for(new_id: str) -> tuple[str, str]:
    """release_ids() for an existing (pending) release id; a foreign name gets fresh ids."""
    try:
        when = datetime.strptime(new_id, _ID_FORMAT).replace(tzinfo=UTC)
    except ValueError:
        return release_ids()
    return new_id, (when - timedelta(microseconds=1)).strftime(_ID_FORMAT)


def run_script(target: SshTarget, argv: list[str], what: str) -> str:
    result = run_command(target, argv, COMMAND_TIMEOUT)
    if not result.ok:
        detail = (result.stderr or result.stdout).strip().splitlines()
        raise SyncError(f"{what} on {target.describe()} failed (exit {result.exit_status})"
                        + (f": {detail[-1]}" if detail else ""))
    return result.stdout


def inspect(target: SshTarget, base: str,
            run: Callable[[list[str], str], str] | None = None, *, expect: str = "",
            new: str = "", keep: int = KEEP_RELEASES) -> LiveTree:
    """What `base` is on the host. `run(argv, what)`: an open session's runner (sftp.py).

    `expect`, `new`: if `expect` is the live release, also prune to `keep - 1` releases and
    start release `new` from the live one (`prepared`).
    """
    argv = ["sh", "-c", script("inspect"), "sh", base, expect, new, str(keep)]
    what = f"inspecting {base}"
    text = run(argv, what) if run else run_script(target, argv, what)
    out = text.split("\n")
    has_releases = out[0].strip() == "releases"
    newest = out[1].strip().removeprefix("newest=") or None
    kind = out[2].strip()
    if kind == "link":
        return LiveTree("link", out[3].strip(), has_releases, newest,
                        len(out) > 4 and out[4].strip() == "prepared")
    if kind == "dir":
        return LiveTree("dir", base, has_releases, newest)
    if kind in ("none", "dangling"):
        return LiveTree("none", None, has_releases, newest)
    raise SyncError(f"{base} on {target.host} is neither a directory nor a symlink; atomic sync "
                    "replaces it with a symlink, so move it away first")


def publish(target: SshTarget, base: str, new_id: str, old_id: str,
            keep: int = KEEP_RELEASES, run: Callable[[list[str], str], str] | None = None) -> None:
    """Point `base` at the new release with one rename (a plain directory is moved aside into
    the releases first), then prune the releases to the newest `keep`, never the live one."""
    argv = ["sh", "-c", script("publish"), "sh", base, new_id, old_id, str(keep)]
    (run or (lambda a, w: run_script(target, a, w)))(argv, f"publishing {base}")
    log.info("published: host=%s path=%s release=%s", target.host, base, new_id)


def rollback(target: SshTarget, base: str) -> tuple[str, str]:
    """Point `base` at the release before the live one (one rename). Returns (from, to) ids.

    The newer release stays on disk (pruned later); the next sync publishes the mirror again,
    so a rollback lasts until then (fix the source first, or pause the cron job).
    """
    out = run_script(target, ["sh", "-c", script("rollback"), "sh", base],
                     f"rolling back {base}").split()
    log.info("rolled back: host=%s path=%s from=%s to=%s", target.host, base, out[0], out[1])
    return out[0], out[1]
