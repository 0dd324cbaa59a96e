"""Durations: `30s`, `5m`, `1h`, `1h30m` or plain seconds (failover.model.types)."""

from __future__ import annotations

import pytest

from failover.model.types import format_age, format_duration, parse_duration


@pytest.mark.parametrize(("value", "seconds"), [
    (30, 30.0),
    (2.5, 2.5),
    (0, 0.0),
    ("30", 30.0),
    ("30s", 30.0),
    ("5m", 300.0),
    ("1h", 3600.0),
    ("1h30m", 5400.0),
    ("1h 30m 15s", 5415.0),
    ("1.5m", 90.0),
    (" 10s ", 10.0),
])
def test_parse_duration(value: object, seconds: float) -> None:
    assert parse_duration(value) == seconds


@pytest.mark.parametrize(("value", "message"), [
    ("5 minutes", "'5 minutes' is not a duration (e.g. 30s, 5m, 1h, or seconds)"),
    ("", "'' is not a duration (e.g. 30s, 5m, 1h, or seconds)"),
    ("   ", "'   ' is not a duration (e.g. 30s, 5m, 1h, or seconds)"),
    ("5d", "'5d' is not a duration (e.g. 30s, 5m, 1h, or seconds)"),
    ("m", "'m' is not a duration (e.g. 30s, 5m, 1h, or seconds)"),
    ("30m1h", "'30m1h' is not a duration (e.g. 30s, 5m, 1h, or seconds)"),
    (None, "None is not a duration (e.g. 30s, 5m, 1h, or seconds)"),
    ([5], "[5] is not a duration (e.g. 30s, 5m, 1h, or seconds)"),
    (-5, "-5 is negative; a duration is 0 or more (e.g. 30s, 5m, 1h)"),
])
def test_bad_durations(value: object, message: str) -> None:
    with pytest.raises(ValueError, match="duration") as info:
        parse_duration(value)
    assert str(info.value) == message


@pytest.mark.parametrize(("seconds", "text"), [
    (30, "30s"), (300, "5m"), (3600, "1h"), (5400, "90m"), (0, "0s"), (61, "61s"), (2.4, "2s"),
])
def test_format_duration(seconds: float, text: str) -> None:
    assert format_duration(seconds) == text


@pytest.mark.parametrize("text", ["30s", "5m", "1h", "2h"])
def test_round_trip(text: str) -> None:
    assert format_duration(parse_duration(text)) == text


def test_a_boolean_is_not_a_duration() -> None:
    with pytest.raises(ValueError, match="is not a duration"):
        parse_duration(True)


@pytest.mark.parametrize(("seconds", "shown"), [
    (0, "0s"), (45.4, "45s"), (119, "119s"), (12 * 60 + 20, "12m"), (3 * 3600 + 1, "3h"),
    (2 * 3600 + 30 * 60 + 10, "2h 30m"), (3 * 86400 + 60, "3d"), (-5, "0s")])
def test_a_measured_age_is_rounded_for_people(seconds: float, shown: str) -> None:
    assert format_age(seconds) == shown  # format_duration would say 10801s for 3 h and 1 s
