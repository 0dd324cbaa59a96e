"""A real SMTP server on loopback that keeps what it is sent (aiosmtpd, in this process): the
notify channel `email` is tested against it, as `webhook` is against tests/site.py's
WebhookReceiver.

    box = Mailbox(tls_dir, user="failover", password=...)   # STARTTLS required, AUTH required
    box.messages            # [email.message.EmailMessage, ...]
    box.logins              # [(user, ok), ...]
    box.stop(); box.start() # down, and up again on the same port

Its certificate is the rig's `site` certificate (tests/rig/tls.py): it names 127.0.0.1, so a
client that trusts the rig's CA (`ca_file`) verifies it as it would a real server's.
"""

from __future__ import annotations

import logging
import socket
import ssl
from email import message_from_bytes, policy
from email.message import EmailMessage
from pathlib import Path
from typing import Any

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword

from . import tls


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


class Mailbox:
    def __init__(self, tls_dir: Path, *, user: str, password: str, port: int = 0) -> None:
        tls.ensure(tls_dir)
        logging.getLogger("mail.log").setLevel(logging.ERROR)  # its deprecation notes on AUTH
        self.ca_file = tls_dir / "ca.pem"
        self.context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        self.context.load_cert_chain(tls_dir / "site.pem", tls_dir / "site.key")
        self.user, self.password = user, password
        self.port = port or free_port()
        self.messages: list[EmailMessage] = []
        self.envelopes: list[tuple[str, list[str]]] = []
        self.logins: list[tuple[str, bool]] = []
        self.controller: Controller | None = None
        self.start()

    @property
    def address(self) -> str:
        return f"127.0.0.1:{self.port}"

    def _authenticate(self, server: Any, session: Any, envelope: Any, mechanism: str,
                      auth_data: Any) -> AuthResult:
        if not isinstance(auth_data, LoginPassword):
            return AuthResult(success=False, handled=False)
        user = auth_data.login.decode()
        ok = user == self.user and auth_data.password.decode() == self.password
        self.logins.append((user, ok))
        return AuthResult(success=ok, handled=False)  # the server answers 535 itself

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.envelopes.append((envelope.mail_from, list(envelope.rcpt_tos)))
        msg = message_from_bytes(envelope.original_content or envelope.content,
                                 policy=policy.default)
        assert isinstance(msg, EmailMessage)
        self.messages.append(msg)
        return "250 OK"

    def start(self) -> None:
        self.controller = Controller(
            self, hostname="127.0.0.1", port=self.port, server_hostname="mx.shop.test",
            tls_context=self.context, require_starttls=True, authenticator=self._authenticate,
            auth_required=True, ready_timeout=10)
        self.controller.start()

    def stop(self) -> None:
        if self.controller is not None:
            self.controller.stop()
            self.controller = None

    def texts(self) -> list[str]:
        out = []
        for msg in self.messages:
            body = msg.get_body(("plain",))
            out.append(body.get_content().replace("\r\n", "\n") if body is not None else "")
        return out
