"""Atomic publishing for sync sets with `atomic: true`: whole releases behind one symlink.

On the host, `path` becomes a symlink to `<path>.releases/<id>/` (relative, so it survives
chroots). A push fills a new release dir, hard-linking unchanged files from the live release
(`--link-dest`, cheap in time and disk), then swaps the symlink with one rename(2): readers see the
old tree or the new one, never a mix. An interrupted push leaves the live tree untouched.

Notes:
- The first atomic push onto a plain directory moves that directory into `<path>.releases/` as
  the oldest release, then swaps in the symlink: two renames, microseconds apart.
- The remote side needs GNU coreutils (`mv -T`, `readlink -f`, `head -n -N`): any Linux host.
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
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Literal

from failover.errors import SyncError
from failover.sync.ssh import SshTarget, run_command

log = logging.getLogger(__name__)

KEEP_RELEASES = 3
COMMAND_TIMEOUT = 120.0

_INSPECT = r"""
b=$1
if [ -d "$b.releases" ]; then echo releases; else echo no-releases; fi
if [ -L "$b" ] && [ -d "$b" ]; then echo link; readlink -f -- "$b"
elif [ -L "$b" ]; then echo dangling
elif [ -d "$b" ]; then echo dir
elif [ -e "$b" ]; then echo other
else echo none
fi
"""

_PUBLISH = r"""
set -eu
b=$1 new=$2 old=$3 keep=$4
cd -- "$(dirname -- "$b")"
name=$(basename -- "$b")
ln -sfn -- "$name.releases/$new" ".$name.failover-new"
if [ -d "$name" ] && [ ! -L "$name" ]; then mv -T -- "$name" "$name.releases/$old"; fi
mv -T -- ".$name.failover-new" "$name"
r="$name.releases" live=$(readlink -f -- "$name")
ls -1 -- "$r" | sort | head -n -"$keep" | while IFS= read -r d; do
  if [ "$(readlink -f -- "$r/$d")" != "$live" ]; then rm -rf -- "${r:?}/$d"; fi
done
"""


@dataclass(frozen=True)
class LiveTree:
    """What `path` is on the host now."""

    kind: Literal["link", "dir", "none"]
    path: str | None  # the directory readers see now (resolved), None when there is none
    has_releases: bool = False  # `<path>.releases/` exists


def base_path(host_path: str) -> str:
    """The set's path without its trailing slash: the name of the symlink."""
    base = host_path.rstrip("/")
    if not base.startswith("/"):
        raise SyncError(f"atomic sync needs an absolute path, got {host_path!r}")
    return base


def release_ids(now: datetime | None = None) -> tuple[str, str]:
    """(id of the new release, id for a plain directory being moved aside); they sort in order."""
    now = now or datetime.now(UTC)
    fmt = "%Y%m%dT%H%M%S.%fZ"
    return now.strftime(fmt), (now - timedelta(microseconds=1)).strftime(fmt)


def _run(target: SshTarget, argv: list[str], what: str) -> str:
    result = run_command(target, argv, COMMAND_TIMEOUT)
    if not result.ok:
        detail = (result.stderr or result.stdout).strip().splitlines()
        raise SyncError(f"{what} on {target.describe()} failed (exit {result.exit_status})"
                        + (f": {detail[-1]}" if detail else ""))
    return result.stdout


def inspect(target: SshTarget, base: str) -> LiveTree:
    out = _run(target, ["sh", "-c", _INSPECT, "sh", base], f"inspecting {base}").split("\n")
    has_releases, kind = out[0].strip() == "releases", out[1].strip()
    if kind == "link":
        return LiveTree("link", out[2].strip(), has_releases)
    if kind == "dir":
        return LiveTree("dir", base, has_releases)
    if kind in ("none", "dangling"):
        return LiveTree("none", None, has_releases)
    raise SyncError(f"{base} on {target.host} is neither a directory nor a symlink; atomic sync "
                    "replaces it with a symlink, so move it away first")


def prepare(target: SshTarget, base: str) -> None:
    _run(target, ["mkdir", "-p", "--", f"{base}.releases"], f"creating {base}.releases")


def publish(target: SshTarget, base: str, new_id: str, old_id: str,
            keep: int = KEEP_RELEASES) -> None:
    """Point `base` at the new release with one rename (a plain directory is moved aside into
    the releases first), then prune the releases to the newest `keep`, never the live one."""
    _run(target, ["sh", "-c", _PUBLISH, "sh", base, new_id, old_id, str(keep)],
         f"publishing {base}")
    log.info("published: host=%s path=%s release=%s", target.host, base, new_id)
