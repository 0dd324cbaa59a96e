"""Dual stack judged (issue 20), pure: families.py, dualstack.py over policy, checks/family.py's
view of the checker's own IPv6, and a flip that drops one family's records (dns/plan.py)."""

from __future__ import annotations

from pathlib import Path

import pytest

from failover import dualstack, policy
from failover.checks.family import families_for, host_over, unreachable_families
from failover.dns.plan import desired_for
from failover.model.inventory import Inventory
from failover.model.results import CheckResult, ControlResult, RoundReport
from failover.model.state import State
from failover.policy import Decision, Status

V6 = {"primary": "fd00::11", "standby": "fd00::12"}


def inventory(**policy_over: object) -> Inventory:
    return Inventory.parse({
        "site": "shop.test", "path": Path("/x/inventory.yaml"), "state_dir": Path("/x/.failover"),
        "hosts": {h: {"address": f"10.203.0.{11 + i}", "address6": V6[h]}
                  for i, h in enumerate(V6)},
        "ssh": {"known_hosts": Path("/x/known_hosts")},
        "dns": [{"provider": "powerdns", "zone": "shop.test.", "api_url": "http://127.0.0.1:1",
                 "api_key": "k", "records": [{"name": "@", "type": "A"},
                                             {"name": "@", "type": "AAAA"}]}],
        "checks": [{"name": "web", "type": "tcp", "port": 80},
                   {"name": "ssh", "type": "tcp", "port": 22, "family": "ipv4"}],
        "control_targets": ["tcp://127.0.0.1:53"],
        "policy": {"failure_threshold": 3, "recovery_threshold": 2, "auto_failover": True,
                   **policy_over},
    })


def report(down: dict[str, set[str]], control: tuple[ControlResult, ...] = ()) -> RoundReport:
    """Every host checked over both families; `down`: host -> families whose web check fails."""
    results = tuple(
        CheckResult(h, "web", f not in down.get(h, set()), 0.01,
                    "connection refused" if f in down.get(h, set()) else "port 80 open",
                    family=f)
        for h in V6 for f in ("ipv4", "ipv6"))
    control = control or (ControlResult("tcp://127.0.0.1:53", True),)
    return RoundReport(0.0, 0.1, results, control,
                       unjudged=unreachable_families(results, control))


def rounds(inv: Inventory, down: dict[str, set[str]], n: int) -> tuple[State, Decision]:
    state, decision = State(active="primary"), None
    for i in range(n):
        r = report(down)
        state = policy.record_round(inv, state, r, 1000.0 + i)
        decision = dualstack.refine(inv, state, r, policy.decide(inv, state, r, 1000.0 + i),
                                    1000.0 + i)
    assert decision is not None
    return state, decision


def test_a_check_runs_over_each_family_the_host_has_and_its_family_setting_allows() -> None:
    inv = inventory()
    web, ssh = inv.checks
    dual = inv.hosts["primary"]
    single = dual.replace(address6=None)
    assert families_for(dual, web) == ["ipv4", "ipv6"]
    assert families_for(dual, ssh) == ["ipv4"]
    assert families_for(single, web) == [""]  # IPv4-only host: results read as before
    assert families_for(single, web.replace(family="ipv6")) == []
    assert host_over(dual, "ipv6").address == "fd00::11"
    assert host_over(dual, "ipv4").address == "10.203.0.11"


def test_primary_failing_ipv6_only_is_degraded_then_fails_over_by_default() -> None:
    inv = inventory()
    state, d = rounds(inv, {"primary": {"ipv6"}}, 1)
    assert (d.status, d.action) == (Status.WARNING, "none")
    assert d.reasons[0] == ("active host primary degraded: IPv6 failing for 1 round(s) (web: "
                            "connection refused) while IPv4 serves; 1 of 3 rounds before "
                            "failover (policy.failover_on: any_family)")
    assert state.hosts["primary"].families["ipv6"].fail == 1
    assert state.hosts["primary"].families["ipv4"].ok == 1
    assert set(state.hosts["primary"].checks) == {"web/ipv4", "web/ipv6"}
    state, d = rounds(inv, {"primary": {"ipv6"}}, 3)
    assert (d.status, d.action, d.to) == (Status.CRITICAL, "failover", "standby")
    assert "IPv6 failing for 3 round(s)" in d.reasons[1]


def test_all_families_keeps_a_degraded_primary_with_a_warning() -> None:
    inv = inventory(failover_on="all_families")
    state, d = rounds(inv, {"primary": {"ipv6"}}, 5)
    assert (d.status, d.action) == (Status.WARNING, "none")
    assert (state.hosts["primary"].down, state.hosts["primary"].fail) == (False, 0)
    assert d.reasons == ("active host primary degraded: IPv6 failing for 5 round(s) (web: "
                         "connection refused) while IPv4 serves; no failover while IPv4 serves "
                         "(policy.failover_on: all_families)",)
    _, d = rounds(inv, {"primary": {"ipv4", "ipv6"}}, 3)  # every family failing: down
    assert (d.status, d.action) == (Status.CRITICAL, "failover")


def test_standby_healthy_over_one_family_is_refused_by_default_and_paged() -> None:
    _, d = rounds(inventory(), {"primary": {"ipv4", "ipv6"}, "standby": {"ipv6"}}, 3)
    assert (d.status, d.action, d.to) == (Status.CRITICAL, "none", None)
    assert d.page is not None
    assert d.page.reason == "no_healthy_standby"
    assert ("standby standby passes its checks over IPv4 only (IPv6: web: connection refused), "
            "and policy.partial_family is refuse (allow: move IPv4 there and remove its AAAA "
            "records)") in d.page.text


