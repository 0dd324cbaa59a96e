"""The pieces under the loader: YAML marks, ${VAR} expansion, lint warnings, the JSON Schema."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from failover.config import inventory_schema, load_inventory, playbook_schema
from failover.config.env import expand, expand_string
from failover.config.lint import lint
from failover.config.yamlmarks import Document, Mark, dotted, read_yaml
from failover.errors import ConfigError

# --- YAML with marks --------------------------------------------------------------------------


def read(tmp_path: Path, text: str) -> Document:
    path = tmp_path / "f.yaml"
    path.write_text(textwrap.dedent(text).lstrip("\n"))
    return read_yaml(path, label="f.yaml")


def test_marks_for_keys_and_values(tmp_path: Path) -> None:
    doc = read(tmp_path, """
        hosts:
          ovh-gra:
            ssh: {user: deploy, port: 22}
        dns:
          - zone: shop.example.
    """)
    assert doc.data == {"hosts": {"ovh-gra": {"ssh": {"user": "deploy", "port": 22}}},
                        "dns": [{"zone": "shop.example."}]}
    assert doc.keys[("hosts", "ovh-gra", "ssh", "port")] == Mark(3, 25)
    assert doc.values[("hosts", "ovh-gra", "ssh", "port")] == Mark(3, 31)
    assert doc.values[("dns", 0)] == Mark(5, 5)
    assert doc.keys[("dns", 0, "zone")] == Mark(5, 5)
    assert doc.mark(("hosts", "ovh-gra", "address")) == Mark(2, 3)  # nearest parent: its key


def test_keys_stay_text(tmp_path: Path) -> None:
    doc = read(tmp_path, "hosts: {22: a, on: b, null: c}\n")
    assert doc.data == {"hosts": {"22": "a", "on": "b", "null": "c"}}


def test_duplicate_keys_are_all_reported(tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as info:
        read(tmp_path, """
            site: a
            hosts: {x: 1, x: 2}
            site: b
        """)
    assert [str(r) for r in info.value.reasons] == [
        "f.yaml:2:15 hosts.x: duplicate key (first defined at line 2)",
        "f.yaml:3:1 site: duplicate key (first defined at line 1)",
    ]


def test_merge_keys_fill_in_without_overriding(tmp_path: Path) -> None:
    doc = read(tmp_path, """
        defaults: &ssh {user: deploy, port: 22}
        a: {<<: *ssh, port: 2222}
    """)
    assert doc.data["a"] == {"port": 2222, "user": "deploy"}


def test_recursive_alias(tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as info:
        read(tmp_path, "a: &x [1, *x]\n")
    assert str(info.value) == "f.yaml:1:4 a[1]: an alias refers to itself (recursive YAML)"


def test_two_documents(tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as info:
        read(tmp_path, "a: 1\n---\nb: 2\n")
    assert str(info.value) == ("f.yaml:2:1 YAML syntax error: but found another document "
                               "(expected a single document in the stream)")


def test_unknown_tag(tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as info:
        read(tmp_path, "a: !env HOME\n")
    assert str(info.value) == ("f.yaml:1:4 YAML syntax error: could not determine a constructor "
                               "for the tag '!env'")


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as info:
        read_yaml(tmp_path / "nope.yaml", label="nope.yaml")
    assert str(info.value) == "nope.yaml cannot read the file: No such file or directory"


def test_dotted() -> None:
    assert dotted(("dns", 0, "records", 2, "values")) == "dns[0].records[2].values"
    assert dotted((0,)) == "[0]"
    assert dotted(()) == ""


# --- ${VAR} expansion -------------------------------------------------------------------------


@pytest.mark.parametrize(("text", "expanded"), [
    ("${A}", "alpha"),
    ("x-${A}-${B}-y", "x-alpha-beta-y"),
    ("${MISSING:-fallback}", "fallback"),
    ("${EMPTY:-fallback}", "fallback"),
    ("${EMPTY}", ""),
    ("${MISSING:-}", ""),
    ("${MISSING:-a:b/c}", "a:b/c"),
    ("pa$$word", "pa$word"),
    ("$${A}", "${A}"),
    ("costs $5", "costs $5"),
    ("{{ to }}", "{{ to }}"),
])
def test_expand_string(text: str, expanded: str) -> None:
    assert expand_string(text, {"A": "alpha", "B": "beta", "EMPTY": ""}) == (expanded, None)


@pytest.mark.parametrize(("text", "problem"), [
    ("${NOPE}", "environment variable NOPE is not set (set it, or write ${NOPE:-default})"),
    ("${A", "'${' without a closing '}' (write ${VAR}, or $$ for a literal $)"),
    ("${1A}", "'${1A}' is not ${VAR} or ${VAR:-default} (letters, digits and _ in the name)"),
    ("${A-x}", "'${A-x}' is not ${VAR} or ${VAR:-default} (letters, digits and _ in the name)"),
])
def test_expand_string_problems(text: str, problem: str) -> None:
    assert expand_string(text, {"A": "alpha"}) == (text, problem)


def test_expand_walks_values_not_keys() -> None:
    data = {"${A}": ["${A}", 5, None, {"k": "${NOPE}"}]}
    expanded, problems = expand(data, {"A": "alpha"})
    assert expanded == {"${A}": ["alpha", 5, None, {"k": "${NOPE}"}]}
    assert problems == [(("${A}", 3, "k"), "environment variable NOPE is not set (set it, or "
                                           "write ${NOPE:-default})")]
    assert data == {"${A}": ["${A}", 5, None, {"k": "${NOPE}"}]}  # the input is not changed


# --- lint -------------------------------------------------------------------------------------


def test_lint_warnings(tmp_path: Path) -> None:
    (tmp_path / "known_hosts").write_text("")
    (tmp_path / "inventory.yaml").write_text(textwrap.dedent("""
        site: shop.example
        hosts:
          ovh-gra: {provider: ovh, address: 203.0.113.10}
          ovh-rbx: {provider: OVH, address: 203.0.113.20}
          scw-par: {address: 198.51.100.20}
        ssh: {known_hosts: known_hosts}
        dns:
          - provider: powerdns
            zone: shop.example.
            api_url: http://127.0.0.1:8081
            api_key: k
            records: [{name: "@", type: A, ttl: 3600}]
        checks:
          - {name: storefront, type: http, url: "https://shop.example/"}
        policy: {auto_failover: true}
    """))
    inventory = load_inventory(tmp_path / "inventory.yaml", {})
    assert lint(inventory) == [
        "host scw-par has no provider label: lint cannot tell whether it shares a hoster with "
        "the others",
        "hosts ovh-gra and ovh-rbx share provider 'ovh': one outage can take both",
        "dns[0].records[0] (@ A in shop.example.): TTL 3600s is above 300s; resolvers may keep "
        "sending clients to the old host that long after a flip",
        "checks[0] (storefront): an http check without expect_body passes on any page that "
        "answers 200, such as an empty web root's directory listing or a hoster's parking page; "
        "add expect_body: a text only your shop's page shows (e.g. \"Add to cart\")",
        "no control_targets configured: the checker cannot tell its own outage from the hosts'",
        "no sync sets: a standby serves whatever content it already has",
        "policy.auto_failover is true but playbooks has no 'failover' entry: an automatic "
        "failover would have nothing to run",
    ]


# --- JSON Schema ------------------------------------------------------------------------------


def test_inventory_schema_is_what_users_write() -> None:
    schema = inventory_schema()
    assert "path" not in schema["properties"]
    assert set(schema["required"]) == {"site", "hosts", "ssh", "dns", "checks"}
    assert schema["properties"]["state_dir"]["default"] == ".failover"
    cooldown = schema["$defs"]["Policy"]["properties"]["cooldown"]
    assert {"type": "number", "minimum": 0} in cooldown["anyOf"]
    assert cooldown["default"] == 1800.0
    assert schema["$defs"]["HostSsh"]["additionalProperties"] is False


def test_playbook_schema_accepts_duration_strings() -> None:
    schema = playbook_schema()
    timeout = schema["$defs"]["DnsVerifyAction"]["properties"]["timeout"]
    assert [branch["type"] for branch in timeout["anyOf"]] == ["number", "string"]
