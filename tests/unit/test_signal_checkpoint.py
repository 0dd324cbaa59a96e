"""An interruption is never lost: the one a finaliser swallowed is raised at the next wait."""

from __future__ import annotations

import os
import signal
import sys
from collections.abc import Iterator

import pytest

from failover import interrupt


@pytest.fixture
def handler() -> Iterator[list[BaseException]]:
    """on_signal installed for SIGINT and SIGTERM; the exceptions Python reports as ignored."""
    ignored: list[BaseException] = []
    previous = {s: signal.signal(s, interrupt.on_signal) for s in (signal.SIGINT, signal.SIGTERM)}
    hook = sys.unraisablehook
    sys.unraisablehook = lambda info: ignored.append(info.exc_value)
    try:
        yield ignored
    finally:
        sys.unraisablehook = hook
        for sig, old in previous.items():
            signal.signal(sig, old)
        interrupt.handled()


class SignalsWhileFinalised:
    def __init__(self, sig: int) -> None:
        self.sig = sig

    def __del__(self) -> None:
        os.kill(os.getpid(), self.sig)  # the handler runs here, inside the finaliser


@pytest.mark.parametrize(("sig", "kind"), [(signal.SIGINT, KeyboardInterrupt),
                                           (signal.SIGTERM, interrupt.Terminated)])
def test_an_interruption_swallowed_by_a_finaliser_is_raised_at_the_next_checkpoint(
        handler: list[BaseException], sig: int, kind: type[KeyboardInterrupt]) -> None:
    obj = SignalsWhileFinalised(sig)
    del obj
    assert [type(e) for e in handler] == [kind]  # Python printed "Exception ignored" and went on
    with pytest.raises(kind) as raised:
        interrupt.checkpoint()
    assert interrupt.signal_name(raised.value) == ("SIGTERM" if sig == signal.SIGTERM else "Ctrl-C")
    with pytest.raises(kind):
        interrupt.checkpoint()  # still there until the code that reports it has it
    interrupt.handled()
    interrupt.checkpoint()


def test_a_checkpoint_without_an_interruption_goes_on(handler: list[BaseException]) -> None:
    interrupt.checkpoint()
    with pytest.raises(KeyboardInterrupt):  # raised by the handler as kill() returns
        os.kill(os.getpid(), signal.SIGINT)
    interrupt.handled()
    interrupt.checkpoint()
    assert handler == []


class RaisesWhileFinalised:
    def __init__(self, error: BaseException) -> None:
        self.error = error

    def __del__(self) -> None:
        raise self.error


def test_the_hook_keeps_a_swallowed_interruption_off_the_terminal(
        capsys: pytest.CaptureFixture[str]) -> None:
    hook = sys.unraisablehook
    sys.unraisablehook = interrupt.unraisable
    try:
        obj = RaisesWhileFinalised(KeyboardInterrupt())
        del obj
        assert capsys.readouterr().err == ""  # no "Exception ignored ... Traceback"
        other = RaisesWhileFinalised(ValueError("a real bug"))
        del other
        assert "ValueError: a real bug" in capsys.readouterr().err  # Python's own report
    finally:
        sys.unraisablehook = hook
