"""Issue 16: several checkers, one decision, through a real 3-member etcd cluster on loopback.

Each checker is a real `failover watch` (or `check`) process in a network namespace of its own
(tests/rig/checkerns.py: on the rig's bridge, with the root loopback's DNS API, nameserver, etcd
and chat webhook relayed onto its own loopback), with its own inventory copy
(`coordination.checker` c1..c3) and state folder; they share only etcd. A checker is cut off
inside its namespace with nft (connects time out), as a real network would do it. A person's
command runs in the root namespace.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import subprocess
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from failover.coord.etcd import EtcdClient
from failover.model.coordination import Etcd
from tests.rig import Rig
from tests.rig.checkerns import CheckerNets
from tests.rig.etcd import EtcdCluster
from tests.site import FAILOVER, Site, WebhookReceiver, at


@pytest.fixture(scope="module")
def nets(rig: Rig, etcd: EtcdCluster) -> Iterator[CheckerNets]:
    checker_nets = CheckerNets(rig.network.prefix, rig.network.net, ["c1", "c2", "c3"])
    try:
        checker_nets.create(tcp=[rig.pdns.api_port, rig.pdns.dns_port,
                                 *(m.client_port for m in etcd.members)],
                            udp=[rig.pdns.dns_port])
        yield checker_nets
    finally:
        checker_nets.destroy()


@pytest.fixture(autouse=True)
def hook_relayed(nets: CheckerNets, hook: WebhookReceiver) -> Iterator[None]:
    """This test's chat webhook, reachable from the checkers' namespaces too."""
    relays = nets.forward(tcp=[hook.server.server_address[1]])
    yield
    for s in relays:
        s.close()


def etcd_ports(etcd: EtcdCluster) -> list[int]:
    return [m.client_port for m in etcd.members]


class Checker:
    def __init__(self, site: Site, etcd: EtcdCluster, name: str, prefix: str,
                 change: Callable[[dict[str, Any]], None] | None = None,
                 nets: CheckerNets | None = None) -> None:
        self.name, self.site, self.nets = name, site, nets
        self.dir = site.dir / name
        self.dir.mkdir()
        shutil.copytree(site.dir / "playbooks", self.dir / "playbooks")
        data = yaml.safe_load(site.inventory.read_text())
        data["coordination"] = {"etcd": {"endpoints": etcd.endpoints, "prefix": prefix,
                                         "lease_ttl": "2s"},
                                "checker": name, "expected_checkers": 3}
        if change is not None:
            change(data)
        self.inventory = self.dir / "inventory.yaml"
        self.inventory.write_text(yaml.safe_dump(data, sort_keys=False))
        self.env = {**site.env, "FAILOVER_STATE_DIR": str(self.dir / ".failover")}
        self.proc: subprocess.Popen[str] | None = None

    def argv(self, *args: str) -> list[str]:
        argv = [FAILOVER, "-i", str(self.inventory), *args]
        return argv if self.nets is None else self.nets.argv(self.name, argv)

    def run(self, *args: str, timeout: float = 120) -> subprocess.CompletedProcess[str]:
        return subprocess.run(self.argv(*args), env=self.env,
                              capture_output=True, text=True, timeout=timeout,
                              stdin=subprocess.DEVNULL, check=False)

    def watch(self, *args: str) -> subprocess.Popen[str]:
        self.proc = subprocess.Popen(
            self.argv("-v", "watch", "--interval", "1s", *args), env=self.env,
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, stdin=subprocess.DEVNULL)
        return self.proc

    def terminate(self) -> None:
        """One SIGTERM (a second one could land in the interpreter's shutdown, where Python
        has put the default action back, and kill it)."""
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGCONT)
            self.proc.terminate()

    def output(self) -> str:
        if self.proc is None:
            return ""
        out, err = self.proc.communicate(timeout=120)
        return out + err


def stop(checkers: list[Checker]) -> dict[str, str]:
    """SIGTERM every watch at once (each finishes its round), then collect their output."""
    for c in checkers:
        c.terminate()
    return {c.name: c.output() for c in checkers}


def client(etcd: EtcdCluster) -> EtcdClient:
    return EtcdClient(Etcd.parse({"endpoints": etcd.endpoints}))


def runs(etcd: EtcdCluster, prefix: str) -> list[dict[str, Any]]:
    return [json.loads(kv.value) for kv in client(etcd).get_prefix(prefix + "runs/")]


def wait_for(predicate: Callable[[], bool], timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, f"not within {timeout}s: {what}"
        time.sleep(0.2)


@pytest.fixture
def fast(site: Site) -> Site:
    def change(inv: dict[str, Any]) -> None:
        inv["policy"].update(failure_threshold=2)
        inv["ssh"].update(connect_timeout="1s")  # the dead primary: sync and fence give up soon
        for check in inv["checks"]:
            check["timeout"] = "1s"

    site.edit(change)
    return site


def dns_steps(journal: dict[str, Any]) -> list[dict[str, Any]]:
    return [s for s in journal["steps"] if s["action"] == "dns" and s["phase"] == "steps"]


def test_three_checkers_primary_down_exactly_one_failover(fast: Site, etcd: EtcdCluster,
                                                          nets: CheckerNets) -> None:
    checkers = [Checker(fast, etcd, f"c{i}", "/q1/", nets=nets) for i in (1, 2, 3)]
    with fast.primary.link_down():
        for c in checkers:
            c.watch()
        try:
            wait_for(lambda: fast.dns() == at(fast.standby.address), 90, "DNS at the standby")
            wait_for(lambda: all(j["journal"]["status"] == "ok" for j in runs(etcd, "/q1/")),
                     60, "the run finished")
        finally:
            outputs = stop(checkers)
    done = runs(etcd, "/q1/")
    assert len(done) == 1, outputs  # exactly one failover, by one leader
    leader = done[0]["checker"]
    assert len(dns_steps(done[0]["journal"])) == 1
    for c in checkers:  # every checker's round reports the flip and who made it
        p = c.run("check", "--no-act")
        assert f"by run {done[0]['journal']['id']} (leader {leader})" in p.stdout, p.stdout


def test_one_checker_cut_from_the_primary_changes_nothing(fast: Site, etcd: EtcdCluster,
                                                          nets: CheckerNets) -> None:
    site = fast
    checkers = [Checker(site, etcd, f"c{i}", "/q2/", nets=nets) for i in (1, 2, 3)]
    with nets.cut("c3", site.primary.address):
        procs = [c.watch() for c in checkers]
        try:
            wait_for(lambda: "DOWN" in checkers[0].run("coordination", "status").stdout, 90,
                     "c3's view: primary down")
            status = checkers[0].run("status")
        finally:
            outputs = stop(checkers)
    assert status.returncode == 0, status.stderr
    assert "c3: round" in status.stdout
    assert "primary down for c3, failing for c3 (no quorum)" in status.stdout, status.stdout
    assert "etcd: 3/3 members healthy" in status.stdout
    assert re.search(r"^leader: (c\d \(token \d+, for|none now \(between rounds\); last: c\d)",
                     status.stdout, re.MULTILINE), status.stdout
    assert site.dns() == at(site.primary.address)
    assert runs(etcd, "/q2/") == []
    assert [p.returncode for p in procs] == [0, 0, 0], outputs


def test_a_checker_cut_from_etcd_never_acts(fast: Site, etcd: EtcdCluster,
                                            nets: CheckerNets) -> None:
    cut = Checker(fast, etcd, "c3", "/q3/", lambda inv: inv["coordination"]["etcd"].update(
        timeout="1s"), nets=nets)
    others = [Checker(fast, etcd, f"c{i}", "/q3/", nets=nets) for i in (1, 2)]
    with fast.primary.link_down(), nets.cut("c3", ports=etcd_ports(etcd)):
        p = cut.run("check")
        for c in others:  # the other two still decide: they fail over
            c.watch()
        try:
            wait_for(lambda: fast.dns() == at(fast.standby.address), 90, "DNS at the standby")
        finally:
            stop(others)
    assert p.returncode == 3, p.stdout + p.stderr
    assert p.stdout.startswith("FAILOVER UNKNOWN - ")
    assert "etcd: no member answered" in p.stdout + p.stderr
    assert not (cut.dir / ".failover" / "runs").exists()
    assert [r["checker"] for r in runs(etcd, "/q3/")] in (["c1"], ["c2"])


def test_etcd_members_killed(site: Site, etcd: EtcdCluster, nets: CheckerNets) -> None:
    c1 = Checker(site, etcd, "c1", "/q4/", nets=nets)
    etcd.kill(2)
    try:
        p = c1.run("check")
        assert p.returncode == 0, p.stdout + p.stderr  # one member down: decisions go on
        etcd.kill(1)
        try:
            p = c1.run("check", "--wait", "3")
        finally:
            etcd.revive(1)
    finally:
        etcd.revive(2)
    assert p.returncode == 3, p.stdout + p.stderr  # two down: nobody acts
    assert p.stdout.startswith("FAILOVER UNKNOWN - ")
    assert site.dns() == at(site.primary.address)


def slow_start(site: Site, mark: Path) -> None:
    """The failover playbook's ssh step (after the sync) takes 6 s the first time it runs."""
    site.edit(lambda inv: inv["vars"].update(
        start_shop=f"test -e {mark} || {{ touch {mark}; sleep 6; }}"))


