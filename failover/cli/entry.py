"""The console script's entry point, kept tiny so Ctrl-C or SIGTERM never ends in a traceback.

Before `main()` is entered the interpreter has started, `site` has run and this module and its
packages were imported (bench/interrupt_window.py measures that window). From the first line of
`main()` on, an interruption while the rest of the package imports ends with exit 130 and a
sentence; after the command has returned, a signal during the interpreter's shutdown ends the
process at once with the command's own exit code.
"""

from __future__ import annotations

import os
import sys  # os and sys are loaded already: everything else is imported inside the `try`

# cli/exits.ExitStatus.INTERRUPTED (a unit test keeps them equal): written out because an
# interruption can come before cli/exits.py is imported, and nothing is imported before the `try`
INTERRUPTED = 130


def main() -> None:
    started = False
    try:
        import signal

        from failover.interrupt import on_signal, unraisable

        signal.signal(signal.SIGINT, on_signal)
        signal.signal(signal.SIGTERM, on_signal)
        sys.unraisablehook = unraisable
        from failover.cli.main import raw_main

        started = True
        code: int = raw_main(sys.argv[1:])
    except KeyboardInterrupt:
        what = "interrupted" if started else "interrupted while starting; nothing changed"
        sys.stderr.write(f"failover: {what}\n")
        code = INTERRUPTED
    _exit(code)


def _exit(code: int) -> None:
    """Flush, then leave; a signal from here on exits with `code` (no traceback from shutdown).
    The only `sys.exit` of the package."""
    import contextlib
    import signal

    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except (OSError, ValueError):  # a reader that went away (`| head`): nothing left to tell
            with contextlib.suppress(OSError, ValueError):
                os.dup2(os.open(os.devnull, os.O_WRONLY), stream.fileno())

    def leave(signum: int, frame: object) -> None:
        os._exit(code)

    signal.signal(signal.SIGINT, leave)
    signal.signal(signal.SIGTERM, leave)
    sys.exit(code)
