"""RigHost: one simulated host (namespace + sshd + HTTP) and its failure switches."""

from __future__ import annotations

import logging
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from types import TracebackType

from .daemon import Daemon
from .dbserver import DatabaseServer
from .httpd import HttpController
from .mariadb import MariaDb
from .netns import NetHost, set_address6
from .postgres import Postgres
from .proc import RigError
from .sshd import SshClient, SshdController
from .tlsd import HttpsController, SmtpController

log = logging.getLogger(__name__)


class Undo:
    """Returned by the failure switches: use as a context manager to switch back on exit."""

    def __init__(self, undo: Callable[[], None], value: str = "") -> None:
        self._undo = undo
        self.value = value

    def __enter__(self) -> Undo:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self._undo()


class RigHost:
    """One host: network namespace ``<prefix>-<name>`` with sshd on :22 and HTTP on :80."""

    def __init__(
        self,
        name: str,
        net: NetHost,
        host_dir: Path,
        client: SshClient,
        log_dir: Path,
        python: str = sys.executable,
    ) -> None:
        self.name = name
        self.net = net
        self.address = net.address
        self.address6 = net.address6  # ULA on the same link (issue 20)
        self.address6_removed = False
        self.namespace = net.namespace
        self.dir = host_dir
        self.webroot = host_dir / "www"
        self.data_dir = host_dir / "data"  # scratch space "on" this host (shared filesystem)
        self.client = client
        self.sshd = SshdController(
            name, net.namespace, net.address, host_dir, client, log_dir / f"sshd-{name}.log",
            net.address6,
        )
        self.http = HttpController(
            name,
            net.namespace,
            net.address,
            self.webroot,
            log_dir / f"http-{name}.log",
            python=python,
            address6=net.address6,
        )
        # TLS servers (issue 3): HTTPS :443/:8443 and SMTP :25, certificates in RIG_DIR/tls
        self.https = HttpsController(
            name, net.namespace, net.address, self.webroot, host_dir.parent / "tls",
            log_dir / f"https-{name}.log", python=python,
        )
        self.smtp = SmtpController(
            name, net.namespace, net.address, host_dir.parent / "tls",
            log_dir / f"smtp-{name}.log", python=python,
        )
        # database servers (issue 12): on demand only, Rig.start_databases() (databases.py)
        self.mariadb = MariaDb(name, net, host_dir, log_dir / f"mariadb-{name}.log")
        self.postgres = Postgres(name, net, host_dir, log_dir / f"postgresql-{name}.log")

    def __repr__(self) -> str:
        return f"RigHost({self.name!r}, {self.address}, ns={self.namespace})"

    @property
    def host_key_pub(self) -> str:
        """The host's real key ("ssh-ed25519 AAAA..."), as listed in the rig's known_hosts."""
        return self.sshd.host_key_pub

    @property
    def daemons(self) -> list[Daemon]:
        """The daemons every rig start starts."""
        return [self.sshd, self.http, self.https, self.smtp]

    @property
    def database_servers(self) -> list[DatabaseServer]:
        """Started only on demand (``Rig.start_databases()``)."""
        return [self.mariadb, self.postgres]

    # -- failure switches ----------------------------------------------------------------
    def link_down(self) -> Undo:
        """Root-side veth down: connects to this host time out (neighbour entry pinned)."""
        log.info("%s: link down", self.name)
        self.net.set_link(False)
        return Undo(self.link_up)

    def link_up(self) -> None:
        log.info("%s: link up", self.name)
        self.net.set_link(True)

    def link_is_up(self) -> bool:
        return self.net.link_is_up()

    def stop_http(self) -> Undo:
        """Kill the HTTP server: connects to :80 are refused at once."""
        log.info("%s: stop http", self.name)
        self.http.stop()
        return Undo(self.start_http)

    def start_http(self) -> None:
        if not self.http.running():
            log.info("%s: start http", self.name)
            self.http.start()

    def http_ipv4_only(self) -> Undo:
        """Restart the HTTP server bound to the IPv4 address only: IPv6 connects are refused."""
        log.info("%s: http on IPv4 only", self.name)
        self.http.stop()
        self.http.ipv4_only = True
        self.http.start()
        return Undo(self.http_dual_stack)

    def http_dual_stack(self) -> None:
        if self.http.ipv4_only or not self.http.running():
            self.http.stop()
            self.http.ipv4_only = False
            self.http.start()

    def remove_address6(self) -> Undo:
        """Take the host's IPv6 address off its link (IPv4 keeps serving): IPv6 connects to it
        time out (its neighbour entry on the bridge is pinned)."""
        log.info("%s: IPv6 address removed", self.name)
        set_address6(self.net, present=False)
        self.address6_removed = True
        return Undo(self.restore_address6)

    def restore_address6(self) -> None:
        if self.address6_removed:  # a flag, not a look: reset() runs after every test
            set_address6(self.net, present=True)
            self.address6_removed = False

    def stop_sshd(self) -> Undo:
        self.sshd.stop()
        return Undo(self.start_sshd)

    def start_sshd(self) -> None:
        if not self.sshd.running():
            self.sshd.start()

    def wrong_host_key(self) -> Undo:
        """Restart sshd with a freshly generated host key (Undo.value = its public key)."""
        log.info("%s: presenting a wrong host key", self.name)
        return Undo(self.restore_host_key, self.sshd.present_wrong_key())

    def restore_host_key(self) -> None:
        log.info("%s: restoring the original host key", self.name)
        self.sshd.restore_key()

    def hide_tools(self, *names: str) -> Undo:
        """Restart sshd so its sessions get a PATH without these tools (other hosts keep theirs).

        The namespaces share the filesystem, so a tool cannot be uninstalled for one host: its
        sessions get `SetEnv PATH=<dir>` instead, a dir of links to every /usr/bin, /bin and
        /usr/sbin tool but those.
        """
        bin_dir = self.dir / ("bin-without-" + "-".join(sorted(names)))
        if not bin_dir.is_dir():
            bin_dir.mkdir()
            for src in (Path("/usr/bin"), Path("/bin"), Path("/usr/sbin")):
                for tool in src.iterdir():
                    link = bin_dir / tool.name
                    if tool.name not in names and not link.exists() and not link.is_symlink():
                        link.symlink_to(tool)
        log.info("%s: %s hidden from sshd sessions", self.name, ", ".join(names))
        self.sshd.extra_options = [f"SetEnv PATH={bin_dir}"]
        self.sshd.stop()
        self.sshd.start()
        return Undo(self.show_tools)

    def show_tools(self) -> None:
        if self.sshd.extra_options:
            self.sshd.extra_options = []
            self.sshd.stop()
            self.sshd.start()

    def reset(self) -> None:
        """Undo every failure switch: link up, http + sshd running, original host key."""
        if not self.link_is_up():
            self.link_up()
        self.restore_address6()
        self.http_dual_stack()
        self.show_tools()
        if self.sshd.wrong_key_active or not self.sshd.running():
            self.restore_host_key()
        self.start_http()
        for tls_daemon in (self.https, self.smtp):
            if not tls_daemon.running():
                tls_daemon.start()

    # -- doing things on / with the host -------------------------------------------------
    def run(
        self,
        argv: list[str],
        timeout: float = 60.0,
        check: bool = False,
        input_text: str | None = None,
    ) -> subprocess.CompletedProcess[str]:
        """Run ``argv`` inside the namespace (``ip netns exec``), capturing output."""
        cp = subprocess.run(
            self.net.exec_argv(list(argv)),
            capture_output=True,
            text=True,
            timeout=timeout,
            input=input_text,
            check=False,
            stdin=None if input_text is not None else subprocess.DEVNULL,
        )
        if check and cp.returncode != 0:
            raise RigError(f"{self.name}: {argv} -> rc {cp.returncode}: {cp.stderr.strip()}")
        return cp

    def ssh(
        self, command: list[str], timeout: float = 60.0, known_hosts: Path | None = None
    ) -> subprocess.CompletedProcess[str]:
        """Run ``command`` on the host over ssh with the rig's key and strict known_hosts."""
        return subprocess.run(
            self.client.ssh_argv(self.address, command, known_hosts),
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
            stdin=subprocess.DEVNULL,
        )

    def get(self, path: str = "/", timeout: float = 2.0) -> tuple[int, bytes]:
        """HTTP GET http://ADDRESS<path> -> (status, body)."""
        return self.http.get(path, timeout)