def test_leader_killed_after_the_sync_step_another_finishes(fast: Site, etcd: EtcdCluster,
                                                             nets: CheckerNets) -> None:
    mark = fast.rig.dir / f"slow-start-{os.getpid()}"
    slow_start(fast, mark)
    checkers = [Checker(fast, etcd, f"c{i}", "/q5/", nets=nets) for i in (1, 2, 3)]
    try:
        with fast.primary.link_down():
            for c in checkers:
                c.watch()
            wait_for(mark.exists, 90, "a leader in the step after the sync")
            leader = runs(etcd, "/q5/")[0]["checker"]
            dead = next(c for c in checkers if c.name == leader)
            assert dead.proc is not None
            dead.proc.kill()
            wait_for(lambda: runs(etcd, "/q5/")[0]["journal"]["status"] == "ok", 60,
                     "the run finished by another leader")
    finally:
        outputs = stop(checkers)
        mark.unlink(missing_ok=True)
    done = runs(etcd, "/q5/")
    assert len(done) == 1
    assert done[0]["checker"] != leader, outputs
    assert len(dns_steps(done[0]["journal"])) == 1  # DNS written once
    assert fast.dns() == at(fast.standby.address)
    assert any("is gone; continuing it as leader" in out for out in outputs.values()), outputs


