"""`type: http` against real servers on 127.0.0.1.

The URLs name `shop.test`, which does not resolve: a check that passes proves it connected to the
host's address, and the server's record of the Host header proves which name it asked for.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from test_checks_support import (
    Pki,
    WebServer,
    make_pki,
    refusing_port,
    silent_server,
    web_server,
)

from failover.checks import check_for
from failover.checks.http import HttpCheck, HttpProbe, Url
from failover.model.inventory import Host
from failover.model.results import CheckResult

HOST = Host(address="127.0.0.1")


def http_check(url: str, **fields: Any) -> HttpCheck:
    return HttpCheck.parse({"name": "storefront", "type": "http", "url": url, **fields})


def probe(url: str, **fields: Any) -> CheckResult:
    check = check_for(http_check(url, **fields))
    return asyncio.run(check.run("primary", HOST))


@pytest.fixture(scope="module")
def pki(tmp_path_factory: pytest.TempPathFactory) -> Pki:
    return make_pki(tmp_path_factory.mktemp("pki"))


@pytest.fixture
def web() -> Iterator[WebServer]:
    with web_server() as server:
        yield server


@pytest.fixture
def tls_web(pki: Pki) -> Iterator[WebServer]:
    with web_server(pki.server_context("shop.test")) as server:
        yield server


def test_passes_by_address_with_the_url_name_as_host_header(web: WebServer) -> None:
    result = probe(f"http://shop.test:{web.port}/?from=failover", expect_body="Add to cart")

    assert result.ok, result.detail
    assert (result.host, result.check, result.detail) == ("primary", "storefront", "status 200")
    assert result.latency > 0
    [seen] = web.seen
    assert seen.path == "/?from=failover"
    assert seen.headers["Host"] == f"shop.test:{web.port}"
    assert seen.headers["User-Agent"] == "failover-check"
    assert seen.headers["Connection"] == "close"


def test_wrong_status_fails_and_names_both(web: WebServer) -> None:
    result = probe(f"http://shop.test:{web.port}/down")
    assert not result.ok
    assert result.detail == "status 503, want 200"

    result = probe(f"http://shop.test:{web.port}/down", expect_status=[200, 204])
    assert result.detail == "status 503, want 200 or 204"


def test_listed_status_passes(web: WebServer) -> None:
    assert probe(f"http://shop.test:{web.port}/down", expect_status=[503]).ok


def test_redirect_is_not_followed(web: WebServer) -> None:
    result = probe(f"http://shop.test:{web.port}/moved")
    assert not result.ok
    assert result.detail == "status 301 to https://shop.test/, want 200"
    assert len(web.seen) == 1
    assert probe(f"http://shop.test:{web.port}/moved", expect_status=[301]).ok


def test_wrong_body_fails(web: WebServer) -> None:
    result = probe(f"http://shop.test:{web.port}/", expect_body="Checkout")
    assert not result.ok
    assert result.detail == "body does not contain 'Checkout'"


@pytest.mark.parametrize(
    ("path", "expect_body"),
    [
        ("/chunked", "Add to cart"),
        ("/until-close", "then close"),
        ("/continue", "Add to cart"),
        ("/latin1", "Café"),
    ],
)
def test_body_framings_and_charsets(web: WebServer, path: str, expect_body: str) -> None:
    result = probe(f"http://shop.test:{web.port}{path}", expect_body=expect_body)
    assert result.ok, result.detail


def test_body_is_read_up_to_64_kib(web: WebServer) -> None:
    assert probe(f"http://shop.test:{web.port}/big", expect_body="xxxx").ok
    result = probe(f"http://shop.test:{web.port}/big", expect_body="needle")
    assert not result.ok
    assert result.detail == "body does not contain 'needle' (first 64 KiB read)"


@pytest.mark.parametrize(
    ("path", "detail"),
    [
        ("/short", "status 200, connection closed in the body after 9 bytes"),
        ("/garbage", "not an HTTP/1.x response: b'SSH-2.0-OpenSSH_9.2\\r\\n'"),
    ],
)
def test_broken_responses_fail(web: WebServer, path: str, detail: str) -> None:
    result = probe(f"http://shop.test:{web.port}{path}")
    assert not result.ok
    assert result.detail == detail


def test_refused() -> None:
    with refusing_port() as port:
        result = probe(f"http://shop.test:{port}/")
    assert not result.ok
    assert result.detail == "connection refused"


def test_silent_server_times_out() -> None:
    with silent_server() as port:
        result = probe(f"http://shop.test:{port}/", timeout=0.5)
    assert not result.ok
    assert result.detail == "timeout after 0.5s"  # cut off by its own timeout (bench/: speed)


def test_tls_passes_with_ca_file(tls_web: WebServer, pki: Pki) -> None:
    result = probe(f"https://shop.test:{tls_web.port}/", ca_file=pki.ca, expect_body="Add to cart")
    assert result.ok, result.detail
    assert tls_web.seen[0].headers["Host"] == f"shop.test:{tls_web.port}"


def test_tls_fails_on_name_mismatch(pki: Pki) -> None:
    with web_server(pki.server_context("other.test")) as other:
        result = probe(f"https://shop.test:{other.port}/", ca_file=pki.ca)
    assert not result.ok
    assert result.detail.startswith("TLS: certificate verify failed: ")
    assert "shop.test" in result.detail
    assert other.seen == []


def test_tls_fails_on_unknown_ca(tls_web: WebServer, tmp_path: Path) -> None:
    stranger = make_pki(tmp_path, names=())
    result = probe(f"https://shop.test:{tls_web.port}/", ca_file=stranger.ca)
    assert not result.ok
    assert result.detail.startswith("TLS: certificate verify failed: ")


def test_tls_to_a_plain_http_port_fails(web: WebServer, pki: Pki) -> None:
    result = probe(f"https://shop.test:{web.port}/", ca_file=pki.ca)
    assert not result.ok
    assert result.detail.startswith("TLS: ")


def test_tls_handshake_that_never_ends_times_out(pki: Pki) -> None:
    with silent_server() as port:
        result = probe(f"https://shop.test:{port}/", ca_file=pki.ca, timeout=0.5)
    assert result.detail == "timeout after 0.5s"


@pytest.mark.parametrize(
    ("url", "tls", "port", "host_header", "target"),
    [
        ("http://shop.test/", False, 80, "shop.test", "/"),
        ("https://Shop.Test", True, 443, "shop.test", "/"),
        ("https://shop.test:8443/a b?q=1&r=é", True, 8443, "shop.test:8443", "/a%20b?q=1&r=%C3%A9"),
        ("http://shop.test:80/x", False, 80, "shop.test", "/x"),
        ("http://[2001:db8::1]:8080/", False, 8080, "[2001:db8::1]:8080", "/"),
        ("https://bücher.test/", True, 443, "xn--bcher-kva.test", "/"),
    ],
)
def test_url_parts(url: str, tls: bool, port: int, host_header: str, target: str) -> None:
    parsed = Url.parse(url)
    assert (parsed.tls, parsed.port, parsed.host_header, parsed.target) == (
        tls,
        port,
        host_header,
        target,
    )


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("http://shop.test:99999/", "out of range"),
        ("http://shop.test:0/", "not a port"),
        ("https://user:secret@shop.test/", "user:password is not supported"),
        ("http:///path", "has no host name"),
    ],
)
def test_unusable_url_is_a_configuration_error(url: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        HttpProbe(http_check(url))


def test_missing_ca_file_is_a_configuration_error(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="ca_file"):
        HttpProbe(http_check("https://shop.test/", ca_file=tmp_path / "missing.pem"))
