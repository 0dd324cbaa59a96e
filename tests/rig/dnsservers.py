"""The DNS servers beyond the rig's PowerDNS: BIND (RFC 2136 + TSIG), moto (Route 53 API) and a
second PowerDNS (a second authoritative nameserver for dns_verify). Loopback only.

    with DnsServers(Path(tmp), port_offset=0) as servers:
        servers.bind.server      # "127.0.0.1:5354"
        servers.moto.url         # "http://127.0.0.1:5000"
        servers.pdns2.api_url    # "http://127.0.0.1:8082"
"""

from __future__ import annotations

import logging
import os
import shutil
import sys
import tempfile
from pathlib import Path
from types import TracebackType

from .bind import BindController
from .daemon import Daemon, stop_all
from .moto import AWS_ENV, MotoController
from .pdns import PdnsController
from .proc import RigError

log = logging.getLogger(__name__)

BIND_ZONES = ["rfc.test.", "two.test.", "bench-rfc.test.", "dual.test."]


class DnsServers:
    """Starts the three daemons in parallel (ready in ~1 s); `stop()` leaves nothing behind."""

    def __init__(self, base_dir: Path | None = None, port_offset: int = 0,
                 python: str = sys.executable) -> None:
        self.dir = Path(base_dir or tempfile.mkdtemp(prefix="failover-dns-"))
        logs = self.dir / "log"
        self.bind = BindController(self.dir / "bind", logs / "named.log", 5354 + port_offset,
                                   BIND_ZONES)
        self.moto = MotoController(logs / "moto.log", 5000 + port_offset, python)
        self.pdns2 = PdnsController(self.dir / "pdns2", logs / "pdns2.log", 5355 + port_offset,
                                    8082 + port_offset)
        self.pdns2.name = "pdns2"
        self.pdns2.proc.name = "pdns2"
        self._saved_env: dict[str, str | None] = {}

    @property
    def daemons(self) -> list[Daemon]:
        return [self.bind, self.moto, self.pdns2]

    def aws_env(self) -> dict[str, str]:
        return dict(AWS_ENV)

    def start(self) -> None:
        try:
            for d in self.daemons:
                d.start(wait=False)
            for d in self.daemons:
                d.wait_ready(30.0)
        except BaseException:
            self.stop()
            raise
        # boto3's chain reads the environment: the tests' in-process providers find these
        for key, value in AWS_ENV.items():
            self._saved_env[key] = os.environ.get(key)
            os.environ[key] = value

    def stop(self) -> None:
        errors = stop_all(self.daemons)
        for key, value in self._saved_env.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value
        shutil.rmtree(self.dir, ignore_errors=True)
        if errors:
            raise RigError("dns servers teardown incomplete: " + "; ".join(errors))

    def logs(self, lines: int = 30) -> str:
        return "\n".join(d.log_tail(lines) for d in self.daemons)

    def __enter__(self) -> DnsServers:
        self.start()
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.stop()
