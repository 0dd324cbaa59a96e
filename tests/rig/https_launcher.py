"""HTTPS server for one rig host: the webroot of http_launcher.py, over TLS on several ports.

usage: python3 https_launcher.py BIND_ADDR WEBROOT PORT:CERT:KEY [PORT:CERT:KEY ...]

Each PORT gets its own certificate (the rig serves the site's good certificate on 443 and an
expiring one on 8443). Same handler as http_launcher.py (GET /health -> "ok"), no reverse DNS.
"""

from __future__ import annotations

import functools
import ssl
import sys
import threading
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from http_launcher import Handler, Server


def serve(address: str, webroot: str, spec: str) -> Server:
    port, cert, key = spec.split(":")
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(cert, key)
    server = Server((address, int(port)), functools.partial(Handler, directory=webroot))
    server.socket = context.wrap_socket(server.socket, server_side=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    sys.stderr.write(f"serving {webroot} on https://{address}:{port}\n")
    sys.stderr.flush()
    return server


def main(argv: list[str]) -> int:
    if len(argv) < 3:
        sys.stderr.write("usage: https_launcher.py BIND_ADDR WEBROOT PORT:CERT:KEY...\n")
        return 2
    servers = [serve(argv[0], argv[1], spec) for spec in argv[2:]]
    threading.Event().wait()  # until SIGTERM
    for s in servers:
        s.shutdown()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
