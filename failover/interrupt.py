"""Ctrl-C and SIGTERM as one interruption, raised where Ctrl-C raises KeyboardInterrupt.

So everything that cleans up after Ctrl-C (rsync's process group killed, a half-applied DNS flip
put back, the journal marked `interrupted`) does the same after SIGTERM. The console script's
entry (cli/entry.py) installs `on_signal` for both, and `unraisable`, before anything heavy;
this module imports only `signal` and `sys`.

An exception raised by a signal handler is lost when the handler happens to run inside a
`__del__` (the garbage collector finalising, say, an asyncio transport): Python reports it to
sys.unraisablehook and goes on. So the handler also remembers the interruption, and the loops
that wait (steps, DNS verification, remote commands) call `checkpoint()`, which raises it again
until the code that handles it calls `handled()`.
"""

from __future__ import annotations

import signal
import sys


class Terminated(KeyboardInterrupt):
    """SIGTERM arrived: an interruption like Ctrl-C (exit 130, journal `interrupted`)."""


_pending: type[KeyboardInterrupt] | None = None


def on_signal(signum: int, frame: object) -> None:
    """The SIGINT and SIGTERM handler of every command but `watch` (which finishes its round
    instead)."""
    global _pending
    _pending = Terminated if signum == signal.SIGTERM else KeyboardInterrupt
    raise _pending()


def unraisable(info: sys.UnraisableHookArgs) -> None:
    """sys.unraisablehook: an interruption raised inside a finaliser is not printed (with a
    traceback, on an on-call engineer's terminal); `on_signal` remembered it and the next
    `checkpoint()` raises it. Anything else goes to Python's own hook."""
    if isinstance(info.exc_value, KeyboardInterrupt):
        return
    sys.__unraisablehook__(info)


def checkpoint() -> None:
    """Raise the interruption that arrived and was not handled yet (see the module's text)."""
    if _pending is not None:
        raise _pending()


def handled() -> None:
    """The interruption was caught by the code that reports it: `checkpoint()` lets go of it."""
    global _pending
    _pending = None


def signal_name(exc: BaseException) -> str:
    return "SIGTERM" if isinstance(exc, Terminated) else "Ctrl-C"
