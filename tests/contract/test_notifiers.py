"""The Notifier contract bound to every back-end in notify/'s registry, each against a real
server on loopback: webhook (an HTTP server that records what it is sent), email (an SMTP server
with STARTTLS and AUTH, tests/rig/mailserver.py), apprise (its json:// service, posting to the HTTP
server)."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from failover.notify import NOTIFIERS
from failover.notify.apprise import AppriseNotify
from failover.notify.email import EmailNotify
from failover.notify.webhook import WebhookNotify
from tests.contract.notify_contract import NotifierContract
from tests.rig.mailserver import Mailbox
from tests.site import WebhookReceiver


def test_every_registered_type_is_bound_to_the_contract() -> None:
    def below(cls: type) -> list[type]:
        return [c for sub in cls.__subclasses__() for c in (sub, *below(sub))]

    bound = {cls.TYPE for cls in below(NotifierContract) if cls.TYPE}
    assert bound == set(NOTIFIERS)


class HttpBound(NotifierContract):
    @pytest.fixture(autouse=True)
    def _bind(self) -> Iterator[None]:
        self.receiver, self.refuser = WebhookReceiver(), WebhookReceiver(status=500)
        # a listening socket that never accepts: connects queue, nothing is ever read
        self.silent = socket.create_server(("127.0.0.1", 0), backlog=1)
        yield
        self.silent.close()
        self.receiver.close()
        self.refuser.close()

    @property
    def silent_port(self) -> int:
        port: int = self.silent.getsockname()[1]
        return port


class TestWebhook(HttpBound):
    TYPE = "webhook"

    def settings(self, secret: str, timeout: float = 5.0) -> Any:
        return WebhookNotify.parse({"type": "webhook", "url": f"{self.receiver.url}/T0/{secret}",
                                    "timeout": timeout})

    def refusing_settings(self, secret: str) -> Any:
        return WebhookNotify.parse({"type": "webhook", "url": f"{self.refuser.url}/{secret}"})

    def unreachable_settings(self, secret: str, timeout: float) -> Any:
        return WebhookNotify.parse({"type": "webhook", "timeout": timeout,
                                    "url": f"http://127.0.0.1:{self.silent_port}/hook/{secret}"})

    def delivered(self) -> list[dict[str, Any]]:
        return [r["body"] for r in self.receiver.received]


def _from_subject(subject: str) -> dict[str, str]:
    """`[shop.test] auto failover blocked: ...` -> {"site": "shop.test", "event":
    "auto_failover_blocked"}; `[shop.test mail] host down` -> also {"service": "mail"}."""
    about, _, rest = subject[1:].partition("] ")
    site, _, service = about.partition(" ")
    got = {"site": site, "event": rest.partition(":")[0].replace(" ", "_")}
    return {**got, "service": service} if service else got


class TestApprise(HttpBound):
    TYPE = "apprise"

    def settings(self, secret: str, timeout: float = 5.0) -> Any:
        url = self.receiver.url.replace("http://", "json://")
        return AppriseNotify.parse({"type": "apprise", "urls": [f"{url}/{secret}"],
                                    "timeout": timeout})

    def refusing_settings(self, secret: str) -> Any:
        url = self.refuser.url.replace("http://", "json://")
        return AppriseNotify.parse({"type": "apprise", "urls": [f"{url}/{secret}"]})

    def unreachable_settings(self, secret: str, timeout: float) -> Any:
        return AppriseNotify.parse({"type": "apprise", "timeout": timeout,
                                    "urls": [f"json://127.0.0.1:{self.silent_port}/{secret}"]})

    def delivered(self) -> list[dict[str, Any]]:
        return [{"text": r["body"]["message"], **_from_subject(r["body"]["title"])}
                for r in self.receiver.received]


class TestEmail(NotifierContract):
    TYPE = "email"

    @pytest.fixture(autouse=True)
    def _bind(self, tmp_path: Path, secret: str) -> Iterator[None]:
        self.box = Mailbox(tmp_path / "tls", user="failover", password=secret)
        self.silent = socket.create_server(("127.0.0.1", 0), backlog=1)
        yield
        self.silent.close()
        self.box.stop()

    def _settings(self, smtp: str, password: str, timeout: float = 5.0) -> Any:
        return EmailNotify.parse({
            "type": "email", "smtp": smtp, "from": "failover@shop.test",
            "to": ["oncall@shop.test"], "username": "failover", "password": password,
            "ca_file": str(self.box.ca_file), "timeout": timeout})

    def settings(self, secret: str, timeout: float = 5.0) -> Any:
        return self._settings(self.box.address, secret, timeout)

    def refusing_settings(self, secret: str) -> Any:
        return self._settings(self.box.address, secret + "-wrong")

    def unreachable_settings(self, secret: str, timeout: float) -> Any:
        return self._settings(f"127.0.0.1:{self.silent.getsockname()[1]}", secret, timeout)

    def delivered(self) -> list[dict[str, Any]]:
        out = []
        for msg, text in zip(self.box.messages, self.box.texts(), strict=True):
            about = _from_subject(str(msg["Subject"]))
            service = {"service": str(msg["X-Failover-Service"])} if "service" in about else {}
            out.append({"text": text.rstrip("\n"), "site": about["site"],
                        "event": str(msg["X-Failover-Event"]), **service})
        return out

    def test_the_login_went_over_starttls_with_the_environments_password(
            self, secret: str) -> None:
        from failover.notify import notifier_for
        from failover.notify.base import Notice

        notifier_for(self.settings(secret)).send(Notice("hello", "shop.test", who="me@here (cron)"))
        assert self.box.logins == [("failover", True)]  # the server refuses AUTH before STARTTLS
        [text] = self.box.texts()
        assert text.splitlines()[-1] == "started by me@here (cron)"
        assert self.box.envelopes == [("failover@shop.test", ["oncall@shop.test"])]


def test_without_the_apprise_extra_a_message_says_how_to_install_it() -> None:
    import subprocess
    import sys

    code = (
        "import sys; sys.modules['apprise'] = None  # as if the extra were not installed\n"
        "from failover.errors import ProviderError\n"
        "from failover.notify import notifier_for\n"
        "from failover.notify.apprise import AppriseNotify\n"
        "from failover.notify.base import Notice\n"
        "n = notifier_for(AppriseNotify.parse({'type': 'apprise', 'urls': ['ntfys://topic']}))\n"
        "try:\n"
        "    n.send(Notice('hello', 'shop.test'))\n"
        "except ProviderError as e:\n"
        "    print(e)\n")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True, timeout=60).stdout
    assert out == "apprise: apprise is not installed: pip install 'failover[apprise]'\n"
