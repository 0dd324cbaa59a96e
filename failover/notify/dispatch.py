"""Sending notices without ever holding up a run: every channel at once, each in its own thread,
retried with backoff within the channel's `deadline`; what is still undelivered is owed
(notify/outbox.py) and sent by the next `check` round.

    notices = Dispatcher(inventory, audit)
    notices.post(notice)            # returns at once; the channels subscribed to its event try
    ...                             # the run goes on (a DNS flip does not wait for a chat server)
    lines = notices.settle()        # at the run's end: waits for the deliveries still trying
                                    # (never past their deadlines), owes the undelivered ones,
                                    # and says so in WARNING lines (and in the audit log)

`owed()` starts sending what earlier runs still owe (one attempt each, as a round does) and
`settle()` then removes what was delivered from the outbox. Channels subscribe to events with
`events:`; no list means every event. Threads are daemons: a process killed mid-way owes nothing
it had not settled (the audit log has what the run did; a resumed run sends again, same id).
"""

from __future__ import annotations

import logging
import threading
import time
import uuid
from typing import TYPE_CHECKING, Any

import msgspec

from failover.errors import ProviderError
from failover.notify.base import Notice
from failover.notify.registry import notifier_for
from failover.redact import redact

if TYPE_CHECKING:
    from failover.model.inventory import Inventory
    from failover.notify.outbox import Owed
    from failover.state.audit import AuditLog

log = logging.getLogger(__name__)

BACKOFF_FIRST = 1.0  # seconds before the second attempt; doubled each time up to BACKOFF_MAX
BACKOFF_MAX = 30.0


def subscribed(settings: Any, event: str) -> bool:
    return not settings.events or event in settings.events


class Delivery:
    """One notice to one channel, in a thread: attempts until one succeeds or the deadline."""

    def __init__(self, notice: Notice, channel: int, settings: Any, *, retry: bool,
                 owed: Owed | None = None) -> None:
        self.notice, self.channel, self.owed = notice, channel, owed
        self.notifier = notifier_for(settings)
        self.where = self.notifier.where
        self.name = f"notify[{channel}] ({self.where})"  # two webhooks may share a host
        self.ok = False
        self.error = ""
        self.attempts = 0
        self.timeout = self.notifier.timeout
        self.deadline = time.monotonic() + (float(settings.deadline) if retry else 0.0)
        self.first = threading.Event()  # set after the first attempt
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self._run, daemon=True,
                                       name=f"notify-{notice.event}-{channel}")

    def _run(self) -> None:
        delay = BACKOFF_FIRST
        try:
            while True:
                self.attempts += 1
                try:
                    self.notifier.send(self.notice)
                    self.ok, self.error = True, ""
                    return
                except ProviderError as e:
                    self.error = str(e)
                except Exception as e:  # noqa: BLE001 (a back-end's bug must not end the run)
                    self.error = redact(f"{self.where}: {type(e).__name__}: {e}")
                log.info("notify attempt failed: channel=%s event=%s attempt=%d error=%s",
                            self.where, self.notice.event, self.attempts, self.error)
                self.first.set()
                left = self.deadline - time.monotonic()
                if left <= 0 or self.stop.wait(min(delay, left)):
                    return
                delay = min(delay * 2, BACKOFF_MAX)
        finally:
            self.first.set()

    def join(self) -> None:
        """Wait until it ended: no later than its deadline plus one attempt's time."""
        self.thread.join(max(0.0, self.deadline - time.monotonic()) + 3 * self.timeout + 1)
        self.stop.set()


