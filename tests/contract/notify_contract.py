"""The Notifier contract (failover/notify/base.py), written once; each back-end binds it to a live
receiver (tests/contract/test_notifiers.py), as the DNS contract does for providers.

A binding sets TYPE and gives `settings(secret, timeout)` for a channel that delivers, whose
configuration holds `secret` (a token or password), `refusing_settings(secret)` for one whose
server refuses, `unreachable_settings(secret, timeout)` for one whose server never answers, and
`delivered()`: the notices the receiver got, as {"text", "site", "event"} dicts, and "service"
when the notice named one.
"""

from __future__ import annotations

import secrets
from typing import Any

import pytest

from failover.errors import ProviderError
from failover.notify import NOTIFIERS, notifier_for
from failover.notify.base import Notice, Notifier
from failover.redact import register


class NotifierContract:
    TYPE = ""

    def settings(self, secret: str, timeout: float = 5.0) -> Any:
        raise NotImplementedError

    def refusing_settings(self, secret: str) -> Any:
        raise NotImplementedError

    def unreachable_settings(self, secret: str, timeout: float) -> Any:
        raise NotImplementedError

    def delivered(self) -> list[dict[str, Any]]:
        raise NotImplementedError

    @pytest.fixture
    def secret(self) -> str:
        value = secrets.token_hex(12)
        register(value)  # as register_inventory does for the inventory's secret-typed values
        return value

    def test_the_registry_names_the_module_of_the_same_name(self) -> None:
        assert NOTIFIERS[self.TYPE].startswith(f"failover.notify.{self.TYPE}:")

    def test_delivers_the_notice_once(self, secret: str) -> None:
        notifier = notifier_for(self.settings(secret))
        assert isinstance(notifier, Notifier)
        notifier.send(Notice("shop.test moved from primary to standby", "shop.test", "notify"))
        assert self.delivered() == [{"text": "shop.test moved from primary to standby",
                                     "site": "shop.test", "event": "notify"}]

    def test_a_notice_about_a_service_names_it_apart_from_its_text(self, secret: str) -> None:
        notifier_for(self.settings(secret)).send(Notice(
            "shop.test mail: host primary is DOWN", "shop.test", "host_down", service="mail"))
        [got] = self.delivered()
        assert (got["site"], got["event"], got.get("service")) == ("shop.test", "host_down",
                                                                   "mail")
        assert got["text"].startswith("shop.test mail: host primary is DOWN")

    def test_a_secret_in_the_text_goes_out_masked(self, secret: str) -> None:
        notifier_for(self.settings(secret)).send(Notice(f"token {secret} leaked", "shop.test"))
        [got] = self.delivered()
        assert secret not in str(got)
        assert got["text"] == "token *** leaked"

    def test_a_refusal_raises_provider_error_naming_the_channel_not_its_secret(
            self, secret: str) -> None:
        notifier = notifier_for(self.refusing_settings(secret))
        with pytest.raises(ProviderError) as caught:
            notifier.send(Notice("hello", "shop.test"))
        assert secret not in str(caught.value)
        assert self.TYPE in str(caught.value)
        assert secret not in notifier.where

    @pytest.mark.timeout(60)  # a hang guard, not a figure: a channel that waits forever fails
    def test_an_unreachable_channel_gives_up_on_its_own(self, secret: str) -> None:
        notifier = notifier_for(self.unreachable_settings(secret, timeout=0.5))
        with pytest.raises(ProviderError) as caught:  # the server never answers: it gives up
            notifier.send(Notice("hello", "shop.test"))
        assert secret not in str(caught.value)
