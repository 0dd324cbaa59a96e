"""Property-based tests (hypothesis, issue 17): generated inventories and playbooks (valid and
broken), state files and provider answers never produce a traceback or a half-done change;
`validate` either accepts or names file:line.

Each target runs 500 examples. They call the same code the executable runs, in-process (one
subprocess per example would cost minutes): `raw_main` is the executable's whole main, with
its error printing and exit codes; the state backend is what `check` and `failover` load;
the PowerDNS provider reads its answers from a real HTTP server on loopback.
"""

from __future__ import annotations

import copy
import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from failover.cli.main import raw_main
from failover.dns.powerdns import PowerDnsProvider, PowerDnsZone
from failover.errors import ConfigError, ProviderError
from failover.state.local import LocalStateBackend
from tests.rig.faultproxy import FaultProxy, Rule

EXAMPLES = settings(max_examples=500, deadline=None, derandomize=True,
                    suppress_health_check=[HealthCheck.function_scoped_fixture,
                                           HealthCheck.too_slow])
KEY = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl"

INVENTORY: dict[str, Any] = {
    "site": "shop.test",
    "hosts": {"primary": {"address": "127.0.0.11", "ssh": {"user": "root", "port": 22}},
              "standby": {"address": "127.0.0.12"}},
    "ssh": {"known_hosts": "./known_hosts"},
    "dns": [{"provider": "powerdns", "zone": "shop.test.", "api_url": "http://127.0.0.1:1",
             "api_key": "${TEST_PDNS_KEY}",
             "records": [{"name": "@", "type": "A", "ttl": 60}, {"name": "www", "type": "A"}]}],
    "checks": [{"name": "web", "type": "http", "url": "http://shop.test/", "timeout": "5s"}],
    "sync": [{"name": "webroot", "path": "/var/www/shop/", "max_delete": 200}],
    "policy": {"failure_threshold": 3, "cooldown": "30m"},
    "playbooks": {"failover": "failover.yaml"},
}
PLAYBOOK: dict[str, Any] = {
    "name": "Fail over",
    "steps": [{"name": "Standby serves", "check": {"host": "{{ to }}"}},
              {"sync": {"set": "webroot", "from": "{{ from }}", "to": "{{ to }}"},
               "ignore_errors": True},
              {"dns": {"to": "{{ to }}"}},
              {"dns_verify": {"to": "{{ to }}", "timeout": "1m"}}],
    "rescue": [{"dns": {"to": "{{ from }}"}}],
}

scalars = st.one_of(st.none(), st.booleans(), st.integers(-5, 100_000),
                    st.floats(allow_nan=False, allow_infinity=False),
                    st.sampled_from(["", "x", "5s", "{{ to }}", "{{ nope }}", "${UNSET_VAR}",
                                     "primary", "standby", "127.0.0.300", "-1", "A", "/abs/"]),
                    st.text(max_size=12))
values = st.recursive(scalars, lambda inner: st.one_of(
    st.lists(inner, max_size=3), st.dictionaries(st.text(max_size=8), inner, max_size=3)),
    max_leaves=6)


