"""Issue 3 additions to the check contract, against real servers on 127.0.0.1: retries,
severity, http headers / status ranges / regex / max_latency, the metrics file, the watch
schedule, and what a round with only http/tcp checks does not import."""

from __future__ import annotations

import asyncio
import socketserver
import subprocess
import sys
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from prometheus_client.parser import text_string_to_metric_families
from test_checks_support import WebServer, refusing_port, web_server

from failover.checks import check_for
from failover.checks.command import tail
from failover.checks.http import HttpCheck
from failover.checks.tcp import TcpCheck
from failover.cli.watch import next_start
from failover.metrics import render
from failover.model.inventory import Host
from failover.model.results import CheckResult, RoundReport
from failover.model.state import HostState, State

HOST = Host(address="127.0.0.1")


@pytest.fixture
def web() -> Iterator[WebServer]:
    with web_server() as server:
        yield server


def run_http(url: str, **fields: Any) -> CheckResult:
    model = HttpCheck.parse({"name": "web", "type": "http", "url": url, **fields})
    return asyncio.run(check_for(model).run("primary", HOST))


def test_custom_headers_are_sent_but_host_stays_the_urls(web: WebServer) -> None:
    result = run_http(f"http://shop.test:{web.port}/",
                      headers={"X-Check": "failover", "Host": "evil.test"})
    assert result.ok, result.detail
    [seen] = web.seen
    assert seen.headers["X-Check"] == "failover"
    assert seen.headers["Host"] == f"shop.test:{web.port}"


def test_status_ranges_and_regex(web: WebServer) -> None:
    assert run_http(f"http://shop.test:{web.port}/down", expect_status=["5xx"]).ok
    result = run_http(f"http://shop.test:{web.port}/down", expect_status=["2xx", 301])
    assert (result.ok, result.detail) == (False, "status 503, want 2xx or 301")
    assert run_http(f"http://shop.test:{web.port}/", expect_regex=r"Add\s+to\s+cart").ok
    result = run_http(f"http://shop.test:{web.port}/", expect_regex=r"Sold out \d+")
    assert (result.ok, result.detail) == (False, "body does not match 'Sold out \\\\d+'")


def test_max_latency_fails_a_slow_answer(web: WebServer) -> None:
    result = run_http(f"http://shop.test:{web.port}/", max_latency=0.0)
    assert not result.ok
    assert "max_latency 0 ms" in result.detail


def test_retries_are_counted_and_a_failure_after_retries_is_one_result() -> None:
    with refusing_port() as port:
        model = TcpCheck.parse({"name": "t", "type": "tcp", "port": port,
                                         "retries": 2, "severity": "warning"})
        result = asyncio.run(check_for(model).run("primary", HOST))
    assert (result.ok, result.attempts, result.severity) == (False, 3, "warning")
    assert result.detail == "connection refused"


def test_a_retry_that_passes_is_a_pass() -> None:
    """A server that drops the first connection unanswered and serves the second (a lost
    answer): with retries: 1 the result is a pass after 2 attempts."""
    import socket

    with socket.create_server(("127.0.0.1", 0)) as server:
        port = server.getsockname()[1]

        def serve() -> None:
            first, _ = server.accept()
            first.close()
            second, _ = server.accept()
            with second:
                second.recv(4096)
                second.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok")

        thread = threading.Thread(target=serve, daemon=True)
        thread.start()
        result = run_http(f"http://shop.test:{port}/", retries=1)
        thread.join(5)
    assert (result.ok, result.attempts, result.detail) == (True, 2, "status 200")


