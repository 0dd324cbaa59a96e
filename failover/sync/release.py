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
- The scripts below are constants; every value reaches them as a positional argument ("$1"),
  quoted by shlex.join, never spliced into the script text.
- Old releases are pruned to the newest `KEEP_RELEASES`, never the live one.
- A release holds exactly the mirror: paths the set excludes (caches, logs) are not carried over
  from the previous release. State the host itself writes (uploads, sessions) belongs outside
  `path`, linked in from a shared folder, as with Capistrano's `shared/`.
- Releases share unchanged files as hard links: editing one in place on the host changes it in
  the older releases too.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Literal, cast, get_args

from failover.errors import SyncError
from failover.remote.ssh import SshTarget, run_command
from failover.sync.rsync import note_error, split_notes

log = logging.getLogger(__name__)

KEEP_RELEASES = 5  # the inventory's `keep_releases` default
_ID_FORMAT = "%Y%m%dT%H%M%S.%fZ"
COMMAND_TIMEOUT = 120.0

# With `expect`, `new` and `keep`: when the live release is `expect` and nothing newer is pending,
# also prune the releases to the newest `keep - 1` (never the live one) and start release `new`
# as a hard-link copy of the live one: the SFTP path then swaps it in with an SFTP rename, and
# the whole push needs this one command (see mirror.py).
_INSPECT = r"""
b=$1 expect=${2:-} new=${3:-} keep=${4:-2}
if [ -d "$b.releases" ]; then echo releases; else echo no-releases; fi
newest=$(ls -1 -- "$b.releases" 2>/dev/null | sort | tail -n 1)
echo "newest=$newest"
if [ -L "$b" ] && [ -d "$b" ]; then
  echo link; live=$(readlink -f -- "$b"); echo "$live"
  if [ -n "$new" ] && [ "$newest" = "$expect" ] && [ "$(basename -- "$live")" = "$expect" ]; then
    ls -1 -- "$b.releases" | sort | head -n -"$((keep - 1))" | while IFS= read -r d; do
      if [ "$d" != "$expect" ]; then rm -rf -- "$b.releases/$d"; fi
    done
    cp -al -- "$live" "$b.releases/$new" && echo prepared
  fi
elif [ -L "$b" ]; then echo dangling
elif [ -d "$b" ]; then echo dir
elif [ -e "$b" ]; then echo other
else echo none
fi
"""

# `swap ID [OLD]` (with $name and $r set, in the folder of `path`): point `path` at release ID
# with one rename; a plain directory `path` is first moved aside as release OLD.
_SWAP = r"""
swap() {
  ln -sfn -- "$r/$1" ".$name.failover-new"
  if [ -n "${2:-}" ] && [ -d "$name" ] && [ ! -L "$name" ]; then mv -T -- "$name" "$r/$2"; fi
  mv -T -- ".$name.failover-new" "$name"
}
"""

_PUBLISH = _SWAP + r"""
set -eu
b=$1 new=$2 old=$3 keep=$4
cd -- "$(dirname -- "$b")"
name=$(basename -- "$b") r="$(basename -- "$b").releases"
swap "$new" "$old"
live=$(readlink -f -- "$name")
ls -1 -- "$r" | sort | head -n -"$keep" | while IFS= read -r d; do
  if [ "$(readlink -f -- "$r/$d")" != "$live" ]; then rm -rf -- "${r:?}/$d"; fi
done
"""


STAGE = ".next"  # `<path>.releases/.next/`: the release being filled (ls and prune skip it)

