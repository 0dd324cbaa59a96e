"""POST JSON to a webhook (Slack, Mattermost, Teams, a paging service's inbound hook).

Implementation notes: with `format: json` (the default) the body is the notice as JSON
(`{"text", "site", "event", "id", "who"}`, and `"service"` with `services:`). With
`format: slack` it is `{"text": ...}` only, in Slack's mrkdwn (a bold title line, naming the
service, the message, the run's steps, who started it): the body that Slack's and Mattermost's
incoming webhooks show as a message (Slack answers 400 `invalid_payload` to bodies it cannot
read; both ignore keys they do not know, but a strict proxy may not, so the slack body holds
nothing else). URLs carry their token in the path or query, so messages name
only the scheme and host (`redact_url`). One attempt per send, within the channel's `timeout`
(requests' connect and read timeouts). `post_json` is also what a playbook's `webhook:` step uses.
"""

from __future__ import annotations

import logging
from typing import Annotated, Any, Literal
from urllib.parse import urlsplit

from failover.errors import ProviderError
from failover.model.inventory import NotifyBase
from failover.model.types import Meta, Secret
from failover.notify.base import Notice, Notifier

log = logging.getLogger(__name__)


class WebhookNotify(NotifyBase):
    """POST the message as JSON to a chat or paging webhook. `format: json`: {"text", "site",
    "event", "id", "who"}, and "service" (`mail`) with `services:` (the id is the same when the
    message is sent again: a resumed run, a message owed and sent by a later round).
    `format: slack`: {"text"} in Slack's mrkdwn, for Slack's and Mattermost's incoming
    webhooks."""

    type: Literal["webhook"]
    url: Annotated[Secret, Meta(description="write ${CHAT_WEBHOOK}: its path is a secret")]
    format: Annotated[Literal["json", "slack"], Meta(
        description="json: the notice's fields; slack: one `text` for Slack/Mattermost")] = "json"

    def endpoints(self) -> list[str]:
        return [self.url.get_secret_value()]


def redact_url(url: str) -> str:
    """`https://hooks.example/T0/B1/secret` -> `https://hooks.example/...`."""
    parts = urlsplit(url)
    host = parts.hostname or "?"
    port = f":{parts.port}" if parts.port else ""
    return f"{parts.scheme}://{host}{port}/..."


def post_json(url: str, body: Any, *, timeout: float, method: str = "POST",
              headers: dict[str, str] | None = None) -> int:
    """Send `body` as JSON (with `headers`, e.g. a token); returns the status. Any non-2xx
    answer or transport error raises."""
    import requests

    where = redact_url(url)
    try:
        resp = requests.request(method, url, json=body, timeout=timeout, headers=headers)
    except requests.RequestException as e:
        raise ProviderError(f"webhook {where}: {type(e).__name__}: no answer") from None
    if not 200 <= resp.status_code < 300:
        raise ProviderError(f"webhook {where}: answered {resp.status_code}")
    log.info("webhook sent: url=%s status=%s", where, resp.status_code)
    return resp.status_code


def _escape(text: str) -> str:
    """&, < and > are Slack's control characters in text (links, mentions)."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def slack_text(notice: Notice) -> str:
    """The notice in Slack's mrkdwn (Mattermost reads the same): title, text, steps, who."""
    lines = [f"*{_escape(notice.subject())}*", _escape(notice.text)]
    lines += [f"> {_escape(line)}" for line in notice.lines]
    if notice.who:
        lines.append(f"_started by {_escape(notice.who)}_")
    return "\n".join(lines)


class WebhookNotifier(Notifier):
    """`{type: webhook, url: ${CHAT_WEBHOOK}, format: slack}`: one POST of the notice."""

    @property
    def where(self) -> str:
        return f"webhook {redact_url(self.settings.url.get_secret_value())}"

    def _deliver(self, notice: Notice) -> None:
        body = ({"text": slack_text(notice)} if self.settings.format == "slack"
                else notice.to_json())
        post_json(self.settings.url.get_secret_value(), body, timeout=self.timeout)
