"""Mail to people over SMTP (the site's relay, or a mail service's submission port).

Implementation notes: smtplib from the standard library, one connection per message:
EHLO, STARTTLS (certificate chain and host name verified: the system's CAs, or `ca_file` as the
only trust anchor), EHLO again, AUTH LOGIN/PLAIN when `username` is set, one message to every
address in `to`. `tls: ssl` connects with TLS from the start (port 465); `tls: none` sends in
clear and is refused with a password. The login comes from the environment (`${SMTP_USER}`,
`${SMTP_PASSWORD}`): the password is a Secret and never appears in a message; errors name the
server (`email smtp mail.example:587`), never the login. A server that takes some recipients and
refuses others raised (the message reached somebody, but not everybody it should).
The body is plain text: the notice, the run's steps (its timeline), the service (with
`services:`) and who started it.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Literal

import msgspec

from failover.errors import ProviderError
from failover.model.inventory import NotifyBase
from failover.model.types import Meta, Secret
from failover.notify.base import Notice, Notifier

if TYPE_CHECKING:  # imported when a mail is sent, not when an inventory is read
    import smtplib
    from email.message import EmailMessage

log = logging.getLogger(__name__)


def _host_port(value: str) -> tuple[str, int]:
    host, _, port = value.rpartition(":")
    if not host or not port.isdigit() or not 1 <= int(port) <= 65535:
        raise ValueError(f"smtp: {value!r} is not host:port (e.g. smtp.mailer.example:587)")
    return host.strip("[]"), int(port)


class EmailNotify(NotifyBase):
    """Send a plain-text mail (the message, the run's steps, who started it) over SMTP with
    STARTTLS; the login comes from the environment (${SMTP_USER}, ${SMTP_PASSWORD})."""

    type: Literal["email"]
    smtp: Annotated[str, Meta(description="host:port of the mail server, e.g. "
                                          "smtp.mailer.example:587")]
    from_: Annotated[str, Meta(description="the sender address")] = msgspec.field(name="from")
    to: Annotated[list[str], Meta(min_length=1, description="recipient addresses")]
    tls: Annotated[Literal["starttls", "ssl", "none"], Meta(
        description="starttls (port 587/25), ssl (port 465), none (no password allowed)")] = \
        "starttls"
    username: Annotated[str | None, Meta(description="write ${SMTP_USER}; no login without")] = \
        None
    password: Annotated[Secret | None, Meta(description="write ${SMTP_PASSWORD}")] = None
    ca_file: Annotated[Path | None, Meta(
        description="the only CA trusted for the server's certificate; default: the system's")] \
        = None

    def __post_init__(self) -> None:
        _host_port(self.smtp)
        for address in [self.from_, *self.to]:
            if "@" not in address:
                raise ValueError(f"{address!r} is not a mail address (name@domain)")
        if (self.username is None) != (self.password is None):
            raise ValueError("username and password go together (${SMTP_USER}, ${SMTP_PASSWORD})")
        if self.tls == "none" and self.password is not None:
            raise ValueError("tls: none would send the password in clear; use starttls or ssl")
        if self.tls == "none" and self.ca_file is not None:
            raise ValueError("ca_file needs tls: starttls or ssl")

    def endpoints(self) -> list[str]:
        return [_host_port(self.smtp)[0]]


class EmailNotifier(Notifier):
    """`{type: email, smtp: host:587, from: ..., to: [...]}`: one mail per notice."""

    @property
    def where(self) -> str:
        return f"email smtp {self.settings.smtp}"

    def _message(self, notice: Notice) -> EmailMessage:
        from email.message import EmailMessage
        from email.utils import formatdate, make_msgid

        msg = EmailMessage()
        first = (notice.text.splitlines() or [""])[0]
        msg["Subject"] = notice.subject() + f": {first[:120]}"
        msg["From"] = self.settings.from_
        msg["To"] = ", ".join(self.settings.to)
        msg["Date"] = formatdate(localtime=False)
        msg["Message-ID"] = make_msgid(domain=self.settings.from_.rpartition("@")[2])
        if notice.id:  # the same for a message sent again: a filter can drop the repeat
            msg["X-Failover-Notice"] = notice.id
        msg["X-Failover-Event"] = notice.event
        if notice.service:  # with `services:`: which one (a filter needs no text to read)
            msg["X-Failover-Service"] = notice.service
        msg.set_content(notice.body() + "\n")
        return msg

    def _deliver(self, notice: Notice) -> None:
        import smtplib
        import ssl

        s = self.settings
        host, port = _host_port(s.smtp)
        context = None if s.tls == "none" else ssl.create_default_context(
            cafile=str(s.ca_file) if s.ca_file else None)
        try:
            if s.tls == "ssl":
                client: smtplib.SMTP = smtplib.SMTP_SSL(host, port, timeout=self.timeout,
                                                        context=context)
            else:
                client = smtplib.SMTP(host, port, timeout=self.timeout)
            with client:
                client.ehlo()
                if s.tls == "starttls":
                    if not client.has_extn("starttls"):
                        raise ProviderError(f"{self.where}: the server offers no STARTTLS")
                    client.starttls(context=context)
                    client.ehlo()
                if s.username is not None and s.password is not None:
                    _login(client, s.username, s.password.get_secret_value())
                refused = client.send_message(self._message(notice))
        except smtplib.SMTPAuthenticationError as e:
            raise ProviderError(f"{self.where}: login refused ({e.smtp_code})") from None
        except smtplib.SMTPRecipientsRefused as e:
            raise ProviderError(f"{self.where}: every recipient refused "
                                f"({', '.join(sorted(e.recipients))})") from None
        except smtplib.SMTPResponseException as e:
            raise ProviderError(f"{self.where}: answered {e.smtp_code}") from None
        except (smtplib.SMTPException, ssl.SSLError) as e:
            raise ProviderError(f"{self.where}: {type(e).__name__}: {e}") from None
        except OSError as e:
            raise ProviderError(f"{self.where}: {e.strerror or type(e).__name__}") from None
        if refused:
            raise ProviderError(f"{self.where}: refused {', '.join(sorted(refused))} "
                                "(the others took it)")
        log.info("mail sent: smtp=%s to=%d", s.smtp, len(s.to))


def _login(client: smtplib.SMTP, user: str, password: str) -> None:
    """AUTH with one mechanism, PLAIN if offered, else LOGIN. smtplib's `login()` tries every
    mechanism in turn after a refusal, and a server that hangs up on the second try turns a
    plain "wrong password" into a timeout."""
    offered = (client.esmtp_features.get("auth") or "").upper().split()
    mechanism = "PLAIN" if "PLAIN" in offered or "LOGIN" not in offered else "LOGIN"
    client.user, client.password = user, password
    method = client.auth_plain if mechanism == "PLAIN" else client.auth_login
    client.auth(mechanism, method, initial_response_ok=True)
