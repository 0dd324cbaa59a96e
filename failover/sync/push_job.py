"""One push of a file set, as each push strategy takes it (push_plain, push_atomic, push_sftp).

A value: the strategies read it and change nothing in it. The set's `max_delete` is already the
run's `--allow-deletes` when one was given (files.FileSet picks it), so every gate of a push
reads one number; `allow` is kept beside it for the gates whose messages name the override.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from pathlib import Path

from failover.model.syncset import SyncSet
from failover.remote.openssh import SshMaster
from failover.remote.ssh import SshTarget
from failover.sync.tree import PushedRecords


@dataclass(frozen=True)
class Push:
    """What to push where, and under which limits."""

    sset: SyncSet
    target: SshTarget
    host_path: str  # the set's path on the host
    local: Path  # the last good snapshot, resolved once at the start of the push
    records: PushedRecords
    timeout: float
    allow: int | None = None  # the run's --allow-deletes
    cancel: threading.Event | None = None  # set: running rsyncs stop (TransferCancelled)
    opened: SshMaster | None = None  # a connection the caller opened and closes (openssh.shared)
