"""The audit log's hash chain, as the report states it: failover.state.auditchain.verify checks
every line's `prev` (the sha256 of the line before it, across rotated files) and the head kept
beside the log, and names the first line that no longer matches."""

from __future__ import annotations

from pathlib import Path

from failover.report.document import Chain


def chain(state_dir: Path) -> Chain:
    """Check the chain of the audit log in `state_dir`."""
    from failover.state.auditchain import verify

    report = verify(state_dir)
    broken = tuple(f"{b.file}:{b.line}: {b.why}" for b in report.broken)
    head = report.head if report.lines > report.unchained else None
    return Chain(head=head, ok=report.ok, lines=report.lines, unchained=report.unchained,
                 broken=broken)
