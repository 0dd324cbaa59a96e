"""A real HTTP reverse proxy on 127.0.0.1 that forwards to a real API and injects the faults a
healthy server never shows on cue: throttling errors, 5xx in the middle of a sequence, answers
rewritten (Route 53 PENDING). It counts every request, so tests can assert API call counts.

    with FaultProxy(moto.url) as proxy:
        proxy.add_rule(Rule(match=lambda m, p, b: b"ChangeResourceRecordSets" in b, times=2,
                            status=400, body=THROTTLED))
        ... endpoint_url=proxy.url ...
"""

from __future__ import annotations

import http.server
import socketserver
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from types import TracebackType

import requests

Match = Callable[[str, str, bytes], bool]  # (method, path, request body)


@dataclass
class Rule:
    """Answer `status`/`body` instead of forwarding, for `times` matching requests after `skip`;
    or (status None) forward and pass the answer through `rewrite`."""

    match: Match
    times: int = 1
    skip: int = 0
    status: int | None = 500
    body: bytes = b""
    content_type: str = "text/xml"
    rewrite: Callable[[bytes], bytes] | None = None
    delay: float = 0.0  # seconds to sit on the request first (past the client's timeout: a hang)
    seen: int = field(default=0)


class _Server(http.server.ThreadingHTTPServer):
    daemon_threads = True

    def server_bind(self) -> None:  # no socket.getfqdn() lookup (RECIPE section 0)
        socketserver.TCPServer.server_bind(self)
        self.server_name, self.server_port = "127.0.0.1", self.server_address[1]


class FaultProxy:
    def __init__(self, target: str) -> None:
        self.target = target.rstrip("/")
        self.rules: list[Rule] = []
        self.requests: list[tuple[str, str, bytes]] = []
        self.lock = threading.Lock()
        proxy = self

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def _handle(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                status, headers, payload = proxy._answer(self.command, self.path, body,
                                                         dict(self.headers))
                self.send_response(status)
                for k, v in headers.items():
                    self.send_header(k, v)
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

            do_GET = do_POST = do_PATCH = do_PUT = do_DELETE = _handle

            def log_message(self, format: str, *args: object) -> None:
                return None

        self.server = _Server(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def add_rule(self, rule: Rule) -> Rule:
        self.rules.append(rule)
        return rule

    def count(self, match: Match) -> int:
        with self.lock:
            return sum(1 for r in self.requests if match(*r))

    def _answer(self, method: str, path: str, body: bytes,
                headers: dict[str, str]) -> tuple[int, dict[str, str], bytes]:
        rewrite, delay = None, 0.0
        with self.lock:
            self.requests.append((method, path, body))
            for rule in self.rules:
                if rule.match(method, path, body):
                    rule.seen += 1
                    if rule.skip < rule.seen <= rule.skip + rule.times:
                        delay = rule.delay
                        if rule.status is not None:
                            answer = rule.status, {"Content-Type": rule.content_type}, rule.body
                            break
                        rewrite = rule.rewrite
            else:
                answer = None
        if delay:
            time.sleep(delay)
        if answer is not None:
            return answer
        keep = {k: v for k, v in headers.items()
                if k.lower() not in ("host", "content-length", "connection", "accept-encoding")}
        with requests.Session() as s:
            s.trust_env = False
            r = s.request(method, self.target + path, data=body, headers=keep, timeout=30)
        payload = r.content
        if rewrite is not None:
            payload = rewrite(payload)
        out = {k: v for k, v in r.headers.items()
               if k.lower() in ("content-type", "x-amzn-requestid")}
        return r.status_code, out, payload

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()
        self.thread.join()

    def __enter__(self) -> FaultProxy:
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.close()
