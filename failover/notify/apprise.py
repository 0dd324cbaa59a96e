"""Apprise: one library, about a hundred services (Telegram, Teams, PagerDuty, ntfy, Discord,
Pushover, Matrix, ...), each named by an Apprise URL (`tgram://token/chat`, `ntfys://topic`).

Implementation notes: an optional extra (`pip install 'failover[apprise]'`), imported only when a
message is sent. Each URL is sent on its own (`Apprise.notify` answers one bool for all of them,
so one URL per call is what tells which one failed); a URL Apprise cannot read is a ProviderError
when sending (the inventory's check only sees that it is SCHEME://...). URLs carry tokens,
so messages name a URL by its scheme only (`apprise tgram://...`). Apprise's own per-URL time
limits apply; ours are set on http-based services through the `cto`/`rto` URL arguments
(connect and read timeout) unless the URL sets them. Apprise logs through Python logging; its
records can hold a URL, so its logger is kept at ERROR unless -v -v.
"""

from __future__ import annotations

import contextlib
import logging
import threading
import warnings
from typing import Annotated, Any, Literal
from urllib.parse import urlsplit

from failover.errors import ProviderError
from failover.model.inventory import NotifyBase
from failover.model.types import Meta, Secret
from failover.notify.base import Notice, Notifier

log = logging.getLogger(__name__)

INSTALL = "apprise is not installed: pip install 'failover[apprise]'"


def _scheme(url: str) -> str:
    return f"{urlsplit(url).scheme or '?'}://..."


class AppriseNotify(NotifyBase):
    """Send through Apprise URLs (Telegram, Teams, PagerDuty, ntfy, ~100 services); the extra
    `pip install 'failover[apprise]'`. Each URL holds a token: write ${VAR}."""

    type: Literal["apprise"]
    urls: Annotated[list[Secret], Meta(
        min_length=1, description="Apprise URLs, e.g. ${TELEGRAM_URL} = tgram://TOKEN/CHAT")]

    def __post_init__(self) -> None:
        for n, url in enumerate(self.urls):
            if "://" not in url.get_secret_value():
                raise ValueError(f"urls[{n}] is not an Apprise URL (SCHEME://..., e.g. "
                                 "tgram://TOKEN/CHAT_ID, ntfys://TOPIC, json://host/path)")

    def endpoints(self) -> list[str]:
        return [u.get_secret_value() for u in self.urls]


class AppriseNotifier(Notifier):
    """`{type: apprise, urls: [${NTFY_URL}]}`: the notice to every URL (all must take it)."""

    @property
    def where(self) -> str:
        schemes = sorted({_scheme(u.get_secret_value()) for u in self.settings.urls})
        return f"apprise {', '.join(schemes)}"

    def _deliver(self, notice: Notice) -> None:
        apprise = _load()
        if not log.isEnabledFor(logging.DEBUG):
            logging.getLogger("apprise").setLevel(logging.ERROR)
        failed = []
        for url in self.settings.urls:
            value = url.get_secret_value()
            sender = apprise.Apprise()
            if not sender.add(_with_timeouts(value, self.timeout)):
                failed.append(f"{_scheme(value)} is not an Apprise URL")
                continue
            if not sender.notify(body=notice.body(), title=notice.subject()):
                failed.append(f"{_scheme(value)} not delivered")
        if failed:
            raise ProviderError(f"apprise: {'; '.join(failed)}")
        log.info("apprise sent: urls=%d", len(self.settings.urls))


_loading = threading.Lock()


def _load() -> Any:
    """The apprise module, imported once (under a lock: warnings filters are process-wide, and
    several channels send at once). Its plug-ins import `imghdr`, deprecated since Python 3.11:
    that warning is apprise's to fix, not a user's to read on every page."""
    with _loading:
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", DeprecationWarning)
                import apprise

                with contextlib.suppress(ImportError):  # what the plug-ins load later on
                    import apprise.utils.pgp
        except ImportError:
            raise ProviderError(f"apprise: {INSTALL}") from None
    return apprise


def _with_timeouts(url: str, timeout: float) -> str:
    """`url` with Apprise's connect/read timeouts (`cto`, `rto`) set to ours unless it sets them."""
    query = urlsplit(url).query
    given = {part.partition("=")[0] for part in query.split("&") if part}
    extra = [f"{key}={timeout:g}" for key in ("cto", "rto") if key not in given]
    if not extra:
        return url
    return url + ("&" if query else ("" if url.endswith("?") else "?")) + "&".join(extra)
