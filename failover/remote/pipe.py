"""The `pipe` step: one host's command's stdout streamed into another host's command's stdin.

For `mysqldump | mysql`, `pg_dump | psql`, `tar c | tar x` between hosts that cannot reach each
other directly: both ends are SSH sessions from the orchestrator (strict host keys, ssh.py), the
bytes pass through its memory in chunks, and nothing is written to disk anywhere.

Contract:
- `pipe()` returns a PipeResult: both exit statuses, the tails of both stderrs, the bytes moved,
  and `timed_out` when the whole stream exceeded its time; a failed side is a result, not an
  exception. Both sessions are closed when it returns, which ends the remote commands (sshd
  hangs them up). It raises only when a host cannot be reached (SyncError, HostKeyMismatch).
- Safe to repeat only as far as the commands are (`mysql < dump` replaces tables: it is).
- The playbook step that words the outcome is engine/steps/pipe.py.
"""

from __future__ import annotations

import logging
import select
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING

from failover.interrupt import checkpoint

if TYPE_CHECKING:
    import paramiko

    from failover.remote.ssh import SshTarget

log = logging.getLogger(__name__)

CHUNK = 1 << 20
_TAIL = 2000


@dataclass(frozen=True)
class PipeResult:
    bytes: int
    source_status: int  # -1: no exit status (killed, or we hung up)
    sink_status: int
    source_stderr: str
    sink_stderr: str
    seconds: float
    timed_out: bool = False  # the stream outlived its deadline; both sessions were closed

    @property
    def ok(self) -> bool:
        return self.source_status == 0 and self.sink_status == 0 and not self.timed_out


def stream(source: paramiko.Channel, sink: paramiko.Channel, deadline: float) -> PipeResult:
    """Copy `source`'s stdout into `sink`'s stdin until the source ends or either side fails."""
    started, moved = time.monotonic(), 0
    src_err, dst_err = bytearray(), bytearray()
    source.settimeout(0.0)
    sink_closed = timed_out = False
    while True:
        if time.monotonic() > deadline:
            timed_out = True
            break
        while source.recv_stderr_ready():
            src_err = (src_err + source.recv_stderr(65536))[-_TAIL:]
        while sink.recv_stderr_ready():
            dst_err = (dst_err + sink.recv_stderr(65536))[-_TAIL:]
        if sink.exit_status_ready():  # the sink ended (or failed) before the source was done
            break
        if source.recv_ready():
            data = source.recv(CHUNK)
            sink.settimeout(max(deadline - time.monotonic(), 0.1))
            try:
                sink.sendall(data)
            except OSError:  # the sink hung up mid-stream; its exit status says why
                break
            moved += len(data)
            continue
        if source.eof_received:
            sink.shutdown_write()
            sink_closed = True
            break
        checkpoint()
        select.select([source, sink], [], [], 0.05)
    if not sink_closed:
        source.close()  # stop the source: nobody reads it any more
    src_status = _status(source, deadline)
    dst_status = _status(sink, deadline)
    while sink.recv_stderr_ready():
        dst_err = (dst_err + sink.recv_stderr(65536))[-_TAIL:]
    return PipeResult(moved, src_status, dst_status, src_err.decode("utf-8", "replace"),
                      dst_err.decode("utf-8", "replace"), time.monotonic() - started, timed_out)


def _status(channel: paramiko.Channel, deadline: float) -> int:
    if channel.closed and not channel.exit_status_ready():
        return -1
    while not channel.exit_status_ready():
        if time.monotonic() > deadline:
            return -1
        select.select([channel], [], [], 0.05)
        while channel.recv_ready():
            channel.recv(CHUNK)  # a sink's stdout is not ours to keep; drain it
    return channel.recv_exit_status()


def pipe(source: SshTarget, source_line: str, sink: SshTarget, sink_line: str,
         timeout: float) -> PipeResult:
    """Stream `source_line`'s stdout on `source` into `sink_line`'s stdin on `sink` (contract
    above): the sink's command starts first, so nothing the source writes is lost."""
    from failover.remote.ssh import connect

    deadline = time.monotonic() + timeout
    src_client = connect(source)
    try:
        dst_client = connect(sink)
        try:
            sink_channel = dst_client.get_transport().open_session()  # type: ignore[union-attr]
            sink_channel.exec_command(sink_line)
            source_channel = src_client.get_transport().open_session()  # type: ignore[union-attr]
            source_channel.exec_command(source_line)
            result = stream(source_channel, sink_channel, deadline)
        finally:
            dst_client.close()
    finally:
        src_client.close()
    log.info("piped: from=%s to=%s bytes=%d source_exit=%d sink_exit=%d seconds=%.2f",
             source.host, sink.host, result.bytes, result.source_status, result.sink_status,
             result.seconds)
    return result
