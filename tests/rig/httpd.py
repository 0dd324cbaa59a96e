"""HTTP server per host namespace: http_launcher.py on ADDRESS:80 (and [ADDRESS6]:80) serving the
host's webroot."""

from __future__ import annotations

import http.client
import logging
import sys
from pathlib import Path

from .daemon import Daemon

log = logging.getLogger(__name__)

LAUNCHER = Path(__file__).with_name("http_launcher.py")


def http_get(
    address: str, path: str = "/", port: int = 80, timeout: float = 2.0
) -> tuple[int, bytes]:
    """Plain GET without proxies (http.client never reads *_proxy env vars)."""
    conn = http.client.HTTPConnection(address, port, timeout=timeout)
    try:
        conn.request("GET", path)
        resp = conn.getresponse()
        return resp.status, resp.read()
    finally:
        conn.close()


class HttpController(Daemon):
    """``ip netns exec NS python http_launcher.py ADDRESS PORT WEBROOT``."""

    def __init__(
        self,
        host: str,
        namespace: str,
        address: str,
        webroot: Path,
        log_path: Path,
        port: int = 80,
        python: str = sys.executable,
        address6: str = "",
    ) -> None:
        super().__init__(f"http-{host}", log_path)
        self.namespace = namespace
        self.address = address
        self.address6 = address6  # also served unless ipv4_only (issue 20)
        self.ipv4_only = False
        self.port = port
        self.webroot = webroot
        self.python = python

    def prepare(self) -> None:
        if not self.webroot.exists() and not self.webroot.is_symlink():
            self.webroot.mkdir(parents=True)

    def argv(self) -> list[str]:
        return [
            "ip",
            "netns",
            "exec",
            self.namespace,
            self.python,
            str(LAUNCHER),
            ",".join(self.addresses()),
            str(self.port),
            str(self.webroot),
        ]

    def addresses(self) -> list[str]:
        return [self.address] if self.ipv4_only or not self.address6 else [
            self.address, self.address6]

    def is_accessible(self) -> bool:
        try:
            answers = [http_get(a, "/health", self.port, timeout=1.0) for a in self.addresses()]
        except (OSError, http.client.HTTPException):
            return False
        return all(status == 200 and body.strip() == b"ok" for status, body in answers)

    def get(self, path: str = "/", timeout: float = 2.0) -> tuple[int, bytes]:
        return http_get(self.address, path, self.port, timeout)
