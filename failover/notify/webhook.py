"""POST JSON to a webhook (Slack, Mattermost, Teams, a paging service's inbound hook).

Implementation notes: the body is the notice as JSON (`{"text", "site", "event"}`), which Slack
and Mattermost show as is. URLs carry their token in the path or query, so messages name only the
scheme and host (`redact_url`). One attempt per send, within the channel's `timeout` (requests'
connect and read timeouts). `post_json` is also what a playbook's `webhook:` step uses.
"""

from __future__ import annotations

import logging
from typing import Any
from urllib.parse import urlsplit

from failover.errors import ProviderError
from failover.notify.base import Notice, Notifier

log = logging.getLogger(__name__)


def redact_url(url: str) -> str:
    """`https://hooks.example/T0/B1/secret` -> `https://hooks.example/...`."""
    parts = urlsplit(url)
    host = parts.hostname or "?"
    port = f":{parts.port}" if parts.port else ""
    return f"{parts.scheme}://{host}{port}/..."


def post_json(url: str, body: Any, *, timeout: float, method: str = "POST") -> int:
    """Send `body` as JSON; returns the status. Any non-2xx answer or transport error raises."""
    import requests

    where = redact_url(url)
    try:
        resp = requests.request(method, url, json=body, timeout=timeout)
    except requests.RequestException as e:
        raise ProviderError(f"webhook {where}: {type(e).__name__}: no answer") from None
    if not 200 <= resp.status_code < 300:
        raise ProviderError(f"webhook {where}: answered {resp.status_code}")
    log.info("webhook sent: url=%s status=%s", where, resp.status_code)
    return resp.status_code


class WebhookNotifier(Notifier):
    """`{type: webhook, url: ${CHAT_WEBHOOK}, timeout: 10s}`: one POST of the notice as JSON."""

    @property
    def where(self) -> str:
        return f"webhook {redact_url(self.settings.url.get_secret_value())}"

    def _deliver(self, notice: Notice) -> None:
        post_json(self.settings.url.get_secret_value(), notice.to_json(), timeout=self.timeout)
