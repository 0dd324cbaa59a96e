"""Host keys for `failover init`, fetched to be shown by fingerprint for a person to confirm.

Contract: `scan(host, address, port, timeout)` asks the host for its key (an SSH handshake, no
login) and returns a `ScannedKey`, or raises HostUnreachable. The scan proves nothing by itself:
init then logs in through remote/ssh.py trusting only the confirmed keys (RejectPolicy), so a
host whose key changed since the scan (between the fetch and the confirmation) is refused.
"""

from __future__ import annotations

import logging
import socket

import msgspec
import paramiko

from failover.config.knownhosts import known_name
from failover.errors import HostUnreachable
from failover.remote.ssh import fingerprint

log = logging.getLogger(__name__)

KEY_TYPES = ["ssh-ed25519", "ecdsa-sha2-nistp256", "rsa-sha2-512", "rsa-sha2-256"]


class ScannedKey(msgspec.Struct, frozen=True):
    host: str
    address: str
    port: int
    line: str  # the known_hosts line: `name keytype base64`
    fingerprint: str  # `ssh-ed25519 SHA256:...`, as ssh-keygen -lf shows it


def scan(host: str, address: str, port: int, timeout: float) -> ScannedKey:
    """The key `address:port` offers (preferring ed25519). Raises HostUnreachable."""
    try:
        sock = socket.create_connection((address, port), timeout=timeout)
    except OSError as e:
        raise HostUnreachable(f"cannot fetch the host key of {host} ({address} port {port}): "
                              f"{e.strerror or e}") from None
    transport = paramiko.Transport(sock)
    try:
        transport.get_security_options().key_types = KEY_TYPES
        transport.start_client(timeout=timeout)
        key = transport.get_remote_server_key()
    except (paramiko.SSHException, OSError) as e:
        raise HostUnreachable(f"cannot fetch the host key of {host} ({address} port {port}): "
                              f"{e}") from None
    finally:
        transport.close()
    log.info("scanned: host=%s key=%s", host, fingerprint(key))
    return ScannedKey(host, address, port,
                      f"{known_name(address, port)} {key.get_name()} {key.get_base64()}",
                      fingerprint(key))


