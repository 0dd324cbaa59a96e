"""Notifications to people: the inventory's `notify:` channels.

The Notifier contract is notify/base.py; the registry below maps each `type:` value to the module
of the same name, imported only when a notice is sent (a healthy round imports none of them).
"""

from __future__ import annotations

import importlib
import logging
from typing import TYPE_CHECKING, Any

from failover.errors import ProviderError

if TYPE_CHECKING:
    from failover.model.inventory import Inventory
    from failover.notify.base import Notifier

log = logging.getLogger(__name__)

# inventory `type:` -> "module:class"; the module's name is the type's
NOTIFIERS = {"webhook": "failover.notify.webhook:WebhookNotifier"}


def notifier_for(settings: Any) -> Notifier:
    """The Notifier for one `notify:` entry (its `type` picks the back-end)."""
    module, _, name = NOTIFIERS[settings.type].partition(":")
    cls: type[Notifier] = getattr(importlib.import_module(module), name)
    return cls(settings)


def send_all(inventory: Inventory, message: str, *, event: str = "notify",
             notice_id: str = "") -> list[str]:
    """Send `message` to every channel; returns one line per channel that failed (never raises).

    A notification that cannot be delivered must never undo a failover, so failures are reported,
    not raised. Channels are tried one after the other, each within its own timeout.
    """
    from failover.notify.base import Notice

    notice = Notice(message, inventory.site, event, notice_id)
    failures: list[str] = []
    for settings in inventory.notify:
        try:
            notifier_for(settings).send(notice)
        except ProviderError as e:
            failures.append(f"{settings.type}: {e}")
            log.warning("notify failed: channel=%s error=%s", settings.type, e)
    return failures
