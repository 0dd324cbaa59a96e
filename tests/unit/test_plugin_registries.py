"""The plug-in seams: dns/registry.py and checks/registry.py name every plug-in (key = module
name = inventory value); each plug-in module holds its settings model; the model finds them by
name without importing a back-end, and reading an inventory loads no client library."""

from __future__ import annotations

import ast
import importlib
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import get_args

import pytest

from failover.checks.registry import PLUGINS as CHECK_PLUGINS
from failover.dns.base import DnsProvider
from failover.dns.registry import PLUGINS as DNS_PLUGINS
from failover.dns.registry import PROVIDERS
from failover.model.coerce import fields_of

PACKAGE = Path(__file__).resolve().parents[2] / "failover"


def literal_of(model: type, key: str) -> tuple[object, ...]:
    return get_args(next(f.type for f in fields_of(model) if f.encode_name == key))


@pytest.mark.parametrize("name", list(PROVIDERS))
def test_each_provider_module_holds_its_settings_and_its_provider(name: str) -> None:
    module = importlib.import_module(f"failover.dns.{name}")
    settings, provider = getattr(module, PROVIDERS[name].settings), \
        getattr(module, PROVIDERS[name].provider)
    assert DNS_PLUGINS[name] == f"failover.dns.{name}:{settings.__name__}"
    assert literal_of(settings, "provider") == (name,)
    assert issubclass(provider, DnsProvider)
    assert provider.name == name


@pytest.mark.parametrize("name", list(CHECK_PLUGINS))
def test_each_check_module_holds_its_settings(name: str) -> None:
    module, _, cls = CHECK_PLUGINS[name].partition(":")
    assert module == f"failover.checks.{name}"
    assert literal_of(getattr(importlib.import_module(module), cls), "type") == (name,)


def test_the_dns_contract_suite_is_bound_to_every_provider() -> None:
    from tests.contract import test_dns_providers
    from tests.contract.dns_contract import DnsProviderContract

    bound = {cls.PROVIDER for cls in vars(test_dns_providers).values()
             if isinstance(cls, type) and issubclass(cls, DnsProviderContract)
             and cls is not DnsProviderContract}
    assert bound == set(PROVIDERS)


def test_model_imports_no_plug_in_package() -> None:
    for path in (PACKAGE / "model").glob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            names = [a.name for a in node.names] if isinstance(node, ast.Import) else \
                [node.module or ""] if isinstance(node, ast.ImportFrom) else []
            assert not [n for n in names if n.startswith("failover.") and
                        not n.startswith(("failover.model", "failover.errors"))], path.name


def test_reading_an_inventory_loads_no_provider_library() -> None:
    # every provider's settings are read; requests, dnspython, boto3 and dns-lexicon wait until
    # a provider is built (bench/startup.py holds `failover check` to the same)
    code = textwrap.dedent("""
        import sys
        from failover.model.inventory import Inventory
        record = [{"name": "@", "type": "A"}]
        Inventory.parse({
            "site": "s", "path": "/x/inventory.yaml", "state_dir": "/x",
            "hosts": {"a": {"address": "192.0.2.1"}, "b": {"address": "192.0.2.2"}},
            "ssh": {"known_hosts": "/x/known_hosts"},
            "checks": [{"name": "web", "type": "tcp", "port": 80}],
            "dns": [
                {"provider": "powerdns", "zone": "a.", "records": record,
                 "api_url": "http://127.0.0.1:1", "api_key": "k"},
                {"provider": "rfc2136", "zone": "b.", "records": record,
                 "server": "127.0.0.1:53", "tsig": {"name": "k", "secret": "a2V5"}},
                {"provider": "route53", "zone": "c.", "records": record},
                {"provider": "lexicon", "zone": "d.", "records": record,
                 "lexicon": {"provider": "ovh"}},
            ]})
        print(sorted(m for m in ("requests", "dns", "boto3", "botocore", "lexicon")
                     if m in sys.modules))
        """)
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True, timeout=60).stdout
    assert out.strip() == "[]"


def test_an_unknown_plug_in_name_lists_the_registered_ones() -> None:
    from failover.model.coerce import Invalid
    from failover.model.inventory import Inventory

    with pytest.raises(Invalid) as caught:
        Inventory.parse({
            "site": "s", "path": "/x/inventory.yaml", "state_dir": "/x",
            "hosts": {"a": {"address": "192.0.2.1"}, "b": {"address": "192.0.2.2"}},
            "ssh": {"known_hosts": "/x/known_hosts"},
            "checks": [{"name": "web", "type": "ftp"}],
            "dns": [{"provider": "bind", "zone": "a.", "records": [{"name": "@", "type": "A"}]}]})
    messages = {p.path: p.message for p in caught.value.problems}
    assert messages[("dns", 0, "provider")] == \
        f"'bind' is not one of: {', '.join(PROVIDERS)}"
    assert messages[("checks", 0, "type")] == \
        f"'ftp' is not one of: {', '.join(CHECK_PLUGINS)}"
