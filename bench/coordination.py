"""bench/coordination: what several checkers cost over one (issue 16).

Starts its own 3-member etcd cluster on loopback (tests/rig/etcd.py, ports of the rig's offset
+ 50, so it runs beside a test rig) and stops it.

1. Decision delay, in rounds: the primary goes down at a random moment; three checkers run
   rounds every `interval` with random phases. A single checker decides at its own
   failure_threshold-th failed round; the quorum (2 of 3) at the first leader round after the
   second view reached it. Views go through etcd with the real code (views.py write/read,
   combine); the probe results are synthetic (the primary fails from its down time on).
   Target: at most 1 round added (a quorum needs the second-fastest checker, which is at most
   one interval behind).
2. Per-round cost of coordination: a coordinated round's etcd work (read views, write view,
   take leadership, save state, let go) against a single checker's state file save.
3. Leader hand-over: a leader process is SIGKILLed; how long until another one leads.
   Target: within lease_ttl + one round.
"""

from __future__ import annotations

import random
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from failover.coord.backend import EtcdStateBackend
from failover.coord.session import Session
from failover.coord.views import combine, read_views, write_view
from failover.model.coordination import Coordination, View
from failover.model.state import HostState, State
from failover.state.local import LocalStateBackend
from tests.rig import port_offset
from tests.rig.etcd import EtcdCluster

THRESHOLD, INTERVAL, TTL, TRIALS = 3, 10.0, 3, 40
HOSTS = ["primary", "standby"]


def backend(endpoints: list[str], checker: str, prefix: str) -> EtcdStateBackend:
    c = Coordination.parse({"etcd": {"endpoints": endpoints, "prefix": prefix,
                                     "lease_ttl": TTL}, "checker": checker})
    return EtcdStateBackend(Session(c, "bench"))


def decision_delay(stores: list[EtcdStateBackend]) -> tuple[list[float], list[float]]:
    """Rounds the quorum decides after (a) the same checker alone, (b) the fastest of the
    three alone would have, per trial."""
    rng = random.Random(16)
    alone, fastest = [], []
    for trial in range(TRIALS):
        phases = [rng.uniform(0, INTERVAL) for _ in stores]
        down_at = rng.uniform(0, INTERVAL)
        streak = dict.fromkeys(range(len(stores)), 0)
        rounds = sorted((k * INTERVAL + p, i) for i, p in enumerate(phases) for k in range(8))
        single = quorum = first = None
        for t, i in rounds:
            streak[i] = streak[i] + 1 if t >= down_at else 0
            s = stores[i].session
            write_view(s, View(checker=s.checker, at=t, round=trial, online=True,
                               active="primary", hosts={"primary": HostState(
                                   fail=streak[i], down=streak[i] >= THRESHOLD)}), None)
            if first is None and streak[i] >= THRESHOLD:
                first = t
            if single is None and i == 0 and streak[i] >= THRESHOLD:
                single = t
            views = {k: v for k, v in read_views(s, None).items() if v.round == trial}
            if quorum is None and combine(HOSTS, views, 2)["primary"].down:
                quorum = t
            if single is not None and quorum is not None:
                break
        assert single is not None
        assert quorum is not None
        assert first is not None
        alone.append((quorum - single) / INTERVAL)
        fastest.append((quorum - first) / INTERVAL)
    return alone, fastest


def round_cost(store: EtcdStateBackend, local: LocalStateBackend, n: int = 30
               ) -> tuple[float, float]:
    state = State(active="primary")
    t0 = time.perf_counter()
    for _ in range(n):
        local.save(state)
    single = (time.perf_counter() - t0) / n
    s = store.session
    t0 = time.perf_counter()
    for k in range(n):
        read_views(s, None)
        write_view(s, View(checker=s.checker, at=k, round=k, online=True, active="primary"), None)
        with store.lock(5):
            store.load()
            store.save(state)
    return single, (time.perf_counter() - t0) / n


LEADER = """
import sys, time
from bench.coordination import backend
b = backend(sys.argv[1].split(","), "dies", "/bench/handover/")
b.lock(10).__enter__()
print("leading", flush=True)
time.sleep(600)
"""


def handover(endpoints: list[str]) -> float:
    p = subprocess.Popen([sys.executable, "-c", LEADER, ",".join(endpoints)],
                         stdout=subprocess.PIPE, text=True)
    assert p.stdout is not None
    assert p.stdout.readline().strip() == "leading"
    heir = backend(endpoints, "heir", "/bench/handover/")
    p.send_signal(signal.SIGKILL)
    killed = time.monotonic()
    p.wait()
    with heir.lock(30):
        took = time.monotonic() - killed
    heir.session.close(revoke=True)
    return took


def main() -> None:
    with tempfile.TemporaryDirectory(prefix="bench-etcd-") as d:
        cluster = EtcdCluster(Path(d) / "cluster", port_offset() + 50)
        cluster.start()
        try:
            stores = [backend(cluster.endpoints, f"c{i}", "/bench/q/") for i in (1, 2, 3)]
            alone, fastest = decision_delay(stores)
            print(f"quorum 2 of 3, failure_threshold {THRESHOLD}, {TRIALS} trials with random "
                  f"phases: added delay over the same checker alone: mean "
                  f"{statistics.mean(alone):+.2f} rounds, worst {max(alone):+.2f}; over the "
                  f"fastest of the three alone: mean {statistics.mean(fastest):+.2f}, worst "
                  f"{max(fastest):+.2f} rounds (target: at most 1 round: "
                  f"{'met' if max(alone) <= 1 and max(fastest) <= 1 else 'not met'})")
            single, coordinated = round_cost(stores[0], LocalStateBackend(Path(d) / "state"))
            print(f"per-round state work: one checker (state file) {single * 1000:.2f} ms, "
                  f"coordinated (views + leadership + fenced save in etcd) "
                  f"{coordinated * 1000:.2f} ms, x{coordinated / single:.1f}")
            for s in stores:
                s.session.close(revoke=True)
            took = [handover(cluster.endpoints) for _ in range(3)]
            limit = TTL + INTERVAL
            print(f"leader SIGKILLed -> next leader (lease_ttl {TTL}s): "
                  f"{', '.join(f'{t:.2f}s' for t in took)}; x{max(took) / TTL:.2f} lease_ttl "
                  f"(target: within lease_ttl + one round = {limit:g}s: "
                  f"{'met' if max(took) <= limit else 'not met'})")
        finally:
            cluster.stop()


if __name__ == "__main__":
    main()