# One script for the whole publish, run as rsync's `--rsync-path` (fill=rsync: prepare the stage,
# run the receiving rsync as `rsync "$@"`, then publish; all in the push's one ssh session) or on
# its own (fill=none: publish a stage already filled). Arguments: base new old keep maxdel expect
# changed fill, then rsync's own.
# - Prepare: the stage is a hard-link copy of the live tree (`cp -al`), so rsync only writes
#   the changed files (`--link-dest` would re-check every file against the live tree: ~3x the
#   system time on an unchanged 20,000-file tree). After a publish, the next stage is made in
#   the background, once the session has ended: the old releases past `keep` are renamed to
#   `.trash.<id>` (one rename each, so the listing holds `keep` releases when the push returns)
#   and removed there, and the new live release is copied to `.next.tmp`, then renamed `.next`.
#   `<path>.releases/.lock` (flock) is held from the start of a push until that work is done: a
#   push waits for the one before it. Without flock on the host, or when the background work
#   was cut short, the push copies the live tree itself first.
# - `expect`: the release the client's pushed record (tree.py) says is live. When it still is,
#   `changed` (0|1: the client's exact diff of the mirror against that record) decides and no
#   tree is walked here. Otherwise the stage is compared with the live tree (files by size, mtime
#   and mode, as rsync's quick check does; symlinks by target), the `+|~|-<TAB>path` lines are
#   sent back and deletions are gated (maxdel; -1: no limit), all before anything is swapped.
# - rsync never writes into an existing file (no --inplace): a changed file is a new inode
#   renamed over the old name, so releases sharing the old inode are untouched. A pure permission
#   change is applied in place, though, and shows in the releases sharing that inode.
# Lines back go to stderr, `@failover `-prefixed (stdout is rsync's protocol): the diff, then
# `published ID`, `unchanged ID` or `refused`; `error: ...` (exit 3) when the script fails.
_RELEASE = _SWAP + r"""
set -eu
LOCK_WAIT=600
b=$1 new=$2 old=$3 keep=$4 maxdel=$5 expect=$6 changed=$7 fill=$8
shift 8
fail() { echo "@failover error: $*" >&2; exit 3; }
if [ "$fill" = rsync ]; then mkdir -p -- "$b.releases"; fi
cd -- "$(dirname -- "$b")" 2>/dev/null || fail "cannot enter the folder of $b"
name=$(basename -- "$b") r="$(basename -- "$b").releases"
stage="$r/.next" diff="$r/.next.diff"
if [ -e "$name" ] && [ ! -d "$name" ]; then
  fail "$b is neither a directory nor a symlink to one; move it away first"
fi
locked=""
if command -v flock >/dev/null 2>&1; then
  exec 9>"$r/.lock"
  flock -w "$LOCK_WAIT" 9 ||
    fail "could not lock $b.releases/.lock in ${LOCK_WAIT}s (is another push to it running?)"
  locked=yes
fi
if [ "$fill" = rsync ]; then
  rm -rf -- "$stage.tmp"
  [ -e "$stage" ] || [ ! -d "$name" ] || cp -al -- "$name/." "$stage"
  rsync "$@"
fi
[ -d "$stage" ] || fail "no staged release in $b.releases"
live=""
if [ -L "$name" ]; then live=$(basename -- "$(readlink -f -- "$name")"); fi
if [ -n "$expect" ] && [ "$live" = "$expect" ]; then
  if [ "$changed" = 0 ]; then echo "@failover unchanged $live" >&2; exit 0; fi
else
  trap 'rm -f -- "$diff"' EXIT
  list() {
    [ -d "$2" ] || return 0
    (cd -- "$2" && find . -mindepth 1 -path ./.rsync-partial -prune -o \
      \( -type d -printf "$1\td\t%P\t-\n" \) -o \( -type l -printf "$1\tl\t%P\t%l\n" \) -o \
      -printf "$1\tf\t%P\t%s:%T@:%m\n")
  }
  { list L "$name/"; list N "$stage"; } | awk -F'\t' '
    $1 == "L" { lt[$3] = $2; lv[$3] = $4; next }
    { nt[$3] = $2; nv[$3] = $4 }
    END {
      for (p in nt) {
        if (!(p in lt)) print "+\t" p (nt[p] == "d" ? "/" : "")
        else if (nt[p] != "d" && (lt[p] != nt[p] || lv[p] != nv[p])) print "~\t" p
      }
      for (p in lt) if (!(p in nt)) print "-\t" p (lt[p] == "d" ? "/" : "")
    }' > "$diff"
  echo "@failover compared" >&2
  sed 's/^/@failover /' -- "$diff" >&2
  dels=$(grep -c '^-' -- "$diff" || true)
  if [ "$maxdel" -ge 0 ] && [ "$dels" -gt "$maxdel" ]; then echo "@failover refused" >&2; exit 0; fi
  if [ ! -s "$diff" ] && [ -L "$name" ]; then echo "@failover unchanged $live" >&2; exit 0; fi
fi
mv -T -- "$stage" "$r/$new"
swap "$new" "$old"
live=$(readlink -f -- "$name")
ls -1 -- "$r" | sort | head -n -"$keep" | while IFS= read -r d; do
  if [ "$(readlink -f -- "$r/$d")" != "$live" ]; then mv -T -- "$r/$d" "$r/.trash.$d"; fi
done
echo "@failover published $new" >&2
if [ -n "$locked" ]; then  # after the session: it ends when no process holds its pipes
  { cp -al -- "$r/$new/." "$stage.tmp" && mv -T -- "$stage.tmp" "$stage"
    rm -rf -- "$r"/.trash.*; } </dev/null >/dev/null 2>&1 &
else
  rm -rf -- "$r"/.trash.*
fi
"""


