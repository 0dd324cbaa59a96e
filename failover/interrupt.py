"""SIGTERM as an interruption: `Terminated` is raised where Ctrl-C raises KeyboardInterrupt.

So everything that cleans up after Ctrl-C (rsync's process group killed, a half-applied DNS flip
put back, the journal marked `interrupted`) does the same after SIGTERM. This module imports
nothing: the console script's entry (cli/entry.py) installs the handler before anything heavy.
"""

from __future__ import annotations


class Terminated(KeyboardInterrupt):
    """SIGTERM arrived: an interruption like Ctrl-C (exit 130, journal `interrupted`)."""


def on_sigterm(signum: int, frame: object) -> None:
    """The SIGTERM handler of every command but `watch` (which finishes its round instead)."""
    raise Terminated()


def signal_name(exc: BaseException) -> str:
    return "SIGTERM" if isinstance(exc, Terminated) else "Ctrl-C"