def view_round(etcd: EtcdCluster, prefix: str, checker: str) -> int:
    kv = client(etcd).get(f"{prefix}views/{checker}")
    return json.loads(kv.value)["round"] if kv else 0


def test_paused_leader_resumed_later_changes_nothing(fast: Site, etcd: EtcdCluster,
                                                    nets: CheckerNets) -> None:
    mark = fast.rig.dir / f"slow-start-{os.getpid()}"
    slow_start(fast, mark)
    checkers = [Checker(fast, etcd, f"c{i}", "/q6/", nets=nets) for i in (1, 2, 3)]
    try:
        with fast.primary.link_down():
            for c in checkers:
                c.watch()
            wait_for(mark.exists, 90, "a leader in the step after the sync")
            leader = runs(etcd, "/q6/")[0]["checker"]
            paused = next(c for c in checkers if c.name == leader)
            assert paused.proc is not None
            paused.proc.send_signal(signal.SIGSTOP)
            wait_for(lambda: runs(etcd, "/q6/")[0]["journal"]["status"] == "ok", 60,
                     "the run finished by another leader")
            journal = client(etcd).get("/q6/runs/" + runs(etcd, "/q6/")[0]["journal"]["id"])
            assert journal is not None
            heard, standby = len(fast.hook.received), fast.tree(fast.standby.webroot)
            before = view_round(etcd, "/q6/", leader)
            paused.proc.send_signal(signal.SIGCONT)
            # its remote command ends, its next write is refused, its next round follows
            wait_for(lambda: view_round(etcd, "/q6/", leader) > before + 1, 60,
                     "the resumed checker went on to its next rounds")
    finally:
        outputs = stop(checkers)
        mark.unlink(missing_ok=True)
    assert "may no longer lead (token" in outputs[leader], outputs[leader]
    after = client(etcd).get(journal.key)
    assert after is not None
    assert after.mod_revision == journal.mod_revision  # the journal in etcd: unchanged
    assert len(runs(etcd, "/q6/")) == 1
    assert fast.dns() == at(fast.standby.address)  # DNS: unchanged
    assert fast.tree(fast.standby.webroot) == standby  # the standby: unchanged
    assert len(fast.hook.received) == heard  # nobody told twice


def test_a_manual_failover_waits_for_the_leader(fast: Site, etcd: EtcdCluster,
                                               nets: CheckerNets) -> None:
    mark = fast.rig.dir / f"slow-start-{os.getpid()}"
    slow_start(fast, mark)
    checkers = [Checker(fast, etcd, f"c{i}", "/q7/", nets=nets) for i in (1, 2)]
    person = Checker(fast, etcd, "person", "/q7/")
    try:
        with fast.primary.link_down():
            for c in checkers:
                c.watch()
            wait_for(mark.exists, 90, "a checker leading a failover")
            p = person.run("-v", "failover", "--to", "standby", "--yes", "--wait", "60")
    finally:
        stop(checkers)
        mark.unlink(missing_ok=True)
    done = runs(etcd, "/q7/")
    assert "waiting for the leadership: checker c" in p.stderr, p.stderr
    assert len(done) == 1, p.stdout + p.stderr
    automatic = done[0]["journal"]
    assert automatic["status"] == "ok"
    assert len(dns_steps(automatic)) == 1
    # it got the leadership only once the checker's run was over: the site had moved
    assert p.returncode == 2, p.stdout + p.stderr
    assert "standby" in p.stderr


