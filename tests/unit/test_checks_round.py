"""A round: every (host, check) pair and the control targets, concurrently, in inventory order."""

from __future__ import annotations

import asyncio
import contextlib
import gc
import itertools
import socket
import subprocess
import sys
import threading
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from test_checks_support import (
    WebServer,
    make_inventory,
    refusing_port,
    silent_server,
    web_server,
)

import failover.checks.round
from failover.checks import gather_round, parse_target, probe_control, run_round
from failover.errors import ConfigError, UsageError


@pytest.fixture
def web() -> Iterator[WebServer]:
    with web_server() as server:
        yield server


@pytest.fixture
def closed_port() -> Iterator[int]:
    with refusing_port() as port:
        yield port


@pytest.fixture
def open_port() -> Iterator[int]:
    with silent_server() as port:
        yield port


def shop_checks(web_port: int, closed_port: int) -> list[dict[str, Any]]:
    return [
        {
            "name": "storefront",
            "type": "http",
            "url": f"http://shop.test:{web_port}/",
            "expect_body": "Add to cart",
        },
        {"name": "admin", "type": "tcp", "port": closed_port},
        {"name": "health", "type": "http", "url": f"http://shop.test:{web_port}/down"},
    ]


def test_results_come_in_inventory_order(web: WebServer, closed_port: int) -> None:
    inventory = make_inventory(shop_checks(web.port, closed_port), hosts=("a", "b", "c"))
    report = run_round(inventory)

    assert [(r.host, r.check) for r in report.results] == list(
        itertools.product("abc", ["storefront", "admin", "health"])
    )
    assert [r.ok for r in report.for_host("b")] == [True, False, False]
    assert [r.detail for r in report.for_host("c")][1:] == [
        "connection refused",
        "status 503, want 200",
    ]
    assert report.control == ()
    assert report.online  # no control targets configured
    assert report.started_at <= report.finished_at


def test_selection_keeps_inventory_order(web: WebServer, closed_port: int) -> None:
    inventory = make_inventory(shop_checks(web.port, closed_port), hosts=("a", "b", "c"))
    report = run_round(inventory, hosts=["c", "a"], checks=["health", "storefront"])
    assert [(r.host, r.check) for r in report.results] == [
        ("a", "storefront"),
        ("a", "health"),
        ("c", "storefront"),
        ("c", "health"),
    ]


def test_unknown_names_are_usage_errors(web: WebServer, closed_port: int) -> None:
    inventory = make_inventory(shop_checks(web.port, closed_port))
    with pytest.raises(UsageError, match=r"unknown host 'nope' \(known: primary, standby\)"):
        run_round(inventory, hosts=["nope"])
    with pytest.raises(UsageError, match="unknown check 'smtp'"):
        run_round(inventory, checks=["storefront", "smtp"])


def test_unusable_check_is_a_config_error_before_any_probe(web: WebServer) -> None:
    inventory = make_inventory(
        [
            {"name": "storefront", "type": "http", "url": f"http://shop.test:{web.port}/"},
            {"name": "bad", "type": "http", "url": "http://shop.test:99999/"},
        ]
    )
    with pytest.raises(ConfigError, match=r"inventory.yaml checks.bad: .*out of range"):
        run_round(inventory)
    assert web.seen == []


def test_clock_stamps_the_report(web: WebServer, closed_port: int) -> None:
    ticks = iter([1000.0, 1002.5])
    inventory = make_inventory(shop_checks(web.port, closed_port))
    report = run_round(inventory, control=False, clock=lambda: next(ticks))
    assert (report.started_at, report.finished_at) == (1000.0, 1002.5)


def test_probes_run_concurrently() -> None:
    """All 20 probes of a round are open at once: the silent server counts, at each connection
    it accepts, how many earlier ones the clients still hold open (sequential probes: 1)."""
    with overlap_server() as (hung, most_open), refusing_port() as closed:
        inventory = make_inventory(
            [
                {
                    "name": f"page{i}",
                    "type": "http",
                    "url": f"http://shop.test:{hung}/",
                    "timeout": "1s",
                }
                for i in range(10)
            ],
            control_targets=(f"tcp://127.0.0.1:{closed}",),
        )
        report = run_round(inventory)

    assert len(report.results) == 20
    assert {r.detail for r in report.results} == {"timeout after 1s"}
    assert most_open() == 20, f"at most {most_open()} probes were open at once: not concurrent"


