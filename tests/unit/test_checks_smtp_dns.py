"""`type: smtp` and `type: dns` against real servers on 127.0.0.1: aiosmtpd, small raw servers
that answer wrongly, a UDP port that never answers."""

from __future__ import annotations

import asyncio
import socket
import threading
from collections.abc import Iterator
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.handlers import Sink

from failover.checks import check_for
from failover.checks.dns import DnsCheck
from failover.checks.smtp import SmtpCheck
from failover.model.inventory import Host
from failover.model.results import CheckResult

HOST = Host(address="127.0.0.1")


def run(model: Any) -> CheckResult:
    return asyncio.run(check_for(model).run("primary", HOST))


def smtp(port: int, **fields: Any) -> SmtpCheck:
    return SmtpCheck.parse({"name": "mail", "type": "smtp", "port": port,
                                     "timeout": "1s", **fields})


@pytest.fixture
def aiosmtpd_port() -> Iterator[int]:
    with socket.socket() as probe:  # a free port for the controller (it needs a number)
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    controller = Controller(Sink(), hostname="127.0.0.1", port=port,
                            server_hostname="mx.shop.test")
    controller.start()
    yield port
    controller.stop()


@pytest.fixture
def scripted() -> Iterator[tuple[list[bytes], int]]:
    """A server that sends script[0] on connect, then script[i] after each line it reads;
    an empty chunk hangs up."""
    script: list[bytes] = []
    server = socket.create_server(("127.0.0.1", 0))

    def serve() -> None:
        conn, _ = server.accept()
        with conn:
            reader = conn.makefile("rb")
            for chunk in script:
                if not chunk:  # b"": hang up
                    return
                conn.sendall(chunk)
                if not reader.readline():
                    return

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    yield script, server.getsockname()[1]
    server.close()
    thread.join(2)


def test_smtp_passes_against_aiosmtpd(aiosmtpd_port: int) -> None:
    result = run(smtp(aiosmtpd_port))
    assert (result.ok, result.detail) == (True, "banner 220, EHLO 250")


def test_smtp_without_starttls_offered_fails(aiosmtpd_port: int) -> None:
    result = run(smtp(aiosmtpd_port, starttls=True, tls_name="mx.shop.test"))
    assert (result.ok, result.detail) == (False, "STARTTLS not offered in the EHLO answer")


@pytest.mark.parametrize(("script", "detail"), [
    ([b"421 mx.shop.test busy, try later\r\n"], "greeting 421 mx.shop.test busy, try later"),
    ([b"220-mx.shop.test ESMTP\r\n220 welcome\r\n", b"550 go away\r\n"],
     "EHLO answered 550 go away"),
    ([b"SSH-2.0-OpenSSH_9.2\r\n"], "not an SMTP reply: 'SSH-2.0-OpenSSH_9.2'"),
    ([b""], "connection closed by the SMTP server"),
])
def test_smtp_servers_that_answer_wrongly(scripted: tuple[list[bytes], int], script: list[bytes],
                                          detail: str) -> None:
    chunks, port = scripted
    chunks += script
    result = run(smtp(port))
    assert (result.ok, result.detail) == (False, detail)


def test_smtp_tls_settings_need_starttls() -> None:
    with pytest.raises(ValueError, match="needs tls_name"):
        smtp(25, starttls=True)
    with pytest.raises(ValueError, match="need starttls: true"):
        smtp(25, tls_name="mx.shop.test")


def test_dns_check_times_out_on_a_silent_server() -> None:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as silent:
        silent.bind(("127.0.0.1", 0))
        port = silent.getsockname()[1]
        model = DnsCheck.parse({"name": "dns", "type": "dns", "query": "shop.test.",
                                         "server": f"127.0.0.1:{port}", "timeout": "0.5s"})
        result = run(model)
    assert (result.ok, result.detail) == (False, "timeout after 0.5s")


def test_dns_check_bad_settings_are_configuration_errors() -> None:
    for fields, message in (({"record_type": "BOGUS"}, "BOGUS"),
                            ({"server": "127.0.0.1:99999"}, "is not host")):
        model = DnsCheck.parse({"name": "dns", "type": "dns", "query": "shop.test.",
                                         **fields})
        with pytest.raises(ValueError, match=message):
            check_for(model)
