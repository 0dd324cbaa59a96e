"""Which notify channel types exist: registry key = module name = the inventory's `type:` value.

`type: email` lives in `failover/notify/email.py`, which holds both its settings model
(`EmailNotify`) and its channel (`EmailNotifier`). This module names them and imports nothing of
them: the inventory loader (model/types.py `Plugin`) reads `PLUGINS` to find the one settings
model an entry names, and only a round that sends something imports a channel's module.
Adding a channel: write `failover/notify/<type>.py` (settings model whose `type` is
`Literal["<type>"]`, and a Notifier subclass, see notify/base.py) and add one line here.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from failover.notify.base import Notifier

# type -> (settings model, channel class), in the order messages list them
CHANNELS: dict[str, tuple[str, str]] = {
    "webhook": ("WebhookNotify", "WebhookNotifier"),
    "email": ("EmailNotify", "EmailNotifier"),
    "apprise": ("AppriseNotify", "AppriseNotifier"),
}

# What model/types.py `Plugin` reads: name -> "module:SettingsModel".
PLUGINS: dict[str, str] = {name: f"failover.notify.{name}:{model}"
                           for name, (model, _) in CHANNELS.items()}

# name -> "module:Notifier subclass" (notify/__init__.py notifier_for)
NOTIFIERS: dict[str, str] = {name: f"failover.notify.{name}:{channel}"
                             for name, (_, channel) in CHANNELS.items()}


def notifier_for(settings: Any) -> Notifier:
    """The Notifier for one `notify:` entry (its `type` picks the back-end)."""
    module, _, name = NOTIFIERS[settings.type].partition(":")
    cls: type[Notifier] = getattr(importlib.import_module(module), name)
    return cls(settings)
