"""Bridge + one network namespace per host, joined by veth pairs (RECIPE 2.1).

The namespaces get an address on NET.0/24 and no default route, so nothing started in them
can reach beyond that /24.  The root side of each veth is a bridge port; its neighbour entry is
pinned so that ``link_down()`` gives a clean connect timeout (RECIPE 2.6, pitfall 4).

IPv6 (issue 20, RECIPE 5d): each host's eth0 and the bridge also get an address in a ULA /64
derived from NET (``ula_prefix``: 10.203.200 -> fd0a:cbc8::/64), so rigs side by side never share
one. Added with ``nodad`` and ``addrgenmode none`` (no link-local address, no duplicate address
detection, no router solicitations): usable at once, and nothing else IPv6 happens on the link.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import logging
import os
import signal
from dataclasses import dataclass
from pathlib import Path

from .proc import RigError, run, wait_until

log = logging.getLogger(__name__)

MAX_LINK_NAME = 15
OWNER_DIR = Path("/run/failover-rig")  # tmpfs: a reboot forgets every owner with the namespaces


def link_exists(name: str) -> bool:
    return Path("/sys/class/net", name).exists()


def netns_exists(name: str) -> bool:
    return Path("/run/netns", name).exists()


def ula_prefix(net: str) -> str:
    """The rig's IPv6 /64 for the IPv4 /24 `net`: 10.203.200 -> "fd0a:cbc8:" (+ ":11")."""
    a, b, c = (int(part) for part in net.split("."))
    return f"fd{a:02x}:{b:02x}{c:02x}:"


def _disable_ipv6_root(link: str) -> None:
    path = Path("/proc/sys/net/ipv6/conf", link, "disable_ipv6")
    if path.exists():
        path.write_text("1\n")


def _check_link_name(name: str) -> str:
    if len(name) > MAX_LINK_NAME:
        raise RigError(
            f"link name {name!r} longer than {MAX_LINK_NAME} characters; use a shorter prefix"
        )
    return name


@dataclass
class NetHost:
    """Network side of one host: namespace, root-side veth, address."""

    namespace: str
    veth: str
    address: str
    address6: str = ""  # a ULA address on the same link (issue 20)

    def set_link(self, up: bool, timeout: float = 5.0) -> None:
        run(["ip", "link", "set", self.veth, "up" if up else "down"])
        operstate = Path("/sys/class/net", self.veth, "operstate")
        want = "up" if up else "down"
        if not wait_until(lambda: operstate.read_text().strip() == want, timeout):
            raise RigError(f"{self.veth} did not become {want} within {timeout}s")

    def link_is_up(self) -> bool:
        return Path("/sys/class/net", self.veth, "operstate").read_text().strip() == "up"

    def exec_argv(self, argv: list[str]) -> list[str]:
        return ["ip", "netns", "exec", self.namespace, *argv]


