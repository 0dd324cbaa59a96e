"""Notifications to people: the inventory's `notify:` channels."""

from __future__ import annotations

import logging

from failover.errors import ProviderError
from failover.model.inventory import Inventory

log = logging.getLogger(__name__)


def send_all(inventory: Inventory, message: str, *, event: str = "notify") -> list[str]:
    """Send `message` to every channel; returns one line per channel that failed (never raises).

    A notification that cannot be delivered must never undo a failover, so failures are reported,
    not raised.
    """
    from failover.notify.webhook import post_json

    failures: list[str] = []
    for n in inventory.notify:
        payload = {"text": message, "site": inventory.site, "event": event}
        try:
            post_json(n.url.get_secret_value(), payload, timeout=n.timeout)
        except ProviderError as e:
            failures.append(f"{n.type}: {e}")
            log.warning("notify failed: channel=%s error=%s", n.type, e)
    return failures
