"""notify/dispatch.py against a real HTTP receiver on loopback: a channel is retried with backoff
within its deadline; what it never took is owed (outbox.json, audit `notify_owed`) and a later
round delivers it once; subscriptions pick the channels; an owed message whose channel left the
inventory, or that is too old, is dropped with an audit line."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest

from failover.notify import dispatch, outbox
from failover.notify.base import Notice
from failover.notify.dispatch import Dispatcher
from failover.notify.webhook import WebhookNotify
from failover.state.audit import AuditLog
from tests.site import WebhookReceiver


@pytest.fixture
def hook() -> Iterator[WebhookReceiver]:
    receiver = WebhookReceiver()
    yield receiver
    receiver.close()


@pytest.fixture(autouse=True)
def _quick_backoff(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(dispatch, "BACKOFF_FIRST", 0.05)  # the schedule, not the behaviour


def site(tmp_path: Path, *channels: dict[str, Any], service: str | None = None) -> Any:
    """What a Dispatcher reads of an inventory: its channels, its state folder, and the service
    it covers (model/services.py view; None without `services:`)."""
    return SimpleNamespace(notify=[WebhookNotify.parse({"type": "webhook", **c})
                                   for c in channels], state_dir=tmp_path, service=service)


def events(audit: AuditLog, name: str) -> list[dict[str, Any]]:
    return [e for e in audit.read() if e["event"] == name]


def test_owed_after_the_deadline_then_delivered_once_by_a_later_round(
        tmp_path: Path, hook: WebhookReceiver) -> None:
    inv = site(tmp_path, {"url": hook.url, "deadline": "1s", "timeout": "1s"})
    audit = AuditLog(tmp_path, via="script")
    hook.status = 503
    notices = Dispatcher(inv, audit)
    notices.post(Notice("shop.test: failover done", "shop.test", "failover_done", "r1:done"))
    [line] = notices.settle()
    tries = len(hook.received)
    assert tries >= 3  # retried with backoff until the deadline
    assert line.startswith(f"WARNING: failover_done message not delivered to notify[0] "
                           f"(webhook {hook.url.rsplit('/', 1)[0]}/...) after {tries} attempt(s)")
    [owed] = events(audit, "notify_owed")
    assert (owed["level"], owed["id"], owed["attempts"]) == ("warning", "r1:done", tries)
    assert [e.notice.id for e in outbox.read(tmp_path)] == ["r1:done"]

    hook.status = 200
    later = Dispatcher(inv, audit)
    assert later.owed() == 1
    [line] = later.settle()
    assert line.startswith("notify: owed failover_done message delivered to notify[0]")
    assert [r["body"]["id"] for r in hook.received[tries:]] == ["r1:done"]
    assert hook.received[-1]["body"]["who"].endswith(" (script)")
    assert outbox.read(tmp_path) == []
    assert Dispatcher(inv, audit).owed() == 0  # delivered once: nothing is sent again


def test_a_services_messages_name_it_and_an_owed_one_keeps_its_service(
        tmp_path: Path, hook: WebhookReceiver) -> None:
    audit = AuditLog(tmp_path, via="script")
    hook.status = 503
    mail = Dispatcher(site(tmp_path, {"url": hook.url, "deadline": "0s"}, service="mail"), audit)
    mail.post(Notice("shop.test mail: host primary is DOWN", "shop.test", "host_down", "m1"))
    mail.settle()
    assert hook.received[-1]["body"]["service"] == "mail"
    [owed] = outbox.summary(tmp_path, time.time())
    assert (owed["event"], owed["channel"], owed["service"]) == ("host_down", "notify[0]", "mail")

    hook.status = 200
    tried = len(hook.received)
    web = Dispatcher(site(tmp_path, {"url": hook.url}, service="web"), audit)  # the next round
    assert web.owed() == 1
    web.post(Notice("shop.test web: host primary is DOWN", "shop.test", "host_down", "w1"))
    web.settle()
    got = {r["body"]["id"]: r["body"].get("service") for r in hook.received[tried:]}
    assert got == {"m1": "mail", "w1": "web"}  # sent by web's round, still about mail
    one = Dispatcher(site(tmp_path, {"url": hook.url}), None)  # no `services:`: no field
    one.post(Notice("shop.test: host primary is DOWN", "shop.test", "host_down"))
    assert one.settle() == []
    assert "service" not in hook.received[-1]["body"]


def test_only_the_channels_subscribed_to_an_event_hear_it(
        tmp_path: Path, hook: WebhookReceiver) -> None:
    inv = site(tmp_path, {"url": f"{hook.url}/all"},
               {"url": f"{hook.url}/done-only", "events": ["failover_done"]})
    notices = Dispatcher(inv, None)
    notices.post(Notice("down", "shop.test", "host_down"))
    notices.post(Notice("done", "shop.test", "failover_done"))
    assert notices.settle() == []
    got = sorted((r["path"], r["body"]["event"]) for r in hook.received)
    assert got == [("/hook/all", "failover_done"), ("/hook/all", "host_down"),
                   ("/hook/done-only", "failover_done")]


def test_an_owed_message_is_dropped_when_its_channel_is_gone_or_it_is_too_old(
        tmp_path: Path, hook: WebhookReceiver) -> None:
    audit = AuditLog(tmp_path, via="script")
    gone = site(tmp_path, {"url": "http://127.0.0.1:9/gone", "deadline": "0s"})
    notices = Dispatcher(gone, audit)
    notices.post(Notice("one", "shop.test", "failover_done", "a"))
    notices.settle()
    with outbox.editing(tmp_path) as entries:  # and one owed for longer than a day
        entries.append(outbox.Owed(notice=Notice("two", "shop.test", "host_down", "b"),
                                   channel=0, where="webhook http://127.0.0.1:9/...",
                                   owed_at=time.time() - outbox.OWED_FOR - 60, error="x"))
    now = Dispatcher(site(tmp_path, {"url": hook.url}), audit)
    assert now.owed() == 0
    lines = now.settle()
    assert sorted(lines) == [
        "WARNING: owed failover_done message to notify[0] (webhook http://127.0.0.1:9/...) "
        "dropped: its channel is no longer in the inventory",
        "WARNING: owed host_down message to notify[0] (webhook http://127.0.0.1:9/...) "
        "dropped: owed for longer than 24h"]
    assert sorted(e["why"] for e in events(audit, "notify_dropped")) == [
        "its channel is no longer in the inventory", "owed for longer than 24h"]
    assert outbox.read(tmp_path) == []
    assert hook.received == []
