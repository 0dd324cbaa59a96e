"""The Check contract bound to every check type, against the rig's live servers: http and tcp on
the hosts' web server, smtp on their aiosmtpd, ssh and command over their sshd, dns against the
rig's PowerDNS. "Stopped" stops the daemon, "silent" drops its packets (nftables) or freezes it
(SIGSTOP); the registry must name exactly these types."""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager
from pathlib import Path
from typing import Any

import pytest

from failover.checks.registry import available_types
from tests.contract.check_contract import PAGE, CheckTypeContract, WrongAnswerContract
from tests.rig import Rig, faults, tls

BOUND = {"http", "tcp", "smtp", "ssh", "dns", "command"}


def test_every_check_type_is_bound_to_the_contract() -> None:
    assert set(available_types()) == BOUND


class TestHttp(WrongAnswerContract):
    TYPE = "http"
    WRONG_DETAIL = "body does not contain 'Add to cart'"

    def settings(self) -> dict[str, Any]:
        return {"url": "http://shop.test/index.html", "expect_body": "Add to cart"}

    def settings_with_secret(self, secret: str) -> dict[str, Any]:
        return {**self.settings(), "headers": {"Authorization": f"Bearer {secret}"}}

    def stopped(self) -> AbstractContextManager[object]:
        return self.rig.primary.stop_http()

    def silent(self) -> AbstractContextManager[object]:
        return faults.drop_port(self.rig.primary, 80)

    @contextmanager
    def answering_wrongly(self) -> Iterator[dict[str, Any]]:
        page = self.rig.primary.webroot / "index.html"
        page.write_text("<html><body>Sold out</body></html>\n")
        try:
            yield {}
        finally:
            page.write_text(PAGE)


class TestTcp(CheckTypeContract):
    TYPE = "tcp"

    def settings(self) -> dict[str, Any]:
        return {"port": 80}

    def stopped(self) -> AbstractContextManager[object]:
        return self.rig.primary.stop_http()

    def silent(self) -> AbstractContextManager[object]:
        return faults.drop_port(self.rig.primary, 80)


class TestSmtp(WrongAnswerContract):
    TYPE = "smtp"
    TIMEOUT = 2.0
    WRONG_DETAIL = "Hostname mismatch"
    WRONG_EVERYWHERE = True

    def settings(self) -> dict[str, Any]:
        return {"starttls": True, "tls_name": "mx.shop.test",
                "ca_file": str(tls.ca_file(self.rig.dir))}

    @contextmanager
    def stopped(self) -> Iterator[None]:
        self.rig.primary.smtp.stop()
        try:
            yield
        finally:
            self.rig.primary.smtp.start()

    def silent(self) -> AbstractContextManager[object]:
        return faults.drop_port(self.rig.primary, 25)

    @contextmanager
    def answering_wrongly(self) -> Iterator[dict[str, Any]]:
        yield {"tls_name": "mail.other.test"}  # the certificate names mx.shop.test


class TestSsh(WrongAnswerContract):
    TYPE = "ssh"
    TIMEOUT = 3.0
    WRONG_DETAIL = "host key of primary"

    def settings(self) -> dict[str, Any]:
        return {}

    def stopped(self) -> AbstractContextManager[object]:
        return self.rig.primary.stop_sshd()

    def silent(self) -> AbstractContextManager[object]:
        return faults.drop_port(self.rig.primary, 22)

    @contextmanager
    def answering_wrongly(self) -> Iterator[dict[str, Any]]:
        with self.rig.primary.wrong_host_key():
            yield {}


class TestCommand(WrongAnswerContract):
    TYPE = "command"
    TIMEOUT = 3.0
    WRONG_DETAIL = "exit 3: inactive"
    WRONG_EVERYWHERE = True

    def settings(self) -> dict[str, Any]:
        return {"command": ["sh", "-c", "echo active"]}

    def settings_with_secret(self, secret: str) -> dict[str, Any]:
        # the argument is passed, never echoed: a command's own output is the operator's business
        return {"command": ["sh", "-c", 'test -n "$1" && echo active', "sh", secret]}

    def stopped(self) -> AbstractContextManager[object]:
        return self.rig.primary.stop_sshd()

    def silent(self) -> AbstractContextManager[object]:
        return faults.drop_port(self.rig.primary, 22)

    @contextmanager
    def answering_wrongly(self) -> Iterator[dict[str, Any]]:
        yield {"command": ["sh", "-c", "echo inactive; exit 3"]}


class TestDns(WrongAnswerContract):
    """A dns check asks the server in its settings: every host's result shares its fate."""

    TYPE = "dns"
    PER_HOST = False
    ZONE = "contract-checks.test."
    WRONG_DETAIL = "want 192.0.2.1"

    @pytest.fixture(autouse=True)
    def _zone(self, rig: Rig) -> None:
        rig.pdns.create_zone(self.ZONE, {("www", "A"): (60, [rig.primary.address])})

    def settings(self) -> dict[str, Any]:
        pdns = self.rig.pdns
        return {"query": f"www.{self.ZONE}", "server": f"{pdns.dns_address}:{pdns.dns_port}",
                "expect": [self.rig.primary.address]}

    @contextmanager
    def stopped(self) -> Iterator[None]:
        self.rig.pdns.stop()
        try:
            yield
        finally:
            self.rig.pdns.start()

    @contextmanager
    def silent(self) -> Iterator[None]:
        pid = self.rig.pdns.proc.pid
        with faults.freeze(self.rig.pdns):
            # SIGSTOP is delivered thread by thread; on a loaded machine pdns's receiver threads
            # could still take the query. Wait until every one of them is stopped.
            tasks = Path(f"/proc/{pid}/task")
            deadline = time.monotonic() + 5
            while any((t / "stat").read_text().rsplit(")", 1)[1].split()[0] != "T"
                      for t in tasks.iterdir()):
                assert time.monotonic() < deadline, "pdns did not stop on SIGSTOP"
                time.sleep(0.01)
            yield

    @contextmanager
    def answering_wrongly(self) -> Iterator[dict[str, Any]]:
        yield {"expect": ["192.0.2.1"]}
