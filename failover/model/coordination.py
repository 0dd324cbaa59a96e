"""`coordination:`: several checkers agree through etcd before anyone acts (failover/coord/).

Optional: without it one checker decides alone, on local files, as before.
"""

from pathlib import Path
from typing import Annotated

from failover.model.base import Model
from failover.model.state import HostState
from failover.model.types import After, Duration, Meta, Secret


def _endpoint(url: str) -> str:
    if not url.startswith(("http://", "https://")) or "/" in url.split("://", 1)[1].rstrip("/"):
        raise ValueError(f"{url!r} is not an etcd client URL (http://HOST:2379 or "
                         "https://HOST:2379, no path)")
    return url.rstrip("/")


def _prefix(prefix: str) -> str:
    if not prefix.startswith("/"):
        raise ValueError(f"{prefix!r} does not start with '/' (e.g. /failover/shop.example/)")
    return prefix if prefix.endswith("/") else prefix + "/"


class Etcd(Model):
    """How a checker reaches the etcd cluster (v3 JSON gateway on the client port)."""

    endpoints: Annotated[list[Annotated[str, After(_endpoint)]], Meta(
        min_length=1, description="client URLs of the members; tried in turn")]
    prefix: Annotated[Annotated[str, After(_prefix)] | None, Meta(
        description="keys of this site live below it (default /failover/<site>/)")] = None
    lease_ttl: Annotated[Duration, Meta(
        ge=2, description="a checker's views and leadership die this long after it does")] = 10.0
    timeout: Annotated[Duration, Meta(
        ge=0.5, description="per request; at least twice etcd's election timeout")] = 3.0
    username: Annotated[str | None, Meta(description="etcd user, with password")] = None
    password: Annotated[Secret | None, Meta(description="write ${ETCD_PASSWORD}")] = None
    ca_file: Annotated[Path | None, Meta(description="CA bundle for https endpoints")] = None
    cert_file: Annotated[Path | None, Meta(description="client certificate (TLS auth)")] = None
    key_file: Annotated[Path | None, Meta(description="its private key")] = None


class Coordination(Model):
    """Checkers in several places; a host counts as down when `quorum` of them say so, and one
    leader (a lease in etcd, fenced by its revision) runs the playbooks."""

    etcd: Annotated[Etcd, Meta(description="the coordination service")]
    checker: Annotated[str | None, Meta(
        description="this checker's id, unique per checker (default: the host name)")] = None
    provider: Annotated[str | None, Meta(
        description="where this checker runs (a label): lint warns when a host shares it")] = None
    expected_checkers: Annotated[int, Meta(
        ge=2, le=99, description="how many checkers run")] = 3
    quorum: Annotated[int | None, Meta(
        ge=2, le=99, description="live checkers that must see a failure (default: a majority "
                                 "of expected_checkers, never fewer than 2)")] = None

    @property
    def needed(self) -> int:
        """How many live checkers must agree the active host is down."""
        if self.quorum is not None:
            return self.quorum
        return max(2, self.expected_checkers // 2 + 1)


class View(Model):
    """A checker's last round, as the others read it (coord/views.py)."""

    checker: str
    at: float  # when the round ended (the checker's clock)
    round: int  # rounds since this checker's view was created
    online: bool  # its control targets answered (else the view counts for nothing)
    active: str | None
    hosts: dict[str, HostState] = {}
    provider: str | None = None
