"""SMTP server for one rig host (aiosmtpd, RECIPE 2.4): greets 220, answers EHLO, STARTTLS.

usage: python3 smtp_launcher.py BIND_ADDR PORT CERT KEY

Mail is accepted and dropped (Sink). `server_hostname` is set, so aiosmtpd never calls
socket.getfqdn() (a reverse-DNS lookup to the system resolver).
"""

from __future__ import annotations

import signal
import ssl
import sys
import threading

from aiosmtpd.controller import Controller
from aiosmtpd.handlers import Sink


def main(argv: list[str]) -> int:
    if len(argv) != 4:
        sys.stderr.write("usage: smtp_launcher.py BIND_ADDR PORT CERT KEY\n")
        return 2
    address, port, cert, key = argv[0], int(argv[1]), argv[2], argv[3]
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(cert, key)
    controller = Controller(Sink(), hostname=address, port=port, server_hostname="mx.shop.test",
                            tls_context=context, require_starttls=False, ready_timeout=10)
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    controller.start()
    sys.stderr.write(f"smtp on {address}:{port}\n")
    sys.stderr.flush()
    stop.wait()
    controller.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
