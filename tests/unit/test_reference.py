"""docs/inventory.md is written from the models: it fails here when they drift apart."""

from __future__ import annotations

from pathlib import Path

from failover.config.reference import reference

DOC = Path(__file__).resolve().parents[2] / "docs" / "inventory.md"


def test_the_inventory_reference_matches_the_models() -> None:
    assert DOC.read_text() == reference(), "docs/inventory.md is out of date: run `make docs`"


def test_every_key_of_the_models_is_in_the_reference() -> None:
    import failover.model.inventory as inventory
    from failover.checks.http import HttpCheck
    from failover.dns.rfc2136 import Tsig
    from failover.dns.route53 import Route53Zone
    from failover.model.coerce import fields_of

    text = DOC.read_text()
    for model in (inventory.Host, inventory.Policy, inventory.SyncSet, HttpCheck,
                  Route53Zone, Tsig):
        for f in fields_of(model):
            assert f"| `{f.encode_name}` |" in text, (model.__name__, f.encode_name)
