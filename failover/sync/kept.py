"""Kept copies for plain (not atomic) file sets: what a failback's push is about to overwrite.

A failback pushes the standby's data onto the preferred host, whose own copy is stale but may
hold what nobody else has (orders it took after the last sync, before it went down). So before
that push writes anything, the host's folder is kept whole as `<path>.kept/<id>/` (hard links:
no time or disk for unchanged files; rsync replaces a file by renaming a new one over it, so
the kept copy stays as it was). `failover sync --rollback SET --host H` puts the newest kept
copy live again (restore.sh); atomic sets keep releases instead (release.py).

The scripts are package data (scripts/keep.sh, restore.sh), run as `sh -c` with every value a
positional argument, never spliced into the script text.
"""

from __future__ import annotations

import logging

from failover.remote.ssh import SshTarget
from failover.sync.release import base_path, release_ids, run_script, script

log = logging.getLogger(__name__)


def keep(target: SshTarget, host_path: str, count: int) -> str:
    """Keep the host's folder as it is now; the kept copy's id ("" when there was no folder)."""
    base, (new_id, _) = base_path(host_path), release_ids()
    out = run_script(target, ["sh", "-c", script("keep"), "sh", base, new_id, str(count)],
               f"keeping a copy of {base}").strip()
    log.info("kept: host=%s path=%s copy=%s", target.host, base, out or "none (no folder)")
    return out


def restore(target: SshTarget, host_path: str) -> tuple[str, str]:
    """Put the newest kept copy live: (the replaced tree's name in `.kept/`, the copy's id)."""
    base, (new_id, _) = base_path(host_path), release_ids()
    restored = run_script(target, ["sh", "-c", script("restore"), "sh", base, new_id],
                    f"restoring the kept copy of {base}").strip()
    log.info("restored: host=%s path=%s copy=%s", target.host, base, restored)
    return f"{new_id}.replaced", restored
