"""Does a known_hosts file hold a key for a host? Read as OpenSSH reads it, without the network.

`validate` (and every command, through the loader) refuses an inventory whose known_hosts lacks
a host's key: without it the first sync or failover stops at "host key not in known_hosts", maybe
at 3 a.m. with the primary gone. This only looks the name up; the key itself is checked at each
connection (paramiko RejectPolicy, ssh StrictHostKeyChecking=yes).

Format (sshd(8) "SSH_KNOWN_HOSTS FILE FORMAT"): `[@marker] hostnames keytype key [comment]`.
`hostnames` is a comma-separated list of patterns (`*`, `?`, `!negation`; `[addr]:port` for a port
other than 22) or one hashed entry `|1|base64(salt)|base64(HMAC-SHA1(salt, name))`. Lines marked
`@revoked` or `@cert-authority` do not count: a revoked key, or a CA, is not the host's key.
"""

from __future__ import annotations

import re
from pathlib import Path


def known_name(address: str, port: int) -> str:
    """The name a known_hosts line uses for a host: `addr`, or `[addr]:port` off port 22."""
    return address if port == 22 else f"[{address}]:{port}"


def has_key(path: Path, address: str, port: int) -> bool:
    """True when some line of `path` is a key for this address and port. False if unreadable."""
    name = known_name(address, port)
    try:
        text = path.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return False
    for line in text.splitlines():
        fields = line.split()
        if not fields or fields[0].startswith("#"):
            continue
        if fields[0].startswith("@"):
            continue  # @revoked, @cert-authority: not a host key
        if len(fields) >= 3 and _matches(fields[0], name):
            return True
    return False


def _matches(hostnames: str, name: str) -> bool:
    if hostnames.startswith("|1|"):
        return _hashed(hostnames, name)
    hit = False
    for pattern in hostnames.split(","):
        if pattern.startswith("!"):
            if _glob(pattern[1:], name):
                return False
        elif _glob(pattern, name):
            hit = True
    return hit


def _glob(pattern: str, name: str) -> bool:
    """OpenSSH patterns know only `*` and `?` (`[` is literal: `[addr]:port`)."""
    regex = re.escape(pattern.lower()).replace(r"\*", ".*").replace(r"\?", ".")
    return re.fullmatch(regex, name.lower()) is not None


def _hashed(entry: str, name: str) -> bool:
    import base64
    import binascii
    import hashlib
    import hmac

    try:
        _, _, salt, digest = entry.split("|", 3)
        mac = hmac.new(base64.b64decode(salt), name.encode(), hashlib.sha1).digest()
        return hmac.compare_digest(mac, base64.b64decode(digest))
    except (ValueError, binascii.Error):  # binascii.Error is a ValueError: a bad line is no key
        return False