@contextlib.contextmanager
def overlap_server() -> Iterator[tuple[int, Callable[[], int]]]:
    """A server that accepts and never answers; yields (port, the most connections open at
    once), a connection counting as open until its client closes it."""
    server = socket.create_server(("127.0.0.1", 0), backlog=64)
    conns: list[socket.socket] = []
    most = [0]

    def still_open(c: socket.socket) -> bool:
        try:
            while c.recv(4096, socket.MSG_DONTWAIT):  # the request: read and dropped
                pass
        except BlockingIOError:
            return True  # nothing more yet, and no end: the client holds it open
        except OSError:
            return False
        return False  # end of stream: the client closed it

    def serve() -> None:
        while True:
            try:
                conn, _ = server.accept()
            except OSError:  # closed: the test is over
                return
            conns.append(conn)
            most[0] = max(most[0], sum(1 for c in conns if still_open(c)))

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    try:
        yield server.getsockname()[1], lambda: most[0]
    finally:
        server.shutdown(socket.SHUT_RDWR)
        server.close()
        thread.join(5)
        for c in conns:
            c.close()


def test_one_control_target_reached_is_online(open_port: int, closed_port: int) -> None:
    targets = (f"tcp://127.0.0.1:{closed_port}", f"tcp://127.0.0.1:{open_port}")
    inventory = make_inventory(
        [{"name": "p", "type": "tcp", "port": open_port}], control_targets=targets
    )
    report = run_round(inventory)
    assert [(c.target, c.ok, c.detail) for c in report.control] == [
        (targets[0], False, "connection refused"),
        (targets[1], True, "connected"),
    ]
    assert report.online
    assert probe_control(inventory) == report.control


def test_no_control_target_reached_is_offline(open_port: int, closed_port: int) -> None:
    with refusing_port() as other_closed:
        targets = (f"tcp://127.0.0.1:{closed_port}", f"tcp://[127.0.0.1]:{other_closed}")
        inventory = make_inventory(
            [{"name": "p", "type": "tcp", "port": open_port}], control_targets=targets
        )
        report = run_round(inventory)
        assert not report.online
        assert [c.ok for c in report.control] == [False, False]
        assert run_round(inventory, control=False).control == ()


def test_check_path_imports_stay_light() -> None:
    code = (
        "import sys, failover.checks\n"
        "assert 'failover.checks.http' not in sys.modules, 'check types must load lazily'\n"
        "import failover.checks.http, failover.checks.tcp\n"
        "heavy = {'requests', 'paramiko', 'boto3', 'botocore', 'dns', 'click', 'yaml'}\n"
        "print(sorted(heavy & set(sys.modules)))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


@pytest.mark.parametrize(
    ("target", "parsed"),
    [
        ("tcp://9.9.9.9:53", ("9.9.9.9", 53)),
        ("tcp://[2620:fe::fe]:53", ("2620:fe::fe", 53)),
        ("tcp://one.one.one.one:443", ("one.one.one.one", 443)),
    ],
)
def test_parse_target(target: str, parsed: tuple[str, int]) -> None:
    assert parse_target(target) == parsed


@pytest.mark.parametrize("target", ["tcp://:53", "tcp://9.9.9.9:99999", "udp://9.9.9.9:53"])
def test_bad_control_target_is_a_config_error(target: str, open_port: int) -> None:
    with pytest.raises(ValueError, match=r"tcp://HOST:PORT|not a port"):
        parse_target(target)
    inventory = make_inventory([{"name": "p", "type": "tcp", "port": open_port}])
    bad = inventory.replace(control_targets=[target])
    with pytest.raises(ConfigError, match="control_targets"):
        run_round(bad)
    with pytest.raises(ConfigError, match="control_targets"):
        probe_control(bad)
    assert run_round(bad, control=False).results[0].ok


def test_a_cancelled_round_closes_every_socket(monkeypatch: pytest.MonkeyPatch) -> None:
    """Ctrl-C mid-round: probes are cancelled, sockets closed (filterwarnings=error catches
    an unclosed one), and no probe waiting for a socket slot is left never awaited."""
    monkeypatch.setattr(failover.checks.round, "max_open_sockets", lambda: 2)
    with silent_server() as hung:
        inventory = make_inventory(
            [
                {"name": f"page{i}", "type": "http", "url": f"http://shop.test:{hung}/"}
                for i in range(5)
            ],
            control_targets=(f"tcp://127.0.0.1:{hung}",),
        )

        async def interrupted() -> None:
            await asyncio.wait_for(gather_round(inventory), 0.3)

        with pytest.raises(TimeoutError):
            asyncio.run(interrupted())
        gc.collect()
