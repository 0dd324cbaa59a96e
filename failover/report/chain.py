"""The audit log's hash chain, as the report states it: failover.state.audit.verify checks
every line's `prev` (the sha256 of the line before it, across rotated files) and gives the head.

An audit module without `verify` (an older version) keeps no chain: the report says so
(`available=False`) instead of failing.
"""

from __future__ import annotations

import importlib
from pathlib import Path

from failover.report.document import Chain


def chain(state_dir: Path) -> Chain:
    """Check the chain of the audit log in `state_dir`."""
    verify = getattr(importlib.import_module("failover.state.audit"), "verify", None)
    if verify is None:
        return Chain(head=None, ok=True, available=False)
    report = verify(state_dir)
    broken = tuple(f"{b.file}:{b.line}: {b.why}" for b in report.broken)
    head = report.head if report.lines > report.unchained else None
    return Chain(head=head, ok=bool(report.ok), lines=report.lines,
                 unchained=report.unchained, broken=broken)