def test_prometheus_file_parses_and_has_every_metric() -> None:
    results = (CheckResult("primary", "web", True, 0.012), CheckResult("standby", "web", False,
                                                                        2.0, "timeout"),
               CheckResult("primary", 'we"ird\\', True, 0.5))
    report = RoundReport(100.0, 102.5, results)
    state = State(active="primary", hosts={"standby": HostState(down=True)})
    text = render(report, state, ["primary", "standby"], 1)
    families = {f.name: f for f in text_string_to_metric_families(text)}
    assert set(families) == {"failover_check_up", "failover_check_latency_seconds",
                             "failover_host_down", "failover_active",
                             "failover_round_timestamp_seconds", "failover_status"}
    up = {(s.labels["host"], s.labels["check"]): s.value for s in families["failover_check_up"]
          .samples}
    assert up == {("primary", "web"): 1.0, ("standby", "web"): 0.0, ("primary", 'we"ird\\'): 1.0}
    down = {s.labels["host"]: s.value for s in families["failover_host_down"].samples}
    active = {s.labels["host"]: s.value for s in families["failover_active"].samples}
    assert (down, active) == ({"primary": 0.0, "standby": 1.0}, {"primary": 1.0, "standby": 0.0})
    [stamp] = families["failover_round_timestamp_seconds"].samples
    assert stamp.value == 102.5


@pytest.mark.parametrize(("now", "expected"), [(0.0, 10.0), (9.99, 10.0), (10.0, 20.0),
                                                (35.0, 40.0)])
def test_the_watch_schedule_does_not_drift(now: float, expected: float) -> None:
    assert next_start(0.0, 10.0, now) == expected


def test_command_output_tail() -> None:
    assert tail("active\n", "") == "active"
    assert tail("a " * 300, "err") .endswith("a a err")
    assert len(tail("x" * 1000, "")) == 200


def test_a_round_of_http_and_tcp_checks_does_not_import_paramiko_or_dnspython(
        tmp_path: Path) -> None:
    code = (
        "import sys, asyncio\n"
        "from failover.checks import check_for\n"
        "from failover.checks.http import HttpCheck\n"
        "from failover.checks.tcp import TcpCheck\n"
        "from failover.model.inventory import Host\n"
        "h = Host(address='127.0.0.1')\n"
        "for m in (HttpCheck(name='w', type='http', url='https://shop.test:1/', timeout=0.2),\n"
        "          TcpCheck(name='t', type='tcp', port=1, timeout=0.2)):\n"
        "    asyncio.run(check_for(m).run('p', h))\n"
        "print(sorted(m for m in ('paramiko', 'dns', 'requests') if m in sys.modules))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True, cwd=tmp_path).stdout
    assert out.strip() == "[]"


class _Redirects(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        hops = {"/a": "/b", "/b": "http://www.shop.test:{port}/c", "/loop": "/loop"}
        path = self.path.partition("?")[0]
        if path in hops:
            self.send_response(302)
            self.send_header("Location", hops[path].format(port=self.server.server_address[1]))
            body = b""
        else:
            self.send_response(200)
            body = f"page {path} for {self.headers['Host']}".encode()
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: Any) -> None:
        return None


class _Quiet(ThreadingHTTPServer):
    def server_bind(self) -> None:  # no socket.getfqdn(): no reverse-DNS query
        socketserver.TCPServer.server_bind(self)


@pytest.fixture
def redirects() -> Iterator[int]:
    server = _Quiet(("127.0.0.1", 0), _Redirects)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server.server_address[1]
    server.shutdown()
    server.server_close()


def test_redirects_are_not_followed_by_default(redirects: int) -> None:
    result = run_http(f"http://shop.test:{redirects}/a")
    assert (result.ok, result.detail) == (False, "status 302 to /b, want 200")


def test_followed_redirects_stay_on_the_hosts_address(redirects: int) -> None:
    result = run_http(f"http://shop.test:{redirects}/a", follow_redirects=True,
                      expect_body=f"page /c for www.shop.test:{redirects}")
    assert (result.ok, result.detail) == (True, "status 200")


def test_a_redirect_loop_fails(redirects: int) -> None:
    result = run_http(f"http://shop.test:{redirects}/loop", follow_redirects=True)
    assert not result.ok
    assert result.detail.startswith("more than 5 redirects")
