"""Real servers on 127.0.0.1 for the check tests, plus the tests that these servers behave.

- `web_server()`: a ThreadingHTTPServer (optionally TLS) whose paths choose the answer, and which
  records the request line and headers it saw.
- `silent_server()`: a socket that listens and never answers; the kernel completes the handshake
  for up to `backlog` clients, so a connect succeeds and the read hangs (a frozen web server).
- `dropping_port()`: a listener with a full accept queue: connects hang (SYNs are dropped).
- `refusing_port()`: a bound socket that does not listen: connects get an RST ("refused").
- `make_pki()`: a CA and leaf certificates (shop.test, other.test) made with the `openssl` command.

Nothing resolves a name or leaves loopback (RECIPE section 0): servers bind 127.0.0.1 and skip
HTTPServer's getfqdn() lookup.
"""

from __future__ import annotations

import contextlib
import socket
import socketserver
import ssl
import subprocess
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from failover.model.inventory import Inventory

PAGE = b"<html><body><h1>Shop</h1><button>Add to cart</button></body></html>"
BIG_FILLER = 100 * 1024


@dataclass
class Seen:
    path: str
    headers: dict[str, str]


@dataclass
class WebServer:
    port: int
    seen: list[Seen] = field(default_factory=list)


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 1024  # a round of many probes must not overflow the accept queue

    def __init__(self, tls: ssl.SSLContext | None) -> None:
        self.tls = tls
        self.seen: list[Seen] = []
        super().__init__(("127.0.0.1", 0), _Handler)

    def server_bind(self) -> None:  # no socket.getfqdn(): no reverse-DNS query
        socketserver.TCPServer.server_bind(self)
        self.server_name, self.server_port = "127.0.0.1", self.server_address[1]

    def finish_request(self, request: Any, client_address: Any) -> None:
        if self.tls is None:
            super().finish_request(request, client_address)
            return
        with self.tls.wrap_socket(request, server_side=True) as conn:
            _Handler(conn, client_address, self)

    def handle_error(self, request: Any, client_address: Any) -> None:
        pass  # clients that hang up or reject our certificate are what some tests are about


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: _Server

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def do_GET(self) -> None:
        self.server.seen.append(Seen(self.path, {k: v for k, v in self.headers.items()}))
        path = self.path.partition("?")[0]
        if path == "/":
            self._send(200, PAGE)
        elif path == "/down":
            self._send(503, b"<h1>Maintenance</h1>")
        elif path == "/moved":
            self._send(301, b"", [("Location", "https://shop.test/")])
        elif path == "/latin1":
            self._send(
                200,
                "Café ouvert".encode("latin-1"),
                [("Content-Type", "text/html; charset=iso-8859-1")],
            )
        elif path == "/big":
            self._send(200, b"x" * BIG_FILLER + b"needle")
        elif path == "/chunked":
            self._raw(
                b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
                b"7\r\nAdd to \r\n4;ext=1\r\ncart\r\n0\r\n\r\n"
            )
        elif path == "/until-close":
            self._raw(b"HTTP/1.0 200 OK\r\nContent-Type: text/plain\r\n\r\nAdd to cart, then close")
        elif path == "/continue":
            self._raw(
                b"HTTP/1.1 100 Continue\r\n\r\n"
                b"HTTP/1.1 200 OK\r\nContent-Length: 11\r\n\r\nAdd to cart"
            )
        elif path == "/short":
            self._raw(b"HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\nonly this")
        elif path == "/garbage":
            self._raw(b"SSH-2.0-OpenSSH_9.2\r\n")
        else:
            self._send(404, b"not found")

    def _send(self, status: int, body: bytes, fields: list[tuple[str, str]] | None = None) -> None:
        self.send_response(status)
        for name, value in fields or []:
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def _raw(self, data: bytes) -> None:
        self.close_connection = True
        self.wfile.write(data)


@contextlib.contextmanager
def web_server(tls: ssl.SSLContext | None = None) -> Iterator[WebServer]:
    server = _Server(tls)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05})
    thread.start()
    try:
        yield WebServer(server.server_address[1], server.seen)
    finally:
        server.shutdown()
        thread.join()
        server.server_close()