Outcome = Literal["published", "unchanged", "refused"]


@dataclass(frozen=True)
class StagedDiff:
    """The staged release against the live tree, and what the publish did with it.

    `compared`: the host compared the trees (no usable record), so the lists are the host's;
    otherwise they are empty and the caller's record diff holds the changes.
    """

    outcome: Outcome
    release: str  # the live release after it ("" when refused)
    created: list[str]
    updated: list[str]
    deleted: list[str]
    compared: bool


def stage_path(base: str) -> str:
    return f"{base}.releases/{STAGE}/"


def release_script(base: str, new_id: str, old_id: str, keep: int, max_delete: int,
                   expect: str = "", changed: bool = True, fill: str = "rsync") -> list[str]:
    """The argv of the publish script (see _RELEASE). As rsync's `--rsync-path`: shlex.join it."""
    return ["sh", "-c", _RELEASE, "failover-release", base, new_id, old_id, str(keep),
            str(max_delete), expect, "1" if changed else "0", fill]


def read_notes(notes: list[str], where: str) -> StagedDiff:
    """The script's `@failover` lines (rsync.NOTE stripped) as a StagedDiff."""
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
    return StagedDiff(outcome, live, sorted(lists["+"]), sorted(lists["~"]),
                      sorted(lists["-"], reverse=True), "compared" in notes)


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


def _run(target: SshTarget, argv: list[str], what: str) -> str:
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
    argv = ["sh", "-c", _INSPECT, "sh", base, expect, new, str(keep)]
    text = run(argv, f"inspecting {base}") if run else _run(target, argv, f"inspecting {base}")
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
    argv = ["sh", "-c", _PUBLISH, "sh", base, new_id, old_id, str(keep)]
    (run or (lambda a, w: _run(target, a, w)))(argv, f"publishing {base}")
    log.info("published: host=%s path=%s release=%s", target.host, base, new_id)


_ROLLBACK = _SWAP + r"""
set -eu
b=$1
cd -- "$(dirname -- "$b")"
name=$(basename -- "$b") r="$(basename -- "$b").releases"
[ -L "$name" ] || { echo "$b is not a release symlink (not atomic)" >&2; exit 3; }
live=$(basename -- "$(readlink -f -- "$name")")
prev=$(ls -1 -- "$name.releases" | sort | awk -v live="$live" '$0 < live' | tail -n 1)
[ -n "$prev" ] || { echo "no release older than $live in $b.releases" >&2; exit 4; }
swap "$prev"
echo "$live"
echo "$prev"
"""


def rollback(target: SshTarget, base: str) -> tuple[str, str]:
    """Point `base` at the release before the live one (one rename). Returns (from, to) ids.

    The newer release stays on disk (pruned later); the next sync publishes the mirror again,
    so a rollback lasts until then (fix the source first, or pause the cron job).
    """
    out = _run(target, ["sh", "-c", _ROLLBACK, "sh", base], f"rolling back {base}").split()
    log.info("rolled back: host=%s path=%s from=%s to=%s", target.host, base, out[0], out[1])
    return out[0], out[1]
