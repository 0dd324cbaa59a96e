"""Issue 15, the last resort: both hosts' web servers down, control targets up: the records go to
the `role: fallback` host and its "back soon" page is served; the primary back: the records
move to it through the failover playbook. Through the real `failover` executable, on the rig."""

from __future__ import annotations

import threading
import urllib.request
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from tests.site import Site, at

SORRY = b"<html><body>We will be back soon. Call us: +33 1 23 45 67 89</body></html>\n"


@pytest.fixture
def sorry_page() -> Iterator[str]:
    """A static page on loopback (the third provider's object storage): its URL."""

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            self.send_response(200)
            self.send_header("Content-Length", str(len(SORRY)))
            self.end_headers()
            self.wfile.write(SORRY)

        def log_message(self, *args: Any) -> None:
            return None

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/"
    server.shutdown()
    server.server_close()
    thread.join()


def with_fallback(site: Site, sorry_page: str) -> None:
    """The page's host in the inventory (`role: fallback`), and the check that it serves."""
    port = sorry_page.rsplit(":", 1)[1].strip("/")

    def fallback(inv: dict[str, Any]) -> None:
        inv["hosts"]["sorry-page"] = {"provider": "object-storage", "address": "127.0.0.1",
                                      "role": "fallback"}
        inv["checks"].append({"name": "back-soon", "type": "http", "fallback": True,
                              "url": f"http://shop.test:{port}/", "expect_body": "back soon",
                              "timeout": "2s"})

    site.edit(fallback)


def test_every_host_down_the_records_go_to_the_fallback_page_and_come_back(
        site: Site, sorry_page: str) -> None:
    with_fallback(site, sorry_page)
    primary = site.primary.address
    assert site.run("check").returncode == 0
    site.primary.stop_http()
    site.standby.stop_http()  # both web servers down; ssh (and the control target) answer
    codes = [site.run("check").returncode for _ in range(2)]
    assert codes == [1, 1]
    p = site.run("check")
    assert p.returncode == 2, p.stdout + p.stderr
    first = p.stdout.splitlines()[0]
    assert first.startswith("FAILOVER CRITICAL - active host primary is down (3 failed rounds "
                            "in a row); failover blocked: no standby passed its checks"), first
    assert "pointing its records at the fallback host sorry-page" in first
    assert site.dns() == at("127.0.0.1")
    assert any("shop.test: active host primary is down" in m for m in site.hook.messages())
    with urllib.request.urlopen(sorry_page, timeout=5) as answer:  # what customers now see
        assert b"We will be back soon" in answer.read()

    p = site.run("check")  # still down: CRITICAL, the records stay on the page
    assert p.returncode == 2, p.stdout + p.stderr
    assert "every host of the service is down; records on the fallback host sorry-page" in \
        p.stdout.splitlines()[0]
    assert site.run("status").stdout.startswith("site shop.test: active host sorry-page")

    site.primary.start_http()  # the primary serves again: one round, and the records go home
    p = site.run("check")
    assert p.returncode == 2, p.stdout + p.stderr
    assert "primary passes again: moving the records to it" in p.stdout
    assert "skipped: sorry-page is the fallback host" in p.stdout  # no data pulled from it
    assert "failover done" in p.stdout, p.stdout
    assert site.dns() == at(primary)
    assert site.state()["active"] == "primary"
    p = site.run("check")
    assert p.returncode == 1, p.stdout + p.stderr  # the standby's web is still down: WARNING
    assert p.stdout.startswith("FAILOVER WARNING - standby standby unhealthy"), p.stdout


def test_records_leaving_the_page_for_a_host_that_did_not_serve_last_get_the_mirror(
        warm_site: Site, sorry_page: str) -> None:
    """The primary served last; the standby comes back first: it is pushed the last good
    mirror (nothing is pulled from the page's host), so it does not serve an old copy."""
    site = warm_site
    with_fallback(site, sorry_page)
    site.edit(lambda inv: inv["policy"].update(failure_threshold=1))
    behind = site.standby.webroot / "orders.txt"
    behind.unlink()  # the standby lags the mirror
    site.primary.stop_http()
    site.standby.stop_http()
    p = site.run("check")
    assert p.returncode == 2, p.stdout + p.stderr
    assert site.dns() == at("127.0.0.1"), p.stdout
    site.standby.start_http()
    p = site.run("check")
    assert p.returncode == 2, p.stdout + p.stderr
    assert "standby passes again: moving the records to it" in p.stdout
    assert "no data on the fallback host sorry-page; standby did not serve last (primary " \
        "did): the last good mirror" in p.stdout, p.stdout
    assert "failover done" in p.stdout, p.stdout
    assert site.dns() == at(site.standby.address)
    assert behind.read_text() == (site.primary.webroot / "orders.txt").read_text()
