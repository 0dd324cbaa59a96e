"""The `pipe` step: one host's command's stdout streamed into another host's command's stdin.

For `mysqldump | mysql`, `pg_dump | psql`, `tar c | tar x` between hosts that cannot reach each
other directly: both ends are SSH sessions from the orchestrator (strict host keys, ssh.py), the
bytes pass through its memory in chunks, and nothing is written to disk anywhere.

Contract:
- The step fails when either side exits non-zero (or is killed), when the sink stops reading
  before the source is done, or when the whole stream exceeds `timeout`; both sessions are closed
  then, which ends the remote commands (sshd hangs them up).
- The byte count goes to the step's data (and so to the audit log); commands are named by their
  program only (an argument may carry a secret).
- Safe to repeat only as far as the commands are (`mysql < dump` replaces tables: it is).
"""

from __future__ import annotations

import logging
import select
import shlex
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING

from failover.errors import StepFailed, SyncError

if TYPE_CHECKING:
    import paramiko

    from failover.engine.context import RunContext
    from failover.engine.outcome import Outcome
    from failover.model.playbook import PipeAction

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

    @property
    def ok(self) -> bool:
        return self.source_status == 0 and self.sink_status == 0


def _line(command: str | list[str]) -> str:
    return command if isinstance(command, str) else shlex.join(command)


def stream(source: paramiko.Channel, sink: paramiko.Channel, deadline: float) -> PipeResult:
    """Copy `source`'s stdout into `sink`'s stdin until the source ends or either side fails."""
    started, moved = time.monotonic(), 0
    src_err, dst_err = bytearray(), bytearray()
    source.settimeout(0.0)
    sink_closed = False
    while True:
        if time.monotonic() > deadline:
            raise SyncError("timed out")
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
        select.select([source, sink], [], [], 0.05)
    if not sink_closed:
        source.close()  # stop the source: nobody reads it any more
    src_status = _status(source, deadline)
    dst_status = _status(sink, deadline)
    while sink.recv_stderr_ready():
        dst_err = (dst_err + sink.recv_stderr(65536))[-_TAIL:]
    return PipeResult(moved, src_status, dst_status, src_err.decode("utf-8", "replace"),
                      dst_err.decode("utf-8", "replace"), time.monotonic() - started)


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


def pipe_step(ctx: RunContext, p: PipeAction) -> Outcome:
    from failover.engine.outcome import Outcome
    from failover.sync.ssh import _program, connect, ssh_target

    for end, key in ((p.from_, "pipe.from.host"), (p.to, "pipe.to.host")):
        if end.host not in ctx.inventory.hosts:
            raise StepFailed(f"{key}: unknown host {end.host!r}; hosts: "
                             f"{', '.join(ctx.inventory.hosts)}")
    src_line, dst_line = _line(p.from_.command), _line(p.to.command)
    what = (f"{p.from_.host} ({_program(src_line)}) into {p.to.host} ({_program(dst_line)})")
    if ctx.dry_run:
        return Outcome("dry-run", f"would stream {what}")
    deadline = time.monotonic() + p.timeout
    src_client = connect(ssh_target(ctx.inventory, p.from_.host))
    try:
        dst_client = connect(ssh_target(ctx.inventory, p.to.host))
        try:
            sink = dst_client.get_transport().open_session()  # type: ignore[union-attr]
            sink.exec_command(dst_line)
            source = src_client.get_transport().open_session()  # type: ignore[union-attr]
            source.exec_command(src_line)
            try:
                result = stream(source, sink, deadline)
            except SyncError:
                raise StepFailed(f"pipe {what} did not finish within {p.timeout:g}s; both "
                                 "sessions were closed") from None
        finally:
            dst_client.close()
    finally:
        src_client.close()
    log.info("piped: from=%s to=%s bytes=%d source_exit=%d sink_exit=%d seconds=%.2f",
             p.from_.host, p.to.host, result.bytes, result.source_status, result.sink_status,
             result.seconds)
    data = {"bytes": result.bytes, "source_exit": result.source_status,
            "sink_exit": result.sink_status, "seconds": round(result.seconds, 3)}
    if not result.ok:
        parts = []
        for side, status, err in (("source", result.source_status, result.source_stderr),
                                  ("sink", result.sink_status, result.sink_stderr)):
            if status != 0:
                tail = err.strip().splitlines()
                why = "was stopped" if status == -1 else f"exited {status}"
                parts.append(f"{side} {why}" + (f": {tail[-1]}" if tail else ""))
        raise StepFailed(f"pipe {what} failed after {result.bytes} bytes: " + "; ".join(parts))
    rate = result.bytes / result.seconds / 1e6 if result.seconds else 0.0
    return Outcome(detail=f"streamed {result.bytes} bytes from {what} ({rate:.1f} MB/s)",
                   data=data)
