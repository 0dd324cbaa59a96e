"""The `notify:` channels in the inventory: each mistake gets one line with file:line, the key
and what is valid; a good email channel loads with its login from the environment, hidden."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.unit.test_config import KNOWN_HOSTS, MINIMAL, load, problems


@pytest.fixture(autouse=True)
def _site(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "known_hosts").write_text(KNOWN_HOSTS)


def notify(entry: str) -> str:
    return MINIMAL + f"    notify:\n      - {entry}\n"


ENV = {"SMTP_USER": "failover", "SMTP_PASSWORD": "pw-3c9a", "HOOK": "https://chat.example/t"}


def test_an_email_channel_reads_its_login_from_the_environment_and_hides_the_password() -> None:
    inv = load(notify('{type: email, smtp: "mail.example:587", from: f@shop.example, '
                      'to: [oncall@shop.example], username: "${SMTP_USER}", '
                      'password: "${SMTP_PASSWORD}", events: [failover_done, host_down]}'), ENV)
    [channel] = inv.notify
    assert (channel.type, channel.username, channel.tls) == ("email", "failover", "starttls")
    assert channel.password.get_secret_value() == "pw-3c9a"
    assert "pw-3c9a" not in repr(channel)
    assert channel.events == ["failover_done", "host_down"]


def test_an_unknown_type_lists_the_channels() -> None:
    assert problems(notify("{type: sms, to: [x]}")) == [
        "inventory.yaml:15:12 notify[0].type: 'sms' is not one of: webhook, email, apprise"]


def test_an_unknown_event_lists_the_events() -> None:
    [reason] = problems(notify('{type: webhook, url: "${HOOK}", events: [failover_finished]}'),
                        ENV)
    assert reason.startswith("inventory.yaml:15:46 notify[0].events[0]: 'failover_finished' is "
                             "not one of: host_down, host_recovered, failover_started, "
                             "failover_done, "), reason


def test_a_slack_format_is_json_or_slack() -> None:
    [reason] = problems(notify('{type: webhook, url: "${HOOK}", format: teams}'), ENV)
    assert reason == ("inventory.yaml:15:45 notify[0].format: 'teams' is not one of: json, "
                      "slack")


@pytest.mark.parametrize(("keys", "message"), [
    ('username: "${SMTP_USER}"', "username and password go together (${SMTP_USER}, "
                                 "${SMTP_PASSWORD})"),
    ('tls: none, username: "${SMTP_USER}", password: "${SMTP_PASSWORD}"',
     "tls: none would send the password in clear; use starttls or ssl"),
    ('smtp: "mail.example"', "smtp: 'mail.example' is not host:port (e.g. "
                             "smtp.mailer.example:587)"),
])
def test_email_mistakes(keys: str, message: str) -> None:
    entry = ('{type: email, from: f@shop.example, to: [o@shop.example], '
             + ('' if "smtp:" in keys else 'smtp: "mail.example:587", ') + keys + "}")
    [reason] = problems(notify(entry), ENV)
    assert reason == f"inventory.yaml:15:5 notify[0]: {message}"
    assert "pw-3c9a" not in reason


def test_an_apprise_url_needs_a_scheme_and_is_never_shown() -> None:
    [reason] = problems(notify('{type: apprise, urls: ["${HOOK_TOKEN}"]}'),
                        {"HOOK_TOKEN": "secret-token-77"})
    assert reason.startswith("inventory.yaml:15:5 notify[0]: urls[0] is not an Apprise URL "
                             "(SCHEME://..., e.g. tgram://TOKEN/CHAT_ID"), reason
    assert "secret-token-77" not in reason