def test_partial_family_allow_fails_over_to_the_family_that_works() -> None:
    _, d = rounds(inventory(partial_family="allow"),
                  {"primary": {"ipv4", "ipv6"}, "standby": {"ipv6"}}, 3)
    assert (d.status, d.action, d.to) == (Status.CRITICAL, "failover", "standby")
    assert "policy.partial_family: allow: its AAAA records are removed" in d.reasons[1]


def test_standby_unhealthy_over_one_family_says_which() -> None:
    _, d = rounds(inventory(), {"standby": {"ipv6"}}, 1)
    assert d.reasons == ("standby standby unhealthy over IPv6 (web: connection refused); "
                         "healthy over IPv4",)


def test_checker_without_ipv6_says_so_once_and_marks_nobody_down() -> None:
    v6_target = ControlResult("tcp://[2620:fe::fe]:53", False, "network is unreachable")
    v4_target = ControlResult("tcp://127.0.0.1:53", True)
    inv = inventory()
    state = State(active="primary")
    for i in range(4):
        r = report({"primary": {"ipv6"}, "standby": {"ipv6"}}, (v4_target, v6_target))
        assert r.online
        assert set(r.unjudged) == {"ipv6"}
        state = policy.record_round(inv, state, r, 1000.0 + i)
        d = dualstack.refine(inv, state, r, policy.decide(inv, state, r, 1000.0 + i), 1000.0)
    assert d.status == Status.OK
    assert [x for x in d.reasons if "IPv6" in x] == [
        "checker has no IPv6 connectivity: no IPv6 control target answers: "
        "tcp://[2620:fe::fe]:53 (network is unreachable); IPv6 results are UNKNOWN and mark no "
        "host down"]
    assert not state.hosts["primary"].down
    assert "ipv6" not in state.hosts["primary"].families


@pytest.mark.parametrize(("detail", "judged"), [("network is unreachable", False),
                                                ("connection refused", True)])
def test_no_ipv6_route_without_ipv6_targets(detail: str, judged: bool) -> None:
    results = (CheckResult("primary", "web", True, 0.0, family="ipv4"),
               CheckResult("primary", "web", False, 0.0, detail, family="ipv6"))
    assert ("ipv6" not in unreachable_families(results, ())) is judged


def test_every_host_failing_ipv6_at_once_is_the_checkers_ipv6() -> None:
    r = report({"primary": {"ipv6"}, "standby": {"ipv6"}})
    assert "every host failed every IPv6 check at once" in r.unjudged["ipv6"]


def test_a_flip_that_drops_a_family_removes_its_records() -> None:
    inv = inventory()
    zone = inv.dns[0]
    assert desired_for(inv, zone, "standby") == {
        ("shop.test.", "A"): (60, ("10.203.0.12",)), ("shop.test.", "AAAA"): (60, ("fd00::12",))}
    assert desired_for(inv, zone, "standby", {"ipv6"}) == {
        ("shop.test.", "A"): (60, ("10.203.0.12",)), ("shop.test.", "AAAA"): (60, ())}


def test_validate_lints_what_dual_stack_needs() -> None:
    from failover.config.lint import lint

    inv = inventory()
    assert ("hosts primary and standby have address6 but no control target is IPv6 (e.g. "
            "tcp://[2620:fe::fe]:53): the checker tells its own IPv6 outage from the hosts' only "
            "by its probes") in lint(inv)
    assert not [w for w in lint(inv.replace(control_targets=["tcp://[2620:fe::fe]:53"]))
                if "IPv6" in w or "address6" in w]
    single = inv.replace(hosts={h: v.replace(address6=None) for h, v in inv.hosts.items()},
                         checks=[inv.checks[0].replace(family="ipv6")])
    assert "checks[0] (web): family: ipv6, but no host has address6: it never runs" in lint(single)


def test_a_zone_flipped_over_one_family_still_points_at_its_host() -> None:
    from failover.dns.plan import active_host
    from failover.dns.records import RRset

    inv = inventory()
    a = ("shop.test.", "A")
    aaaa = ("shop.test.", "AAAA")
    moved = {a: RRset("shop.test.", "A", 60, ("10.203.0.12",))}  # AAAA removed by the flip
    assert active_host(inv, [moved]) == "standby"
    mixed = {**moved, aaaa: RRset("shop.test.", "AAAA", 60, ("fd00::11",))}
    assert active_host(inv, [mixed]) is None  # half one host, half the other: no single host


def test_rehearse_blocks_on_a_standby_failing_one_family_unless_partial_family_allows() -> None:
    from failover.rehearse.findings import check_findings

    half = report({"standby": {"ipv6"}})
    refused = check_findings("standby", half)
    assert [f.blocking for f in refused] == [True]
    assert "a failover would stop at its check step" in refused[0].fix
    allowed = check_findings("standby", half, "allow")
    assert [f.blocking for f in allowed] == [False]
    assert allowed[0].fix.startswith("policy.partial_family: allow: a failover would remove "
                                     "the AAAA records instead of moving them")
    both = check_findings("standby", report({"standby": {"ipv4", "ipv6"}}), "allow")
    assert [f.blocking for f in both] == [True, True]  # down on both families: no way through