def paths(tree: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    """Every key or index path in a YAML tree."""
    found = [prefix] if prefix else []
    if isinstance(tree, dict):
        for k, v in tree.items():
            found += paths(v, (*prefix, k))
    elif isinstance(tree, list):
        for i, v in enumerate(tree):
            found += paths(v, (*prefix, i))
    return found


@st.composite
def mutated(draw: st.DrawFn, base: dict[str, Any]) -> dict[str, Any]:
    """`base`, or `base` with 1-3 changes: a key deleted, a value replaced, a key added."""
    doc = copy.deepcopy(base)
    for _ in range(draw(st.integers(0, 3))):
        targets = paths(doc)
        if not targets:
            break
        path = draw(st.sampled_from(targets))
        parent = doc
        for part in path[:-1]:
            parent = parent[part]
        op = draw(st.sampled_from(["delete", "replace", "add"]))
        if op == "delete":
            del parent[path[-1]]
        elif op == "replace":
            parent[path[-1]] = draw(values)
        elif isinstance(parent, dict):
            parent[draw(st.text(min_size=1, max_size=8))] = draw(values)
    return doc


LOCATED = re.compile(r"^\S*(inventory|failover)\.yaml(:\d+(:\d+)?)? ")


@EXAMPLES
@given(inventory=mutated(INVENTORY), playbook=mutated(PLAYBOOK))
def test_validate_accepts_or_names_file_and_line(
        tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch,
        inventory: dict[str, Any], playbook: dict[str, Any]) -> None:
    monkeypatch.setenv("TEST_PDNS_KEY", "secret-pdns-key")
    (tmp_path / "known_hosts").write_text(f"127.0.0.11 {KEY}\n127.0.0.12 {KEY}\n")
    path = tmp_path / "inventory.yaml"
    path.write_text(yaml.safe_dump(inventory, sort_keys=False))
    (tmp_path / "failover.yaml").write_text(yaml.safe_dump(playbook, sort_keys=False))
    capsys.readouterr()
    code = raw_main(["-i", str(path), "validate"])  # a traceback would end the test here
    out, err = capsys.readouterr()
    assert code in (0, 2), (code, out, err)
    event(f"exit {code}")
    if code == 2:
        problems = [line for line in err.splitlines() if line.strip()]
        assert problems, out
        assert LOCATED.match(problems[0]), err  # the first says which file and where
    assert "secret-pdns-key" not in out + err


STATE: dict[str, Any] = {
    "version": 1, "active": "standby", "last_round_at": 1796000000.0,
    "hosts": {"primary": {"fail": 3, "ok": 0, "down": True, "checks": {
        "web": {"fail": 3, "ok": 0, "detail": "timeout after 5s"}}}},
    "last_flip": {"at": 1796000000.0, "from": "primary", "to": "standby", "run_id": "r1"},
    "mirrors": {"webroot": {"pulled_at": 1796000000.0, "pulled_from": "primary",
                            "pushed": {"standby": 1796000000.0}}},
    "demoted": {"primary": {"since": 1796000000.0, "why": "lost the site", "fenced": True}},
}


@EXAMPLES
@given(state=mutated(STATE), cut=st.integers(0, 400), noise=st.binary(max_size=6))
def test_a_state_file_is_read_or_refused_with_its_name(tmp_path: Path, state: dict[str, Any],
                                                       cut: int, noise: bytes) -> None:
    """What `check` and `failover` load first: any file gives a State or a ConfigError naming
    state.json; a refused file is left exactly as it was."""
    store = LocalStateBackend(tmp_path)
    text = json.dumps(state).encode()
    data = text if cut == 0 else text[:cut] + noise
    store.path.write_bytes(data)
    try:
        loaded = store.load()
    except ConfigError as e:
        refused: ConfigError | None = e
    else:
        refused = None
    event("refused" if refused else "read")
    if refused is not None:
        assert all(str(store.path) in str(r) for r in refused.reasons), refused.reasons
        assert store.path.read_bytes() == data
        return
    store.save(loaded)  # what it read, it can write back, and read again the same
    assert store.load() == loaded


rrset = st.fixed_dictionaries({}, optional={
    "name": st.one_of(st.sampled_from(["shop.test.", "www.shop.test.", "SHOP.TEST."]), values),
    "type": st.one_of(st.sampled_from(["A", "AAAA", "MX", "TXT", "a"]), values),
    "ttl": st.one_of(st.integers(-1, 10**6), values),
    "records": st.one_of(st.lists(st.fixed_dictionaries(
        {"content": st.one_of(st.sampled_from(["10.203.0.11", "::1", "10 mx.shop.test.",
                                               "not an address", ""]), values)},
        optional={"disabled": st.booleans()}), max_size=3), values),
})
answers = st.one_of(values, st.fixed_dictionaries({"rrsets": st.one_of(
    st.lists(st.one_of(rrset, values), max_size=4), values)}))


@pytest.fixture(scope="module")
def api() -> Iterator[FaultProxy]:
    """A real HTTP server on loopback answering what the example says (a rule with no target
    behind it: nothing is forwarded)."""
    with FaultProxy("http://127.0.0.1:9") as proxy:
        proxy.add_rule(Rule(lambda m, p, b: True, times=10**9, status=200,
                            content_type="application/json"))
        yield proxy


@EXAMPLES
@given(answer=answers, raw=st.booleans(), junk=st.binary(max_size=20))
def test_any_zone_answer_is_parsed_or_refused_with_a_provider_error(
        api: FaultProxy, answer: Any, raw: bool, junk: bytes) -> None:
    """What a flip reads first: whatever the API answers, the provider returns managed rrsets
    or raises a ProviderError naming the zone (the flip then changes nothing)."""
    api.rules[0].body = junk if raw else json.dumps(answer).encode()
    zone = PowerDnsZone.parse({"provider": "powerdns", "zone": "shop.test.",
                               "api_url": api.url, "api_key": "secret-api-key", "timeout": 5,
                               "records": [{"name": "@", "type": "A", "ttl": 60},
                                           {"name": "www", "type": "A", "ttl": 60}]})
    provider = PowerDnsProvider(zone)
    try:
        found = provider.read()
    except ProviderError as e:
        error: ProviderError | None = e
    else:
        error = None
    event("refused" if error else "read")
    if error is not None:
        assert str(error).startswith(f"powerdns zone shop.test. at {api.url}: "), error
        assert "secret-api-key" not in str(error)
        return
    assert set(found) <= set(provider.managed)
    for rr in found.values():
        assert isinstance(rr.ttl, int)
        assert rr.values
