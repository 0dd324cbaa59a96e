"""Controllers for a host's TLS servers: HTTPS (:443 good cert, :8443 expiring) and SMTP (:25).

Both run inside the host's namespace like HttpController; certificates come from tests/rig/tls.py
(created on first start in RIG_DIR/tls, shared by both hosts, signed by one rig CA).
"""

from __future__ import annotations

import socket
import sys
from pathlib import Path

from . import tls
from .daemon import Daemon

HERE = Path(__file__).parent
SMTP_PORT = 25


def _banner(address: str, port: int, timeout: float = 1.0) -> bytes:
    with socket.create_connection((address, port), timeout=timeout) as s:
        return s.recv(512)


def _connects(address: str, port: int) -> bool:
    try:
        with socket.create_connection((address, port), timeout=1.0):
            return True
    except OSError:
        return False


class HttpsController(Daemon):
    """``ip netns exec NS python https_launcher.py ADDRESS WEBROOT 443:site 8443:expiring``."""

    def __init__(self, host: str, namespace: str, address: str, webroot: Path, tls_dir: Path,
                 log_path: Path, python: str = sys.executable) -> None:
        super().__init__(f"https-{host}", log_path)
        self.namespace, self.address, self.webroot = namespace, address, webroot
        self.tls_dir, self.python = tls_dir, python

    def prepare(self) -> None:
        tls.ensure(self.tls_dir)
        self.webroot.mkdir(parents=True, exist_ok=True)

    def argv(self) -> list[str]:
        specs = [f"{port}:{self.tls_dir / name}.pem:{self.tls_dir / name}.key"
                 for port, name in ((tls.HTTPS_PORT, "site"), (tls.HTTPS_EXPIRING_PORT,
                                                               "expiring"))]
        return ["ip", "netns", "exec", self.namespace, self.python,
                str(HERE / "https_launcher.py"), self.address, str(self.webroot), *specs]

    def is_accessible(self) -> bool:
        return all(_connects(self.address, p) for p in (tls.HTTPS_PORT, tls.HTTPS_EXPIRING_PORT))


class SmtpController(Daemon):
    """``ip netns exec NS python smtp_launcher.py ADDRESS 25 CERT KEY`` (aiosmtpd, STARTTLS)."""

    def __init__(self, host: str, namespace: str, address: str, tls_dir: Path, log_path: Path,
                 python: str = sys.executable) -> None:
        super().__init__(f"smtp-{host}", log_path)
        self.namespace, self.address, self.tls_dir, self.python = (namespace, address, tls_dir,
                                                                   python)

    def prepare(self) -> None:
        tls.ensure(self.tls_dir)

    def argv(self) -> list[str]:
        return ["ip", "netns", "exec", self.namespace, self.python,
                str(HERE / "smtp_launcher.py"), self.address, str(SMTP_PORT),
                str(self.tls_dir / "site.pem"), str(self.tls_dir / "site.key")]

    def is_accessible(self) -> bool:
        try:
            return _banner(self.address, SMTP_PORT).startswith(b"220")
        except OSError:
            return False
