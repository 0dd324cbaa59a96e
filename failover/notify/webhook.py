"""POST JSON to a webhook. URLs often carry a token, so messages name only scheme and host."""

from __future__ import annotations

import logging
from typing import Any
from urllib.parse import urlsplit

from failover.errors import ProviderError

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