def test_a_person_continues_a_run_another_machine_left(site: Site, etcd: EtcdCluster) -> None:
    from types import SimpleNamespace
    from typing import cast

    from tests.scenarios.interrupting import killed_after

    laptop, desk = (Checker(site, etcd, name, "/q8/") for name in ("laptop", "desk"))
    on_laptop = SimpleNamespace(inventory=laptop.inventory, env=laptop.env, rig=site.rig,
                                state_dir=laptop.dir / ".failover", primary=site.primary,
                                standby=site.standby)
    run_id = killed_after(cast(Site, on_laptop), 2)  # the laptop dies after the sync step
    assert not (desk.dir / ".failover" / "runs").exists()
    p = desk.run("resume", "--yes", "--wait", "30")  # waits out the laptop's lease
    assert p.returncode == 0, p.stdout + p.stderr
    assert f"run {run_id}" in p.stdout + p.stderr
    assert site.dns() == at(site.standby.address)
    done = runs(etcd, "/q8/")
    assert [(r["checker"], r["journal"]["status"]) for r in done] == [("desk", "ok")]
    assert len(dns_steps(done[0]["journal"])) == 1


def test_three_checkers_fail_over_the_mail_service_alone(site: Site, etcd: EtcdCluster,
                                                         nets: CheckerNets) -> None:
    """Issue 15 with issue 16: `services:` and `coordination:` together. The SMTP server on
    the primary stops: the checkers agree on mail only, one leader flips MX and the mail A
    record, web stays on the primary on every count."""
    from tests.scenarios.test_services import MX, mail_site, records

    mail_site(site)

    def quick(inv: dict[str, Any]) -> None:
        inv["ssh"].update(connect_timeout="1s")
        for check in inv["checks"]:
            check["timeout"] = "1s"

    site.edit(quick)
    primary, standby = site.primary.address, site.standby.address
    site.primary.smtp.stop()
    checkers = [Checker(site, etcd, f"c{i}", "/q9/", nets=nets) for i in (1, 2, 3)]
    for c in checkers:
        c.watch()
    try:
        wait_for(lambda: records(site)["mx"] == [MX["standby"]], 90, "MX at the standby")
        wait_for(lambda: all(j["journal"]["status"] == "ok" for j in runs(etcd, "/q9/")),
                 60, "the run finished")
        agreed = checkers[0].run("coordination", "status")
    finally:
        outputs = stop(checkers)
    done = runs(etcd, "/q9/")
    assert len(done) == 1, outputs  # one failover, of mail, by one leader
    assert done[0]["journal"]["variables"]["service"] == "mail"
    assert len(dns_steps(done[0]["journal"])) == 1
    assert records(site) == {"web": [primary, primary], "mail_a": [standby],
                             "mx": [MX["standby"]]}
    assert agreed.returncode == 0, agreed.stderr
    web, mail = agreed.stdout.split("checkers of service mail: ")
    assert "checkers of service web: 3 alive of 3 expected, quorum 2" in web, agreed.stdout
    assert "primary down for c1, c2, c3" not in web, agreed.stdout
    assert mail.startswith("3 alive of 3 expected, quorum 2"), agreed.stdout
    p = checkers[1].run("status")
    assert p.returncode == 0, p.stderr
    assert p.stdout.splitlines()[:2] == ["service web: active host primary (up)",
                                         "service mail: active host standby (up)"], p.stdout


def test_a_round_of_any_service_continues_a_dead_leaders_mail_run(site: Site,
                                                                  etcd: EtcdCluster) -> None:
    """The leader died in a run of the mail service; the next leader's round (web first, as
    `check` goes through the services in order) continues that run for mail, not for web."""
    from types import SimpleNamespace
    from typing import cast

    from tests.scenarios.interrupting import killed_after
    from tests.scenarios.test_services import MX, mail_site, records

    mail_site(site)
    laptop, desk = (Checker(site, etcd, name, "/q10/") for name in ("laptop", "desk"))
    on_laptop = SimpleNamespace(inventory=laptop.inventory, env=laptop.env, rig=site.rig,
                                state_dir=laptop.dir / ".failover", primary=site.primary,
                                standby=site.standby)
    run_id = killed_after(cast(Site, on_laptop), 3, "--service", "mail")  # after the maildir
    p = desk.run("check", "--wait", "30")  # waits out the laptop's lease, then leads
    assert f"run {run_id}: its leader (laptop) is gone; continuing it" in p.stdout, p.stdout
    assert f"run {run_id} (service mail): ok" in p.stdout, p.stdout
    primary, standby = site.primary.address, site.standby.address
    assert records(site) == {"web": [primary, primary], "mail_a": [standby],
                             "mx": [MX["standby"]]}
    done = runs(etcd, "/q10/")
    assert [(r["checker"], r["journal"]["status"], r["journal"]["variables"]["service"])
            for r in done] == [("desk", "ok", "mail")]
    p = desk.run("status")
    assert p.stdout.splitlines()[:2] == ["service web: active host primary (up)",
                                         "service mail: active host standby (up)"], p.stdout
