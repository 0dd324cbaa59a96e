"""dns/retry.py: the one retry loop of provider calls (powerdns, rfc2136)."""

from __future__ import annotations

import pytest

from failover.dns.base import ApplyUncertain
from failover.dns.retry import Transient, with_retries
from failover.errors import ProviderError


def run(outcomes: list[object]) -> tuple[object, list[float], int]:
    """with_retries over scripted outcomes (an exception is raised, anything else returned)."""
    slept: list[float] = []
    calls = 0

    def attempt() -> object:
        nonlocal calls
        outcome = outcomes[calls]
        calls += 1
        if isinstance(outcome, BaseException):
            raise outcome
        return outcome

    answer = with_retries(attempt, delays=(0.5, 1.0), where="zone z.test. at x", zone="z.test.",
                          what="GET", sleep=slept.append)
    return answer, slept, calls


def test_a_transient_failure_is_tried_again_after_each_delay() -> None:
    answer, slept, calls = run([Transient("connection refused"), Transient("no answer"), "ok"])
    assert (answer, slept, calls) == ("ok", [0.5, 1.0], 3)


def test_after_the_last_try_the_error_names_the_problem_and_the_tries() -> None:
    with pytest.raises(ProviderError) as caught:
        run([Transient("a"), Transient("b"), Transient("connection refused")])
    assert str(caught.value) == "zone z.test. at x: connection refused (3 tries)"
    assert not isinstance(caught.value, ApplyUncertain)


def test_a_write_that_may_have_landed_makes_the_end_uncertain() -> None:
    with pytest.raises(ApplyUncertain) as caught:
        run([Transient("no answer", maybe_sent=True), Transient("b"), Transient("refused")])
    assert str(caught.value) == ("zone z.test. at x: refused (3 tries); the change may or may "
                                 "not have been applied")


def test_any_other_error_ends_the_loop_at_once() -> None:
    with pytest.raises(ProviderError, match="API key rejected"):
        run([ProviderError("API key rejected"), "never reached"])
    with pytest.raises(KeyError):
        run([Transient("a"), KeyError("a bug is not retried")])
