"""The Notifier contract bound to every back-end in notify/'s registry: webhook (a real HTTP
server on loopback that records what it is sent)."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from typing import Any

import pytest

from failover.model.inventory import WebhookNotify
from failover.notify import NOTIFIERS
from tests.contract.notify_contract import NotifierContract
from tests.site import WebhookReceiver


def test_every_registered_type_is_bound_to_the_contract() -> None:
    bound = {cls.TYPE for cls in NotifierContract.__subclasses__()}
    assert bound == set(NOTIFIERS)


class TestWebhook(NotifierContract):
    TYPE = "webhook"

    @pytest.fixture(autouse=True)
    def _bind(self) -> Iterator[None]:
        self.receiver, self.refuser = WebhookReceiver(), WebhookReceiver(status=500)
        # a listening socket that never accepts: connects queue, nothing is ever read
        self.silent = socket.create_server(("127.0.0.1", 0), backlog=1)
        yield
        self.silent.close()
        self.receiver.close()
        self.refuser.close()

    def settings(self, secret: str, timeout: float = 5.0) -> Any:
        return WebhookNotify.parse({"type": "webhook", "url": f"{self.receiver.url}/T0/{secret}",
                                    "timeout": timeout})

    def refusing_settings(self, secret: str) -> Any:
        return WebhookNotify.parse({"type": "webhook", "url": f"{self.refuser.url}/{secret}"})

    def unreachable_settings(self, secret: str, timeout: float) -> Any:
        port = self.silent.getsockname()[1]
        return WebhookNotify.parse({"type": "webhook", "timeout": timeout,
                                    "url": f"http://127.0.0.1:{port}/hook/{secret}"})

    def delivered(self) -> list[dict[str, Any]]:
        return [r["body"] for r in self.receiver.received]
