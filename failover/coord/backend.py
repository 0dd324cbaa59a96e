"""EtcdStateBackend: the StateBackend / Lock contract (state/base.py) on etcd.

- The Lock is leadership: the key <prefix>leader, created in a txn only if absent, attached to
  the checker's lease (session.py). Its create revision is the fencing token: it grows with every
  new leader, and a leader whose lease expired (killed, paused, cut off) has lost the key, so
  every compare on it fails from then on.
- `save()` and every journal write are one txn: "the leader key still has my create revision"
  (and, with `expect`, "the state key still has the revision I read"), then the put. A leader that
  could not renew its lease for `lease_ttl` refuses to write before even asking (it may have
  lost the key without knowing). Journals are written before every step (engine/runner.py), so
  this is the check "the token still holds" before each step that changes the world.
- Journals go to <prefix>runs/<id> as well as to the local runs/ folder: a new leader on
  another machine reads the newest one and resumes a run a dead leader left (round.py).
"""

from __future__ import annotations

import json
import logging
import os
import time
from typing import Any

from failover.coord.etcd import KeyValue, b64, create_revision_is, mod_revision_is, put_op
from failover.coord.session import Session
from failover.errors import ConfigError, LockHeld, ProviderError, Reason, StateConflict
from failover.model.coerce import Invalid
from failover.model.state import State
from failover.state.base import Lock, StateBackend, Version, Versioned
from failover.state.files import dumps

log = logging.getLogger(__name__)


class Leadership(Lock):
    """`with store.lock(wait):` this checker leads, or LockHeld after `wait` seconds.

    A leader key already held under this process's own lease is taken as acquired: an acquire
    whose reply was lost (a member failed mid-request, so the txn was retried on another) or a
    release that could not reach etcd. So within one process the lock must not be nested."""

    def __init__(self, session: Session, wait: float) -> None:
        super().__init__(wait)
        self.session = session
        self.key = session.key("leader")

    def acquire(self) -> int:
        s = self.session
        deadline = time.monotonic() + self.wait
        said = False
        while True:
            lease = s.ensure_lease()
            value = json.dumps({"checker": s.checker, "since": time.time(), "pid": os.getpid()})
            # <prefix>last-leader (no lease) keeps who led last, for `coordination status`
            ok, reply = s.client.txn([create_revision_is(self.key, 0)],
                                     [put_op(self.key, value.encode(), lease),
                                      put_op(s.key("last-leader"), value.encode())],
                                     [{"request_range": {"key": b64(self.key)}}])
            if ok:
                token = int(reply["header"]["revision"])
                log.info("leader: checker=%s token=%d", s.checker, token)
                return token
            holder, kv = _holder(reply)
            if kv is not None and kv.lease == lease:
                # our own key: an acquire that timed out (no quorum) was applied later
                log.info("leader (adopted): checker=%s token=%d", s.checker, kv.create_revision)
                return kv.create_revision
            if not said and self.wait > 0:
                said = True
                log.info("waiting for the leadership: checker %s leads (up to %gs)",
                         holder.get("checker", "?"), self.wait)
            if time.monotonic() >= deadline:
                raise LockHeld(f"checker {holder.get('checker', '?')} leads (etcd "
                               f"{self.key}); gave up after {self.wait:g}s (--wait sets how "
                               "long to wait)")
            time.sleep(min(0.2, max(0.0, deadline - time.monotonic())))

    def release(self) -> None:
        if self.token:
            # only our own key: a leader that lost it must not delete the next one's
            try:
                self.session.client.txn([create_revision_is(self.key, self.token)],
                                        [{"request_delete_range": {"key": b64(self.key)}}])
            except ProviderError as exc:  # it goes with the lease (or the next acquire adopts it)
                log.warning("leadership not released: checker=%s error=%s",
                            self.session.checker, exc)
            self.token = 0

    def current_token(self) -> int:
        kv = self.session.client.get(self.key)
        return kv.create_revision if kv else 0


def _holder(reply: dict[str, Any]) -> tuple[dict[str, Any], KeyValue | None]:
    """Who holds the leader key (its JSON value) and the key, from a failed acquire's reply."""
    try:
        kv = KeyValue.parse(reply["responses"][0]["response_range"]["kvs"][0])
        return dict(json.loads(kv.value)), kv
    except (KeyError, IndexError, TypeError, ValueError):
        return {}, None


class EtcdStateBackend(StateBackend):
    def __init__(self, session: Session) -> None:
        super().__init__()
        self.session = session
        self.state_key = session.key("state")

    def read(self) -> Versioned:
        kv = self.session.client.get(self.state_key)
        if kv is None:
            return Versioned(State(), 0)
        try:
            return Versioned(State.parse(json.loads(kv.value)), kv.mod_revision)
        except (ValueError, Invalid) as exc:
            raise ConfigError([Reason(f"etcd {self.state_key}", None, None, "",
                                      f"is not a failover state ({exc}); delete the key to "
                                      "start with a fresh state")]) from None

    def _fence(self, what: str) -> list[dict[str, object]]:
        """The compares that make a write by the leader safe; refuses at once when the lease
        may have run out."""
        held = self.held
        if held is None:
            return []
        if not self.session.renewed_within(self.session.ttl):
            raise StateConflict(f"{what} not written: this checker's lease was not renewed for "
                                f"{self.session.ttl:g}s, so it may no longer lead (token "
                                f"{held.token}); nothing was saved")
        return [create_revision_is(self.session.key("leader"), held.token)]

    def _write(self, what: str, compares: list[dict[str, object]], key: str, value: str) -> int:
        ok, reply = self.session.client.txn(compares, [put_op(key, value.encode())])
        if ok:
            return int(reply["header"]["revision"])
        held = self.held
        if held is not None and (newest := held.current_token()) != held.token:
            raise StateConflict(f"{what} not written: the leadership was taken over (token "
                                f"{newest or 'none'}, this run's {held.token} was refused); "
                                "nothing was saved")
        raise StateConflict(f"{what} changed since it was read; nothing was saved (read it "
                            "again and retry)")

    def save(self, state: State, *, expect: Version | None = None) -> Version:
        compares = self._fence(f"etcd {self.state_key}")
        if expect is not None:
            compares.append(mod_revision_is(self.state_key, expect))  # type: ignore[arg-type]
        return self._write(f"etcd {self.state_key}", compares, self.state_key, _encode(state))

    def save_journal(self, run_id: str, text: str) -> None:
        key = self.session.key(f"runs/{run_id}")
        body = dumps({"checker": self.session.checker, "journal": json.loads(text)})
        self._write(f"journal {key}", self._fence(f"journal {key}"), key, body)

    def newest_journal(self) -> tuple[str, dict[str, object]] | None:
        """(checker, journal as JSON) of the newest run any leader journaled, or None."""
        prefix = self.session.key("runs/")
        kvs = self.session.client.get_prefix(prefix, newest_first=1)
        if not kvs:
            return None
        data = json.loads(kvs[0].value)
        return str(data.get("checker", "?")), dict(data["journal"])

    def other_run_live(self) -> bool:
        return self.held is None and self.session.client.get(self.session.key("leader")) \
            is not None

    def _new_lock(self, wait: float) -> Lock:
        return Leadership(self.session, wait)


def _encode(state: State) -> str:
    import msgspec

    from failover.model.types import json_default

    return msgspec.json.encode(state, enc_hook=json_default).decode()
