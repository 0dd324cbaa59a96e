"""A doctor finding: one fact about the site's readiness, and what to do when it is not ok.

`problem`: a failover would fail or misbehave (doctor exits 1); `warning`: works, but worse than
it should (a fallback, a shared fate); `ok`: checked and fine. A finding never holds a secret:
its text comes from our own messages and the providers' errors, which the CLI redacts again.
"""

from __future__ import annotations

from typing import Literal

import msgspec

Level = Literal["ok", "warning", "problem"]


class Finding(msgspec.Struct, frozen=True):
    level: Level
    subject: str  # a host name, "dns shop.test.", "state folder", "blast radius"
    text: str
    fix: str = ""  # what to do; empty for an ok


def ok(subject: str, text: str) -> Finding:
    return Finding("ok", subject, text)


def warning(subject: str, text: str, fix: str) -> Finding:
    return Finding("warning", subject, text, fix)


def problem(subject: str, text: str, fix: str) -> Finding:
    return Finding("problem", subject, text, fix)
