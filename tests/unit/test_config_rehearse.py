"""Issue 13's inventory keys: `canary:` (in a managed zone, never a managed record, file:line
otherwise), policy.check_interval and policy.rto_target; and the RTO estimate built from them
(rehearse/estimate.py, pure)."""

from __future__ import annotations

import json
from pathlib import Path

import msgspec
import pytest

from failover.engine.journal import Journal, StepRecord
from failover.model.playbook import Playbook
from failover.rehearse.estimate import Measured, estimate
from tests.unit.test_config import MINIMAL, load, problems


@pytest.fixture(autouse=True)
def _in_tmp(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "known_hosts").write_text("")


def test_canary_and_policy_keys_load() -> None:
    inv = load(MINIMAL + "    canary: Failover-Drill.shop.example\n"
                         "    policy: {check_interval: 10s, rto_target: 5m}\n")
    assert inv.canary == "failover-drill.shop.example."
    assert (inv.policy.check_interval, inv.policy.rto_target) == (10.0, 300.0)
    defaults = load(MINIMAL)
    assert (defaults.canary, defaults.policy.check_interval, defaults.policy.rto_target) == \
        (None, 60.0, None)


def test_a_canary_outside_every_zone_is_refused_with_its_line() -> None:
    assert problems(MINIMAL + "    canary: failover-drill.elsewhere.example.\n") == [
        "inventory.yaml:14:9 canary: failover-drill.elsewhere.example. is in none of the "
        "managed zones (shop.example.); name a record in one of them, e.g. "
        "failover-drill.shop.example."]


def test_a_managed_record_cannot_be_the_canary() -> None:
    assert problems(MINIMAL + "    canary: shop.example.\n") == [
        "inventory.yaml:14:9 canary: shop.example. is a managed record of zone shop.example.: "
        "a drill must never move customer traffic; name a record no customer uses, e.g. "
        "failover-drill.shop.example."]


def test_a_bad_rto_target_names_its_key() -> None:
    assert problems(MINIMAL + "    policy: {rto_target: soon}\n") == [
        "inventory.yaml:14:22 policy.rto_target: 'soon' is not a duration (e.g. 30s, 5m, 1h, "
        "or seconds)"]


PLAYBOOK = msgspec.convert(json.loads('''{"name": "f", "steps": [
    {"check": {"host": "{{ to }}"}},
    {"sync": {"set": "webroot", "to": "{{ to }}"}},
    {"ssh": {"host": "{{ to }}", "command": "start"}},
    {"dns": {"to": "{{ to }}"}},
    {"dns_verify": {"to": "{{ to }}"}},
    {"notify": {"message": "done"}}]}'''), Playbook)


def test_the_estimate_adds_detection_steps_dns_and_caches() -> None:
    inv = load(MINIMAL + "    policy: {failure_threshold: 2, check_interval: 30s, "
                         "rto_target: 2m}\n")
    measured = Measured(check=0.5, sync={"webroot": 3.0}, dns_write=0.25, dns_propagation=1.25)
    est = estimate(inv, PLAYBOOK, measured, None)
    assert est.to_json() == {"estimate": 130.0, "target": 120.0, "parts": {
        "detection": 60.0, "step 1: check": 0.5, "step 2: sync": 3.0, "step 3: ssh": 5.0,
        "step 4: dns": 0.25, "step 5: dns_verify": 1.25, "caches": 60.0}}
    assert est.over
    assert [p.source for p in est.parts][3] == "default estimate, not measured"
    assert est.not_counted == ["step 6: notify (notify: after DNS, customers do not wait for it)"]


def test_steps_the_drill_did_not_run_come_from_the_last_real_run() -> None:
    inv = load(MINIMAL)
    run = Journal("20261201T120000Z-abcd", "p", "f", {}, False, "me", 0.0, status="ok", steps=[
        StepRecord(2, "steps", "ssh", "ssh", "ok", 100.0, 102.5),
        StepRecord(3, "steps", "dns", "dns", "ok", 103.0, 103.75)])
    est = estimate(inv, PLAYBOOK, Measured(check=0.5), run)
    parts = {p.name: (p.seconds, p.source) for p in est.parts}
    assert parts["step 3: ssh"] == (2.5, "the last real failover, run 20261201T120000Z-abcd")
    assert parts["step 4: dns"] == (0.75, "the last real failover, run 20261201T120000Z-abcd")
    assert parts["step 5: dns_verify"] == (30.0, "default estimate, not measured")
    assert est.target is None
    assert not est.over
