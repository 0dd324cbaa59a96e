"""The Notifier contract: one channel that tells people what happened (webhook, email, apprise).
Each `notify:` entry of the inventory becomes one Notifier, through the registry in
notify/registry.py (key = module name = the entry's `type:`). Retries, the deadline and the
messages owed to the next round are not a channel's business: notify/dispatch.py does them once
for every channel.

Patroni's AbstractDCS and octoDNS's providers are the model: the contract is in the docstrings, and
the safety lives in the base class (`send`), so a back-end writes only `_deliver`.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from typing import Any, ClassVar

import msgspec

from failover.errors import ProviderError
from failover.redact import redact


class Notice(msgspec.Struct, frozen=True):
    """What people are told: the text, the site, and the event it is about (`notify` for a
    playbook's notify step, `auto_failover_blocked` for a page, `run_interrupted`, ... the list
    is model/inventory.py NotifyEvent)."""

    text: str
    site: str
    event: str = "notify"
    # the same for a message sent again (by a resumed run, or owed and sent by a later round):
    # a receiver that keeps the ids it saw can drop the repeat; "" for a message never repeated
    id: str = ""
    who: str = ""  # who started the run or round: `deploy@checker1 (cron)` (failover/who.py)
    # the service it is about, with `services:` in the inventory (`mail`); "" without: a
    # receiver tells services apart by this field, not by the text (notify/dispatch.py sets it)
    service: str = ""
    lines: tuple[str, ...] = ()  # details: a run's timeline, one line per step (email shows it)

    def to_json(self) -> dict[str, str]:
        body = {"text": self.text, "site": self.site, "event": self.event}
        if self.id:
            body["id"] = self.id
        if self.who:
            body["who"] = self.who
        if self.service:
            body["service"] = self.service
        return body

    def subject(self) -> str:
        """A one-line title (an email's subject, an apprise title): `[shop.test] host down`,
        `[shop.test mail] host down` for a service."""
        about = f"{self.site} {self.service}" if self.service else self.site
        return f"[{about}] {self.event.replace('_', ' ')}"

    def body(self) -> str:
        """The plain-text message: the text, the details, the service, who started it."""
        parts = [self.text]
        if self.lines:
            parts += ["", *self.lines]
        footer = [f"service: {self.service}"] if self.service else []
        footer += [f"started by {self.who}"] if self.who else []
        if footer:
            parts += ["", *footer]
        return "\n".join(parts)


class Notifier(ABC):
    """One channel, built from its inventory settings (`settings.type` names the back-end).

    Contract:
    - `send(notice)` delivers one notice once, or raises ProviderError; it never retries itself
      (notify/dispatch.py retries with backoff, then owes the message to the next round) and
      never raises anything else for a delivery failure. A notice is not a transaction: a
      channel that fails half-way (some mail recipients took it) raises, and the caller reports
      it; sending again may deliver twice.
    - It returns within about `timeout` seconds (the settings' `timeout`, else TIMEOUT): a
      notification must never hold up a failover.
    - Secrets never reach the message: the notice's text goes out redacted (failover.redact), and
      an error names the channel by `where`, which holds no secret (no URL path, token or
      password); the error text is redacted again on its way out.
    - Back-ends import their client library lazily (inside `_deliver`), so a round that sends
      nothing does not pay for it; an optional library is an extra, and a missing one raises
      ProviderError saying how to install it.
    """

    TIMEOUT: ClassVar[float] = 10.0

    def __init__(self, settings: Any) -> None:
        self.settings = settings
        self.timeout = float(getattr(settings, "timeout", self.TIMEOUT))

    @property
    @abstractmethod
    def where(self) -> str:
        """The channel in words safe to print and log (`webhook https://hooks.example/...`)."""

    @abstractmethod
    def _deliver(self, notice: Notice) -> None:
        """Deliver `notice` (its text already redacted) within `self.timeout`; raise
        ProviderError (naming `self.where`, never a secret) when the channel did not take it."""

    def send(self, notice: Notice) -> None:
        """Deliver `notice` once; raise ProviderError if the channel did not take it."""
        safe = msgspec.structs.replace(notice, text=redact(notice.text),
                                       lines=tuple(redact(line) for line in notice.lines))
        try:
            self._deliver(safe)
        except ProviderError as e:
            raise ProviderError(redact(str(e))) from None
        except OSError as e:  # a back-end's socket error that it did not put in words itself
            raise ProviderError(redact(f"{self.where}: {e.strerror or e}")) from None
