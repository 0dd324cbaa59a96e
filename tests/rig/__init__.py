"""Real-server test rig: two host namespaces (sshd + HTTP) and PowerDNS, on one machine.

    from tests.rig import Rig
    with Rig() as rig:
        rig.hosts["primary"].address          # "10.203.0.11"
        rig.pdns.create_zone("shop.test.", {("www", "A"): (60, ["10.203.0.11"])})

Recipe and network rule: /work/shared/rig/RECIPE.md.  Traffic only to 127.0.0.1 and the
namespace addresses NET.11 / NET.12 (and their ULA twins, netns.ula_prefix); the namespaces have
no default route.  Needs root.
"""

from __future__ import annotations

import logging
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path
from types import TracebackType
from typing import Any

from .daemon import Daemon, stop_all
from .databases import start_servers
from .dbserver import DatabaseServer
from .hosts import RigHost, Undo
from .netns import Network
from .pdns import PdnsController
from .proc import RigError, stray_pids, terminate_pid
from .sshd import SshClient, cleanup_run_sshd, ensure_run_sshd
from .state import read_state, restore_state, save_state

__all__ = ["Rig", "RigError", "RigHost", "Undo", "port_offset"]

log = logging.getLogger(__name__)

HOSTS = {"primary": 11, "standby": 12}


def port_offset() -> int:
    """FAILOVER_RIG_PORT_OFFSET: added to every loopback port, so rigs run side by side."""
    return int(os.environ.get("FAILOVER_RIG_PORT_OFFSET", "0"))


