"""Notifications to people: the inventory's `notify:` channels.

The Notifier contract is notify/base.py; notify/registry.py maps each `type:` value to the module
of the same name, imported only when a notice is sent (a healthy round imports none of them).
notify/dispatch.py sends (every channel at once, retried within a deadline, the undelivered
owed to the next round: notify/outbox.py); notify/events.py words the events a run or round
tells people about.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from failover.notify.registry import NOTIFIERS, notifier_for

if TYPE_CHECKING:
    from failover.model.inventory import Inventory
    from failover.state.audit import AuditLog

__all__ = ["NOTIFIERS", "notifier_for", "send_all"]


def send_all(inventory: Inventory, message: str, *, event: str = "notify",
             notice_id: str = "", audit: AuditLog | None = None, retry: bool = True,
             owe: bool = True) -> list[str]:
    """Send `message` to every channel subscribed to `event` and wait for the outcome; returns
    one line per channel that did not take it (never raises).

    A notification that cannot be delivered must never undo a failover, so failures are reported,
    not raised. Channels are tried at once, each retried with backoff within its `deadline`
    (`retry=False`: one attempt); with `owe`, what is still undelivered is owed to the next
    round (notify/dispatch.py).
    """
    from failover.notify.base import Notice
    from failover.notify.dispatch import Dispatcher

    notices = Dispatcher(inventory, audit, retry=retry, owe=owe)
    deliveries = notices.post(Notice(message, inventory.site, event, notice_id))
    notices.settle()
    return [d.error for d in deliveries if not d.ok]  # each names its channel


def channels_for(inventory: Inventory, event: str) -> int:
    """How many channels hear `event` (`events:` subscriptions)."""
    from failover.notify.dispatch import subscribed

    return sum(1 for settings in inventory.notify if subscribed(settings, event))
