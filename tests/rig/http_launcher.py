"""Static HTTP server for one rig host (RECIPE 2.3); stdlib only, run as a script.

usage: python3 http_launcher.py BIND_ADDR[,BIND_ADDR6] PORT WEBROOT

Like ``python3 -m http.server`` but without its reverse-DNS lookup of the bind address
(HTTPServer.server_bind calls socket.getfqdn()).  GET /health always answers 200 "ok", even if
WEBROOT is missing, empty or a dangling symlink.  Every other path is resolved against WEBROOT
per request, following symlinks, so WEBROOT may be (re)pointed at a release dir at any time.
"""

from __future__ import annotations

import functools
import http.server
import logging
import socket
import socketserver
import sys
import threading

log = logging.getLogger(__name__)


class Server(http.server.ThreadingHTTPServer):
    daemon_threads = True

    def server_bind(self) -> None:  # skip HTTPServer.server_bind's socket.getfqdn() lookup
        socketserver.TCPServer.server_bind(self)
        host, port = self.server_address[:2]
        self.server_name, self.server_port = str(host), int(port)


class Server6(Server):
    address_family = socket.AF_INET6


class Handler(http.server.SimpleHTTPRequestHandler):
    def _health(self, body: bool) -> None:
        payload = b"ok\n"
        self.send_response(200)
        self.send_header("Content-Type", "text/plain")
        self.send_header("Content-Length", str(len(payload)))
        self.send_header("Cache-Control", "no-store")
        self.end_headers()
        if body:
            self.wfile.write(payload)

    def do_GET(self) -> None:
        if self.path.split("?", 1)[0] == "/health":
            self._health(body=True)
        else:
            super().do_GET()

    def do_HEAD(self) -> None:
        if self.path.split("?", 1)[0] == "/health":
            self._health(body=False)
        else:
            super().do_HEAD()

    def log_message(self, format: str, *args: object) -> None:
        sys.stderr.write(f"{self.address_string()} - {format % args}\n")
        sys.stderr.flush()


def main(argv: list[str]) -> int:
    if len(argv) != 3:
        sys.stderr.write("usage: http_launcher.py BIND_ADDR[,BIND_ADDR6] PORT WEBROOT\n")
        return 2
    addresses, port, webroot = argv[0].split(","), int(argv[1]), argv[2]
    handler = functools.partial(Handler, directory=webroot)
    servers = [(Server6 if ":" in a else Server)((a, port), handler) for a in addresses]
    for server in servers[1:]:  # one thread per extra address (IPv6, issue 20)
        threading.Thread(target=server.serve_forever, daemon=True).start()
    sys.stderr.write(f"serving {webroot} on {', '.join(addresses)} port {port}\n")
    sys.stderr.flush()
    servers[0].serve_forever()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