@contextlib.contextmanager
def silent_server(backlog: int = 128) -> Iterator[int]:
    with socket.create_server(("127.0.0.1", 0), backlog=backlog) as sock:
        yield sock.getsockname()[1]


@contextlib.contextmanager
def dropping_port() -> Iterator[int]:
    """A listener whose accept queue (backlog 0 = one connection) is full: Linux drops new SYNs,
    so a connect neither succeeds nor is refused (a firewall that drops, or a dead host)."""
    with socket.create_server(("127.0.0.1", 0), backlog=0) as server:
        port = server.getsockname()[1]
        with socket.create_connection(("127.0.0.1", port), timeout=2):
            yield port


@contextlib.contextmanager
def refusing_port() -> Iterator[int]:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        yield sock.getsockname()[1]


@dataclass(frozen=True)
class Pki:
    ca: Path

    def server_context(self, name: str) -> ssl.SSLContext:
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.load_cert_chain(self.ca.parent / f"{name}.pem", self.ca.parent / f"{name}.key")
        return ctx


def make_pki(folder: Path, names: tuple[str, ...] = ("shop.test", "other.test")) -> Pki:
    """A throw-away CA in `folder` and one certificate per name (SAN = that name)."""

    def openssl(command: str, *args: str) -> None:
        argv = ["openssl", *command.split(), *args]
        subprocess.run(argv, cwd=folder, check=True, capture_output=True, timeout=60)

    new_key = "-newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes"
    openssl(
        f"req -x509 {new_key} -keyout ca.key -out ca.pem -days 2",
        *("-subj", "/CN=failover test CA"),
        *("-addext", "basicConstraints=critical,CA:TRUE"),
        *("-addext", "keyUsage=critical,keyCertSign,cRLSign"),
    )
    for name in names:
        (folder / f"{name}.ext").write_text(
            f"subjectAltName=DNS:{name}\nbasicConstraints=critical,CA:FALSE\n"
            "keyUsage=critical,digitalSignature\nextendedKeyUsage=serverAuth\n"
            "authorityKeyIdentifier=keyid\nsubjectKeyIdentifier=hash\n"
        )
        openssl(f"req {new_key} -keyout {name}.key -out {name}.csr", "-subj", f"/CN={name}")
        openssl(
            f"x509 -req -in {name}.csr -CA ca.pem -CAkey ca.key -CAcreateserial -days 2",
            *("-extfile", f"{name}.ext", "-out", f"{name}.pem"),
        )
    return Pki(folder / "ca.pem")


def make_inventory(
    checks: list[dict[str, Any]],
    *,
    hosts: tuple[str, ...] = ("primary", "standby"),
    control_targets: tuple[str, ...] = (),
    folder: Path = Path("/nonexistent"),
) -> Inventory:
    """A minimal valid inventory whose hosts all live at 127.0.0.1."""
    return Inventory.parse(
        {
            "site": "shop.test",
            "path": folder / "inventory.yaml",
            "state_dir": folder / ".failover",
            "hosts": {name: {"address": "127.0.0.1"} for name in hosts},
            "ssh": {"known_hosts": folder / "known_hosts"},
            "dns": [
                {
                    "provider": "powerdns",
                    "zone": "shop.test",
                    "api_url": "http://127.0.0.1:1",
                    "api_key": "x",
                    "records": [{"name": "@", "type": "A"}],
                }
            ],
            "checks": checks,
            "control_targets": list(control_targets),
        }
    )


# The servers themselves: if these fail, the check tests would prove nothing.


def test_silent_server_accepts_and_says_nothing() -> None:
    with silent_server() as port, socket.create_connection(("127.0.0.1", port), timeout=2) as c:
        c.settimeout(0.2)
        with pytest.raises(TimeoutError):
            c.recv(1)


def test_refusing_port_refuses() -> None:
    with refusing_port() as port, pytest.raises(ConnectionRefusedError):
        socket.create_connection(("127.0.0.1", port), timeout=2).close()


def test_dropping_port_neither_accepts_nor_refuses() -> None:
    with dropping_port() as port, socket.socket() as c:
        c.settimeout(0.3)
        with pytest.raises(TimeoutError):
            c.connect(("127.0.0.1", port))