class Network:
    """Creates/destroys the bridge ``<prefix>-br`` and the hosts' namespaces and veths."""

    def __init__(self, prefix: str, net: str, hosts: dict[str, int]) -> None:
        self.prefix = prefix
        self.net = net
        self.bridge = _check_link_name(f"{prefix}-br")
        self.hosts: dict[str, NetHost] = {}
        self.owned = False  # True once create() got past the leftover check
        self._owner: int | None = None  # fd holding the flock on OWNER_DIR/<prefix>.lock
        for name, octet in hosts.items():
            veth = _check_link_name(f"{prefix}-v{name[0]}")
            self.hosts[name] = NetHost(f"{prefix}-{name}", veth, f"{net}.{octet}",
                                       f"{ula_prefix(net)}:{octet}")
        if len({h.veth for h in self.hosts.values()}) != len(self.hosts):
            raise RigError(f"host names must start with different letters: {list(hosts)}")

    @property
    def bridge_address(self) -> str:
        """Lives in the root namespace; never a test target (RECIPE 0)."""
        return f"{self.net}.1"

    @property
    def bridge_address6(self) -> str:
        return f"{ula_prefix(self.net)}:1"

    def leftovers(self) -> list[str]:
        found = [f"link {self.bridge}"] if link_exists(self.bridge) else []
        for h in self.hosts.values():
            found += [f"link {h.veth}"] if link_exists(h.veth) else []
            found += [f"netns {h.namespace}"] if netns_exists(h.namespace) else []
        return found

    def create(self) -> None:
        """Take the prefix's owner lock, sweep what a dead rig of that prefix left, then build.

        The lock is a flock held for the rig's lifetime, so the kernel drops it when the owner
        dies however it dies: names that exist while the lock is free are a crashed run's, and
        are removed; names whose lock is held belong to a live rig, and are left alone.
        """
        self._take_owner_lock()
        left = self.leftovers()
        if left:
            log.warning("removing what a rig that is gone left: %s", ", ".join(left))
            self.owned = True
            self.destroy(release=False)
            if self.leftovers():
                raise RigError(f"could not remove leftovers of rig {self.prefix!r}: {left}")
        self.owned = True
        run(["ip", "link", "add", self.bridge, "type", "bridge"])
        _disable_ipv6_root(self.bridge)
        run(["ip", "addr", "add", f"{self.bridge_address}/24", "dev", self.bridge])
        _enable_ipv6(None, self.bridge, self.bridge_address6)
        run(["ip", "link", "set", self.bridge, "up"])
        for h in self.hosts.values():
            self._create_host(h)

    def _create_host(self, h: NetHost) -> None:
        ns = h.namespace
        run(["ip", "netns", "add", ns])
        run(
            h.exec_argv(
                [
                    "sysctl",
                    "-qw",
                    "net.ipv6.conf.all.disable_ipv6=1",
                    "net.ipv6.conf.default.disable_ipv6=1",
                ]
            ),
            check=False,
        )
        run(["ip", "link", "add", h.veth, "type", "veth", "peer", "name", "eth0", "netns", ns])
        _disable_ipv6_root(h.veth)
        run(["ip", "link", "set", h.veth, "master", self.bridge, "up"])
        run(["ip", "-n", ns, "addr", "add", f"{h.address}/24", "dev", "eth0"])
        _enable_ipv6(ns, "eth0", h.address6)
        run(["ip", "-n", ns, "link", "set", "lo", "up"])
        run(["ip", "-n", ns, "link", "set", "eth0", "up"])
        info = json.loads(run(["ip", "-n", ns, "-j", "link", "show", "eth0"]).stdout)
        mac = info[0]["address"]
        run(
            [
                "ip",
                "neigh",
                "replace",
                h.address,
                "lladdr",
                mac,
                "dev",
                self.bridge,
                "nud",
                "permanent",
            ]
        )
        run(["ip", "-6", "neigh", "replace", h.address6, "lladdr", mac, "dev", self.bridge,
             "nud", "permanent"])
        routes = run(["ip", "-n", ns, "route", "show", "default"]).stdout.strip()
        if routes:
            raise RigError(f"namespace {ns} unexpectedly has a default route: {routes}")

    def _take_owner_lock(self) -> None:
        OWNER_DIR.mkdir(mode=0o700, exist_ok=True)
        path = OWNER_DIR / f"{self.prefix}.lock"
        fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            owner = os.read(fd, 32).decode(errors="replace").strip() or "unknown"
            os.close(fd)
            raise RigError(
                f"rig network {self.prefix!r} belongs to a rig that is running (pid {owner}); "
                "give this one another identity (FAILOVER_RIG_PREFIX, FAILOVER_RIG_NET, "
                "FAILOVER_RIG_PORT_OFFSET) or stop that one"
            ) from None
        os.ftruncate(fd, 0)
        os.pwrite(fd, f"{os.getpid()}\n".encode(), 0)
        self._owner = fd

    def _release_owner_lock(self) -> None:
        if self._owner is not None:
            os.close(self._owner)  # closing the fd drops the flock
            self._owner = None

    def kill_namespace_pids(self, timeout: float = 5.0) -> None:
        """Anything still running inside our namespaces is ours (RECIPE 6 step 2)."""
        for sig in (signal.SIGTERM, signal.SIGKILL):
            pids = self._namespace_pids()
            for pid in pids:
                log.info("killing leftover pid %d in rig namespace (%s)", pid, sig.name)
                with contextlib.suppress(ProcessLookupError):
                    os.kill(pid, sig)
            if not pids or wait_until(lambda: not self._namespace_pids(), timeout):
                return

    def _namespace_pids(self) -> list[int]:
        pids: list[int] = []
        for h in self.hosts.values():
            if netns_exists(h.namespace):
                out = run(["ip", "netns", "pids", h.namespace], check=False).stdout
                pids += [
                    int(p)
                    for p in out.split()
                    if Path(f"/proc/{p}/stat").exists() and not _is_zombie(int(p))
                ]
        return pids

    def destroy(self, timeout: float = 10.0, *, release: bool = True) -> None:
        """RECIPE 6 steps 2-3: kill leftovers, del veths (wait), del netns, del bridge."""
        if not self.owned:
            self._release_owner_lock()
            return
        self.kill_namespace_pids()
        for h in self.hosts.values():
            if link_exists(h.veth):
                run(["ip", "link", "del", h.veth], check=False)
        for h in self.hosts.values():
            _wait_link_gone(h.veth, timeout)
        for h in self.hosts.values():
            if netns_exists(h.namespace):
                run(["ip", "netns", "del", h.namespace])
        if link_exists(self.bridge):
            run(["ip", "link", "del", self.bridge])
            _wait_link_gone(self.bridge, timeout)
        self.owned = False
        if release:
            self._release_owner_lock()


def _enable_ipv6(namespace: str | None, link: str, address: str) -> None:
    """IPv6 on `link` with the one ULA `address` (/64) only: no link-local, no DAD, no RA."""
    sysctl = [f"net.ipv6.conf.{link}.disable_ipv6=0", f"net.ipv6.conf.{link}.accept_ra=0",
              f"net.ipv6.conf.{link}.autoconf=0"]
    ip = ["ip"] if namespace is None else ["ip", "-n", namespace]
    run([*ip, "link", "set", link, "addrgenmode", "none"])
    prefix = [] if namespace is None else ["ip", "netns", "exec", namespace]
    run([*prefix, "sysctl", "-qw", *sysctl])
    run([*ip, "addr", "add", f"{address}/64", "dev", link, "nodad"])


def set_address6(host: NetHost, present: bool) -> None:
    """Add or remove the host's IPv6 address on its eth0 (the IPv4 one stays)."""
    action = "add" if present else "del"
    extra = ["nodad"] if present else []
    run(["ip", "-n", host.namespace, "addr", action, f"{host.address6}/64", "dev", "eth0", *extra])


def _wait_link_gone(name: str, timeout: float) -> None:
    if not wait_until(lambda: not link_exists(name), timeout):
        raise RigError(f"link {name} still present {timeout}s after deletion")


def _is_zombie(pid: int) -> bool:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except FileNotFoundError:
        return True
    return stat[stat.rindex(")") + 2] in "ZX"