class Rig:
    """The whole rig; ``start()`` brings it up (~1 s), ``stop()`` removes every trace."""

    def __init__(
        self,
        base_dir: str | Path | None = None,
        net: str = "10.203.0",
        prefix: str = "rig",
        pdns_dns_port: int = 5353,
        pdns_api_port: int = 8081,
        *,
        pdns_api_key: str | None = None,
        python: str = sys.executable,
        keep_dir: bool = False,
        ready_timeout: float = 20.0,
    ) -> None:
        if base_dir is None:
            self.dir = Path(tempfile.mkdtemp(prefix="failover-rig-"))
            self.owns_dir = True
        else:
            self.dir = Path(base_dir).absolute()
            self.owns_dir = not self.dir.exists() or not any(self.dir.iterdir())
        self.params: dict[str, Any] = {
            "net": net,
            "prefix": prefix,
            "python": python,
            "pdns_dns_port": pdns_dns_port,
            "pdns_api_port": pdns_api_port,
        }
        self.keep_dir = keep_dir
        self.ready_timeout = ready_timeout
        self.log_dir = self.dir / "log"
        self.network = Network(prefix, net, HOSTS)
        self.client = SshClient(self.dir / "client")
        self.hosts: dict[str, RigHost] = {
            name: RigHost(
                name, self.network.hosts[name], self.dir / name, self.client, self.log_dir, python
            )
            for name in HOSTS
        }
        self.pdns = PdnsController(
            self.dir / "pdns", self.log_dir / "pdns.log", pdns_dns_port, pdns_api_port, pdns_api_key
        )
        self.started = False
        self.timings: dict[str, float] = {}
        for d in self.all_daemons:
            d.on_change = self._save_state

    @classmethod
    def from_env(cls, **kwargs: Any) -> Rig:
        """The rig whose identity the environment names (defaults: prefix rig, 10.203.0, 0).

        FAILOVER_RIG_PREFIX, FAILOVER_RIG_NET and FAILOVER_RIG_PORT_OFFSET let rigs run side by
        side; tests, the demo and the benches all take their rig from here.
        """
        offset = port_offset()
        return cls(
            net=os.environ.get("FAILOVER_RIG_NET", "10.203.0"),
            prefix=os.environ.get("FAILOVER_RIG_PREFIX", "rig"),
            pdns_dns_port=5353 + offset,
            pdns_api_port=8081 + offset,
            **kwargs,
        )

    # -- accessors -------------------------------------------------------------------------
    @property
    def daemons(self) -> list[Daemon]:
        """The daemons ``start()`` starts."""
        return [*(d for h in self.hosts.values() for d in h.daemons), self.pdns]

    @property
    def database_servers(self) -> list[DatabaseServer]:
        """MariaDB and PostgreSQL per host: only ``start_databases()`` starts them."""
        return [d for h in self.hosts.values() for d in h.database_servers]

    @property
    def all_daemons(self) -> list[Daemon]:
        """Everything ``stop()`` stops and the state file records."""
        return [*self.daemons, *self.database_servers]

    @property
    def client_key(self) -> Path:
        return self.client.key

    @property
    def known_hosts(self) -> Path:
        return self.client.known_hosts

    @property
    def primary(self) -> RigHost:
        return self.hosts["primary"]

    @property
    def standby(self) -> RigHost:
        return self.hosts["standby"]

    def ssh_options(self) -> list[str]:
        """ssh options: rig key, rig known_hosts, StrictHostKeyChecking=yes, BatchMode."""
        return self.client.options()

    def rsync_rsh(self) -> str:
        """Value for ``rsync -e``."""
        return self.client.rsync_rsh()

    def env(self) -> dict[str, str]:
        """KEY=VALUE endpoints (also printed by ``python -m tests.rig up``)."""
        env = {
            "PRIMARY_IP": self.primary.address,
            "STANDBY_IP": self.standby.address,
            "PRIMARY_IP6": self.primary.address6,
            "STANDBY_IP6": self.standby.address6,
            "PDNS_API_URL": self.pdns.api_url,
            "PDNS_API_KEY": self.pdns.api_key,
            "PDNS_DNS_PORT": str(self.pdns.dns_port),
            "PDNS_DNS_ADDRESS": self.pdns.dns_address,
            "PDNS_SERVER_ID": self.pdns.server_id,
            "RIG_DIR": str(self.dir),
            "CLIENT_KEY": str(self.client_key),
            "KNOWN_HOSTS": str(self.known_hosts),
            "TLS_CA": str(self.dir / "tls" / "ca.pem"),  # signs each host's :443/:8443/:25 certs
        }
        for h in self.hosts.values():
            up = h.name.upper()
            env |= {
                f"{up}_NETNS": h.namespace,
                f"{up}_DIR": str(h.dir),
                f"{up}_WEBROOT": str(h.webroot),
                f"{up}_DATA": str(h.data_dir),
            }
        return env

    def logs(self, lines: int = 30) -> str:
        """Tails of every daemon log, for failure reports."""
        ran = [d for d in self.database_servers if d.log_path.exists()]
        return "\n".join(d.log_tail(lines) for d in [*self.daemons, *ran])

    # -- lifecycle -------------------------------------------------------------------------
    def __enter__(self) -> Rig:
        self.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    def start(self) -> None:
        if self.started:
            raise RigError(f"rig {self.dir} is already started")
        if not self.owns_dir:
            raise RigError(f"base_dir {self.dir} must be empty or not exist")
        if os.geteuid() != 0:
            raise RigError("the rig needs root (network namespaces, sshd on port 22)")
        for tool in ("ip", "ssh", "ssh-keygen", "/usr/sbin/sshd", "/usr/sbin/pdns_server"):
            if shutil.which(tool) is None:
                raise RigError(
                    f"{tool} not found (apt-get install openssh-server pdns-server "
                    "pdns-backend-sqlite3 rsync iproute2)"
                )
        t0 = time.monotonic()
        try:
            self._start()
        except BaseException as exc:
            detail = "" if isinstance(exc, RigError) else f"\n{self.logs()}"
            log.info("rig start failed, cleaning up: %s", exc)
            try:
                self.stop()
            except RigError as stop_exc:
                log.error("cleanup after failed start: %s", stop_exc)
            if isinstance(exc, Exception):
                raise RigError(f"rig start failed: {exc}{detail}") from exc
            raise
        self.timings["start"] = time.monotonic() - t0
        log.info("rig up in %.2fs: %s", self.timings["start"], self.dir)

    def _start(self) -> None:
        t0 = time.monotonic()
        self.dir.mkdir(parents=True, exist_ok=True)
        self.log_dir.mkdir(exist_ok=True)
        self.started = True
        self._save_state()
        self.network.create()
        self._save_state()
        self.timings["network"] = time.monotonic() - t0
        ensure_run_sshd()
        self.client.create()
        self.pdns.database.unlink(missing_ok=True)  # fresh zones (a kept dir may have old ones)
        for h in self.hosts.values():
            h.webroot.mkdir(parents=True, exist_ok=True)
            h.data_dir.mkdir(parents=True, exist_ok=True)
            h.sshd.create_keys()
            self.client.add_known_host(h.address, h.host_key_pub)
            self.client.add_known_host(h.address6, h.host_key_pub)
        self.timings["keys"] = time.monotonic() - t0 - self.timings["network"]
        t1 = time.monotonic()
        for d in self.daemons:
            d.start(wait=False)
        for d in self.daemons:
            d.wait_ready(self.ready_timeout)
        self.timings["daemons"] = time.monotonic() - t1

    def start_databases(
        self, engines: tuple[str, ...] = ("mariadb", "postgresql"), hosts: tuple[str, ...] = ()
    ) -> list[DatabaseServer]:
        """Start these engines' servers on these hosts (default: all) in parallel, and wait for
        them: 1.7-2.5 s for both engines on both hosts the first time (databases.py)."""
        if not self.started:
            raise RigError("start the rig before its databases")
        servers = [d for d in self.database_servers
                   if d.engine in engines and (not hosts or d.host in hosts)]
        start_servers(servers)
        return servers

    def stop_databases(self) -> None:
        errors = stop_all(list(self.database_servers))
        if errors:
            raise RigError("database servers did not stop: " + "; ".join(errors))

    def stop(self) -> None:
        """RECIPE 6: TERM recorded pids, kill leftovers, del veths/netns/bridge, rm dir."""
        t0 = time.monotonic()
        errors = stop_all(self.all_daemons)
        for pid, starttime in stray_pids(self.dir):
            log.warning("killing stray rig process %d", pid)
            terminate_pid(pid, starttime)
        try:
            self.network.destroy()
        except RigError as exc:
            errors.append(str(exc))
        cleanup_run_sshd()
        self.started = False
        if self.owns_dir and not self.keep_dir:
            shutil.rmtree(self.dir, ignore_errors=True)
        self.timings["stop"] = time.monotonic() - t0
        log.info("rig down in %.2fs", self.timings["stop"])
        if errors:
            raise RigError("rig teardown incomplete: " + "; ".join(errors))

    # -- state file (for ``python -m tests.rig up/down``) ---------------------------------
    def _save_state(self) -> None:
        if self.started and self.dir.is_dir():
            save_state(self)

    @classmethod
    def attach(cls, base_dir: str | Path) -> Rig:
        """A Rig object for a rig started by another process (reads DIR/rig-state.json)."""
        path, state = read_state(base_dir)
        rig = cls(path.parent, pdns_api_key=state["pdns_api_key"], **state["params"])
        restore_state(rig, state)
        return rig
