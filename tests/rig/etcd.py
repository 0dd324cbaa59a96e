"""A real 3-member etcd cluster on loopback (Debian etcd-server 3.4; RECIPE section 5b).

Ports follow the rig's port offset, so rigs side by side never collide: member i listens for
clients on 12300 + offset + i and for peers on 12303 + offset + i (offsets are 10 apart per rig).
Heartbeat 100 ms, election timeout 1 s (clients time out after 3 s, twice that and more).
"""

from __future__ import annotations

import json
import shutil
import urllib.request
from pathlib import Path

from .daemon import Daemon
from .proc import RigError, wait_until

BASE = 12300


class EtcdMember(Daemon):
    def __init__(self, index: int, workdir: Path, offset: int) -> None:
        super().__init__(f"etcd-m{index}", workdir / f"m{index}.log")
        self.index = index
        self.data = workdir / f"m{index}"
        self.client_port = BASE + offset + index
        self.peer_port = BASE + offset + 3 + index
        self.url = f"http://127.0.0.1:{self.client_port}"
        self.cluster = ",".join(f"m{i}=http://127.0.0.1:{BASE + offset + 3 + i}"
                                for i in range(3))

    def argv(self) -> list[str]:
        peer = f"http://127.0.0.1:{self.peer_port}"
        state = "existing" if self.data.exists() else "new"
        return ["etcd", "--name", f"m{self.index}", "--data-dir", str(self.data),
                "--listen-client-urls", self.url, "--advertise-client-urls", self.url,
                "--listen-peer-urls", peer, "--initial-advertise-peer-urls", peer,
                "--initial-cluster", self.cluster, "--initial-cluster-token", "failover-test",
                "--initial-cluster-state", state, "--heartbeat-interval", "100",
                "--election-timeout", "1000", "--logger", "zap", "--log-outputs", "stderr"]

    def is_accessible(self) -> bool:
        """The member answers and knows a raft leader."""
        try:
            req = urllib.request.Request(self.url + "/v3/maintenance/status", data=b"{}",
                                         method="POST")
            with urllib.request.urlopen(req, timeout=1) as r:
                return bool(json.loads(r.read()).get("leader"))
        except (OSError, ValueError):
            return False


class EtcdCluster:
    def __init__(self, workdir: Path, offset: int) -> None:
        self.dir = workdir
        self.members = [EtcdMember(i, workdir, offset) for i in range(3)]

    @property
    def endpoints(self) -> list[str]:
        return [m.url for m in self.members]

    def start(self) -> None:
        if shutil.which("etcd") is None:
            raise RigError("etcd not found (apt-get install etcd-server etcd-client, or `make "
                           "deps`)")
        shutil.rmtree(self.dir, ignore_errors=True)
        self.dir.mkdir(parents=True)
        for m in self.members:
            m.start(wait=False)
        for m in self.members:
            m.wait_ready(30)

    def kill(self, index: int) -> None:
        """Stop one member (the others keep their quorum while two are up)."""
        self.members[index].stop()

    def revive(self, index: int) -> None:
        self.members[index].start(wait=False)
        if not wait_until(self.members[index].is_accessible, 30):
            raise RigError(f"etcd member m{index} did not come back\n"
                           f"{self.members[index].log_tail()}")

    def stop(self) -> None:
        """SIGTERM all at once; a member still up after 2 s is killed (its data is thrown away)."""
        for m in self.members:
            m.proc.send_term()
        for m in self.members:
            m.stop(timeout=2)
        shutil.rmtree(self.dir, ignore_errors=True)
