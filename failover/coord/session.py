"""Session: this checker's lease in etcd, kept alive in the background, and its keys.

Every key a checker owns (its view, the leader key while it leads) is attached to one lease of
`lease_ttl` seconds, renewed every third of it by a daemon thread. When the checker dies, is
paused (SIGSTOP) or loses etcd, the renewals stop and etcd deletes its keys `lease_ttl` later:
nothing stale is left to clean up. `renewed_within()` tells the checker itself that it may have
lost them, so a leader that could not renew stops before its next step (fencing, backend.py).

Keys below the site's prefix:
    leader          {"checker", "since", "pid"}: held with the leader's lease
    last-leader     the same, kept after the leader lets go (for `coordination status`)
    views/<id>      a checker's last round (views.py), under its lease
    services/<name>/views/<id>   the same per service, with `services:` in the inventory
    state           the automation state (model/state.py), written by the leader only
    runs/<run id>   {"checker", "journal"}: run journals, so a new leader can resume a run
"""

from __future__ import annotations

import logging
import socket
import threading
import time

from failover.coord.etcd import EtcdClient
from failover.errors import ProviderError
from failover.model.coordination import Coordination

log = logging.getLogger(__name__)


def checker_id(coordination: Coordination) -> str:
    return coordination.checker or socket.gethostname()


class Session:
    def __init__(self, coordination: Coordination, site: str) -> None:
        self.settings = coordination
        self.checker = checker_id(coordination)
        self.prefix = coordination.etcd.prefix or f"/failover/{site}/"
        self.ttl = coordination.etcd.lease_ttl
        self.client = EtcdClient(coordination.etcd)
        self.lease = 0
        self.renewed = 0.0  # time.monotonic() of the last renewal etcd confirmed
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def key(self, name: str) -> str:
        return self.prefix + name

    def ensure_lease(self) -> int:
        """This checker's live lease (a new one if it had none or lost it)."""
        if self.lease and self.renewed_within(self.ttl):
            return self.lease
        started = time.monotonic()
        self.lease = self.client.grant(self.ttl)
        self.renewed = started
        log.info("lease granted: checker=%s lease=%x ttl=%s", self.checker, self.lease, self.ttl)
        if self._thread is None:
            self._thread = threading.Thread(target=self._keep_alive, name="etcd-lease",
                                            daemon=True)
            self._thread.start()
        return self.lease

    def renewed_within(self, seconds: float) -> bool:
        return self.lease != 0 and time.monotonic() - self.renewed < seconds

    def _keep_alive(self) -> None:
        while not self._stop.wait(self.ttl / 3):
            lease = self.lease
            if not lease:
                continue
            started = time.monotonic()
            try:
                left = self.client.keepalive(lease)
            except ProviderError as exc:  # EtcdUnavailable, or a refusal: try again later
                log.warning("lease not renewed: checker=%s error=%s", self.checker, exc)
                continue
            if left > 0 and lease == self.lease:
                self.renewed = started
            elif lease == self.lease:
                log.warning("lease lost: checker=%s lease=%x", self.checker, lease)
                self.lease = 0

    def close(self, *, revoke: bool = False) -> None:
        """Stop renewing. `revoke`: delete this checker's keys now (else they live `lease_ttl`
        more, so a cron checker's view outlives its process for a while)."""
        self._stop.set()
        if revoke and self.lease:
            try:
                self.client.revoke(self.lease)
            except ProviderError:
                log.info("lease not revoked: checker=%s (it expires by itself)", self.checker)
        self.client.close()
