"""Checkers in network namespaces of their own, on the rig's bridge (issue 16).

Each checker namespace gets an address on the rig's /24 (it reaches the hosts over the bridge,
like a checker in another network) and, on its own loopback, the services the rig runs on the
root namespace's loopback (the DNS API and nameserver, etcd, the chat webhook): a relay in the
test process listens inside the namespace and forwards each connection (or UDP query) to the
same port on the root loopback. So a checker's inventory is the site's own, and cutting a
checker off is done where a real network would do it, inside its namespace, with nft:

    with nets.cut("c3", "10.203.0.11"):      # c3 no longer reaches the primary
    with nets.cut("c2", ports=etcd_ports):   # c2 no longer reaches etcd (connects time out)
"""

from __future__ import annotations

import contextlib
import ctypes
import os
import socket
import threading
from collections.abc import Iterator

from .netns import NetHost, Network, ula_prefix
from .proc import run

CLONE_NEWNET = 0x40000000


def _in_namespace(namespace: str, make: list[tuple[int, int]]) -> list[socket.socket]:
    """Sockets (family, type) bound to 127.0.0.1:port inside `namespace`: created by a thread
    that joined it (a socket stays in the namespace it was made in)."""
    made: list[socket.socket] = []
    errors: list[BaseException] = []

    def work() -> None:
        try:
            fd = os.open(f"/run/netns/{namespace}", os.O_RDONLY)
            try:
                if ctypes.CDLL(None, use_errno=True).setns(fd, CLONE_NEWNET) != 0:
                    raise OSError(ctypes.get_errno(), f"setns {namespace}")
            finally:
                os.close(fd)
            for kind, port in make:
                s = socket.socket(socket.AF_INET, kind)
                s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
                s.bind(("127.0.0.1", port))
                if kind == socket.SOCK_STREAM:
                    s.listen(64)
                made.append(s)
        except BaseException as exc:  # noqa: BLE001 (handed to the caller)
            errors.append(exc)

    t = threading.Thread(target=work)  # the thread ends in the namespace; the process does not
    t.start()
    t.join()
    if errors:
        raise errors[0]
    return made


def _pipe(a: socket.socket, b: socket.socket, done: list[int]) -> None:
    """Copy a -> b until either side ends; the second of the pair's two pipes closes both."""
    with contextlib.suppress(OSError):
        while data := a.recv(65536):
            b.sendall(data)
    for s in (a, b):
        with contextlib.suppress(OSError):
            s.shutdown(socket.SHUT_RDWR)
    done.append(1)
    if len(done) == 2:
        a.close()
        b.close()


def _relay_tcp(listener: socket.socket, port: int) -> None:
    while True:
        try:
            inside, _ = listener.accept()
        except OSError:
            return
        try:
            outside = socket.create_connection(("127.0.0.1", port), timeout=5)
            outside.settimeout(None)
        except OSError:
            inside.close()
            continue
        done: list[int] = []
        for a, b in ((inside, outside), (outside, inside)):
            threading.Thread(target=_pipe, args=(a, b, done), daemon=True).start()


def _relay_udp(sock: socket.socket, port: int) -> None:
    def answer(query: bytes, client: tuple[str, int]) -> None:
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as out:
            out.settimeout(5)
            with contextlib.suppress(OSError):
                out.sendto(query, ("127.0.0.1", port))
                sock.sendto(out.recv(65536), client)

    while True:
        try:
            query, client = sock.recvfrom(65536)
        except OSError:
            return
        threading.Thread(target=answer, args=(query, client), daemon=True).start()


class CheckerNets:
    """Namespaces <prefix>-c1.. on the rig's bridge at NET.21.., with relays to root loopback."""

    def __init__(self, prefix: str, net: str, names: list[str]) -> None:
        self.network = Network(prefix, net, {})  # only for its bridge name and host set-up
        self.hosts = {n: NetHost(f"{prefix}-{n}", f"{prefix}-v{n}", f"{net}.{21 + i}",
                                 f"{ula_prefix(net)}:{21 + i}")
                      for i, n in enumerate(names)}
        self.sockets: list[socket.socket] = []

    def create(self, tcp: list[int], udp: list[int]) -> None:
        for h in self.hosts.values():
            self.network._create_host(h)
        self.sockets += self.forward(tcp, udp)

    def forward(self, tcp: list[int], udp: list[int] | None = None) -> list[socket.socket]:
        """Relay these root-loopback ports into every checker namespace; the listening sockets
        (close them to stop)."""
        made = []
        for h in self.hosts.values():
            made += _in_namespace(h.namespace, [(socket.SOCK_STREAM, p) for p in tcp]
                                  + [(socket.SOCK_DGRAM, p) for p in udp or []])
        for s in made:
            port = s.getsockname()[1]
            relay = _relay_tcp if s.type == socket.SOCK_STREAM else _relay_udp
            threading.Thread(target=relay, args=(s, port), daemon=True).start()
        return made

    def argv(self, name: str, argv: list[str]) -> list[str]:
        return self.hosts[name].exec_argv(argv)

    @contextlib.contextmanager
    def cut(self, name: str, address: str = "127.0.0.1", ports: list[int] | None = None
            ) -> Iterator[None]:
        """Inside checker `name`, drop what it sends to `address` (only to `ports`, if given)."""
        match = f"ip daddr {address}" + (
            f" tcp dport {{ {', '.join(map(str, ports))} }}" if ports else "")
        ns = self.hosts[name].namespace
        rules = ("table inet rigcut {\n chain output {\n  type filter hook output priority 0; "
                 f"policy accept;\n  {match} drop\n }}\n}}\n")
        run(["ip", "netns", "exec", ns, "nft", "-f", "-"], input_text=rules)
        try:
            yield
        finally:
            run(["ip", "netns", "exec", ns, "nft", "delete", "table", "inet", "rigcut"],
                check=False)

    def destroy(self) -> None:
        for s in self.sockets:
            s.close()
        for h in self.hosts.values():
            for pid in run(["ip", "netns", "pids", h.namespace], check=False).stdout.split():
                with contextlib.suppress(ProcessLookupError):
                    os.kill(int(pid), 9)
            run(["ip", "link", "del", h.veth], check=False)
            run(["ip", "netns", "del", h.namespace], check=False)