class Dispatcher:
    """The notices of one run or round. `retry=False`: one attempt per channel (a page, which
    engine/guard.py repeats itself); `owe=False`: nothing goes to the outbox."""

    def __init__(self, inventory: Inventory, audit: AuditLog | None, *, retry: bool = True,
                 owe: bool = True) -> None:
        self.inventory, self.audit = inventory, audit
        self.retry, self.owe = retry, owe
        self.deliveries: list[Delivery] = []
        self._drop: dict[str, str] = {}  # owed entries to drop -> why

    def post(self, notice: Notice) -> list[Delivery]:
        """Start sending `notice` to every channel subscribed to its event; returns at once.
        The notice gets who started the run (the audit's) and, with `services:`, the service
        this dispatcher's inventory covers, unless it has them."""
        if not notice.who and self.audit is not None:
            notice = msgspec.structs.replace(notice, who=self.audit.started_by)
        if not notice.service and self.inventory.service:  # every notice names its service
            notice = msgspec.structs.replace(notice, service=self.inventory.service)
        if self.owe and not notice.id:  # an owed message needs an id to be sent once
            notice = msgspec.structs.replace(notice, id=f"{notice.event}:{uuid.uuid4().hex[:12]}")
        started = []
        for channel, settings in enumerate(self.inventory.notify):
            if subscribed(settings, notice.event):
                started.append(self._start(Delivery(notice, channel, settings,
                                                    retry=self.retry)))
        return started

    def owed(self) -> int:
        """Start one more attempt for every notice owed by earlier runs; returns how many."""
        from failover.notify import outbox

        count = 0
        now = time.time()
        for entry in outbox.read(self.inventory.state_dir):
            settings = self._channel(entry)
            if now - entry.owed_at > outbox.OWED_FOR:
                self._drop[entry.key] = f"owed for longer than {outbox.OWED_FOR / 3600:g}h"
            elif settings is None:
                self._drop[entry.key] = "its channel is no longer in the inventory"
            else:
                self._start(Delivery(entry.notice, entry.channel, settings, retry=False,
                                     owed=entry))
                count += 1
        return count

    def wait_first(self, deliveries: list[Delivery]) -> None:
        """Wait until each delivery made its first attempt (a notify step reports on it)."""
        for d in deliveries:
            d.first.wait(3 * d.timeout + 1)

    def hurry(self) -> None:
        """No more retries: each delivery ends with the attempt it is making (Ctrl-C)."""
        for d in self.deliveries:
            d.stop.set()

    def settle(self) -> list[str]:
        """Wait for every delivery (within its deadline); owe the undelivered ones and clear
        the delivered owed ones in the outbox; audit both. Returns lines for the output: one
        WARNING line per notice not delivered, one line per owed notice delivered now."""
        deliveries, self.deliveries = self.deliveries, []
        for d in deliveries:
            d.join()
        return self._tidy_outbox(deliveries)

    # -- inside ------------------------------------------------------------------------------
    def _start(self, delivery: Delivery) -> Delivery:
        self.deliveries.append(delivery)
        delivery.thread.start()
        return delivery

    def _channel(self, entry: Owed) -> Any:
        """The inventory's channel an owed entry was for (its index, if `where` still matches;
        else the first channel with that `where`), or None."""
        channels = self.inventory.notify
        if entry.channel < len(channels) and \
                notifier_for(channels[entry.channel]).where == entry.where:
            return channels[entry.channel]
        for settings in channels:  # the inventory changed: the same channel, moved
            if notifier_for(settings).where == entry.where:
                return settings
        return None

    def _tidy_outbox(self, deliveries: list[Delivery]) -> list[str]:
        from failover.notify import outbox

        lines: list[str] = []
        now = time.time()
        new = [d for d in deliveries if d.owed is None and not d.ok]
        done = {d.owed.key for d in deliveries if d.owed is not None and d.ok}
        tried = {d.owed.key: d for d in deliveries if d.owed is not None and not d.ok}
        for d in deliveries:
            if d.ok and d.owed is not None:
                ago = max(0.0, now - d.owed.owed_at)
                lines.append(f"notify: owed {d.notice.event} message delivered to {d.name} "
                             f"(owed for {ago:.0f}s)")
                self._audit("notify_delivered", d, owed_at=d.owed.owed_at)
        for d in new:
            log.warning("notify failed: channel=%s event=%s attempts=%d owed=%s error=%s",
                        d.name, d.notice.event, d.attempts, self.owe, d.error)
            lines.append(f"WARNING: {d.notice.event} message not delivered to {d.name} after "
                         f"{d.attempts} attempt(s): {d.error}"
                         + ("; owed: the next check round sends it" if self.owe else ""))
            self._audit("notify_owed" if self.owe else "notify_failed", d)
        drop, self._drop = self._drop, {}
        if not ((new and self.owe) or done or tried or drop):
            return lines
        with outbox.editing(self.inventory.state_dir) as entries:
            kept = []
            for entry in entries:
                if entry.key in done:
                    continue
                if entry.key in drop:
                    lines.append(f"WARNING: owed {entry.notice.event} message to "
                                 f"notify[{entry.channel}] ({entry.where}) dropped: "
                                 f"{drop[entry.key]}")
                    if self.audit is not None:
                        self.audit.write("notify_dropped", level="warning", id=entry.notice.id,
                                         about=entry.notice.event, channel=entry.where,
                                         why=drop[entry.key])
                    continue
                if entry.key in tried:
                    d = tried[entry.key]
                    entry.attempts += d.attempts
                    entry.error = d.error
                    lines.append(f"WARNING: owed {d.notice.event} message still not delivered "
                                 f"to {d.name}: {d.error}; the next round tries again")
                kept.append(entry)
            if self.owe:
                from failover.notify.outbox import Owed

                kept += [Owed(notice=redacted(d.notice), channel=d.channel, where=d.where,
                              owed_at=now, error=d.error, attempts=d.attempts) for d in new]
            entries[:] = kept
        return lines

    def _audit(self, event: str, d: Delivery, **fields: Any) -> None:
        if self.audit is not None:
            level = {"level": "warning"} if event != "notify_delivered" else {}
            self.audit.write(event, **level, id=d.notice.id, about=d.notice.event,
                             channel=d.where, index=d.channel, attempts=d.attempts,
                             error=d.error or None,
                             **fields)


def redacted(notice: Notice) -> Notice:
    """`notice` as a channel got it: secrets masked (it goes to a file)."""
    return msgspec.structs.replace(notice, text=redact(notice.text),
                                   lines=tuple(redact(line) for line in notice.lines))
