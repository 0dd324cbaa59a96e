"""The rfc2136, route53 and lexicon zone settings, the blast-radius lint, and the message for a
missing optional extra."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from failover.config import load_inventory
from failover.config.lint import lint
from failover.errors import ConfigError
from failover.model.inventory import Inventory

HEAD = """
    site: shop.example
    hosts:
      ovh-gra: {provider: ovh, address: 203.0.113.10, networks: [192.0.2.0/25]}
      scw-par: {provider: scaleway, address: 198.51.100.20}
    ssh: {known_hosts: known_hosts}
    checks: [{name: web, type: tcp, port: 80}]
    control_targets: ["tcp://9.9.9.9:53"]
    sync: [{name: www, path: /var/www/}]
    dns:
"""


def load(tmp_path: Path, zones: str, environ: dict[str, str] | None = None) -> Inventory:
    (tmp_path / "known_hosts").write_text("")
    text = textwrap.dedent(HEAD).lstrip("\n") + textwrap.indent(textwrap.dedent(zones), "  ")
    path = tmp_path / "inventory.yaml"
    path.write_text(text)
    return load_inventory(path, environ or {})


def test_rfc2136_zone_with_a_secret_file_relative_to_the_inventory(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"dns\[0\]\.tsig\.secret_file"):
        load(tmp_path, """
            - provider: rfc2136
              zone: shop.example.
              server: 127.0.0.1:53
              tsig: {name: failover-key, secret_file: keys/tsig.key}
              records: [{name: "@", type: A}]
            """)
    (tmp_path / "keys").mkdir()
    (tmp_path / "keys" / "tsig.key").write_text("c2VjcmV0\n")
    inv = load(tmp_path, """
        - provider: rfc2136
          zone: shop.example.
          server: 127.0.0.1:53
          tsig: {name: failover-key, secret_file: keys/tsig.key}
          records: [{name: "@", type: A}]
        """)
    tsig = inv.dns[0].tsig  # type: ignore[union-attr]
    assert tsig.secret_file == tmp_path / "keys" / "tsig.key"
    assert tsig.algorithm == "hmac-sha256"


def test_rfc2136_needs_exactly_one_secret(tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as info:
        load(tmp_path, """
            - provider: rfc2136
              zone: shop.example.
              server: 127.0.0.1:53
              tsig: {name: failover-key}
              records: [{name: "@", type: A}]
            """)
    text = str(info.value)
    assert "inventory.yaml:14:11 dns[0].tsig: " in text
    assert "give exactly one of `secret`" in text


def test_secrets_are_masked_in_every_rendering(tmp_path: Path) -> None:
    inv = load(tmp_path, """
        - provider: rfc2136
          zone: a.example.
          server: 127.0.0.1:53
          tsig: {name: k, secret: "${TSIG}"}
          records: [{name: "@", type: A}]
        - provider: lexicon
          zone: b.example.
          lexicon: {provider: ovh, auth_entrypoint: ovh-eu, auth_application_key: "${AK}"}
          records: [{name: "@", type: A}]
        """, {"TSIG": "c2VjcmV0LXRzaWc=", "AK": "application-key-123"})
    dumped = repr(inv) + json.dumps(inv.to_json(), separators=(",", ":"))
    assert "c2VjcmV0LXRzaWc=" not in dumped
    assert "application-key-123" not in dumped
    assert '"provider":"ovh"' in dumped  # the provider name is not a credential: shown


def test_route53_settings_and_unknown_keys(tmp_path: Path) -> None:
    inv = load(tmp_path, """
        - provider: route53
          zone: shop.example.
          profile: failover
          records: [{name: "@", type: A}]
        """)
    assert inv.dns[0].hosted_zone_id is None  # type: ignore[union-attr]
    with pytest.raises(ConfigError, match="aws_secret_access_key"):
        load(tmp_path, """
            - provider: route53
              zone: shop.example.
              aws_secret_access_key: nope
              records: [{name: "@", type: A}]
            """)


def test_blast_radius_lint(tmp_path: Path) -> None:
    inv = load(tmp_path, """
        - provider: powerdns
          zone: shop.example.
          api_url: http://198.51.100.99:8081
          api_key: k
          nameservers: ["203.0.113.53", "dns101.ovh.net:53", "192.0.2.7", "ns.example.org"]
          records:
            - {name: "@", type: A}
            - {name: "@", type: MX, ttl: 3600,
               values: {ovh-gra: "10 mx1.ovh.net.", scw-par: "10 mx.example.org."}}
        - provider: lexicon
          zone: other.example.
          lexicon: {provider: ovh}
          records: [{name: "@", type: A}]
        """)
    warnings = lint(inv)
    text = "\n".join(warnings)
    assert ("nameserver 203.0.113.53 shares fate with host ovh-gra (203.0.113.53 is in "
            "203.0.113.0/24)") in text
    assert "nameserver 192.0.2.7 shares fate with host ovh-gra (192.0.2.7 is in 192.0.2.0/25)" \
        in text
    assert ("nameserver dns101.ovh.net:53 shares fate with host ovh-gra (its name carries the "
            "provider label 'ovh')") in text
    assert "MX 10 mx1.ovh.net. shares fate with host ovh-gra" in text
    assert "api_url http://198.51.100.99:8081 shares fate with host scw-par" in text
    assert "lexicon provider ovh shares fate with host ovh-gra" in text
    assert "provider lexicon changes records one by one, not atomically" in text
    assert "TTL 3600s is above 300s" in text
    assert "ns.example.org" not in text


def test_a_clean_inventory_has_no_dns_warnings(tmp_path: Path) -> None:
    inv = load(tmp_path, """
        - provider: route53
          zone: shop.example.
          records: [{name: "@", type: A}]
        """)
    assert [w for w in lint(inv) if "dns[" in w] == []


@pytest.mark.parametrize(("module", "model", "zone", "how"), [
    # boto3 is a dependency: missing, the installation is broken
    ("boto3", "route53:Route53Zone", {"provider": "route53"},
     "reinstall failover (pip install --force-reinstall"),
    # dns-lexicon is an extra: missing, it was never asked for
    ("lexicon", "lexicon:LexiconZone", {"provider": "lexicon", "lexicon": {"provider": "ovh"}},
     "install it with: pip install 'failover[lexicon]'"),
])
def test_a_missing_library_says_how_to_install_it(module: str, model: str,
                                                 zone: dict[str, object], how: str) -> None:
    # a child Python where importing the provider's library fails
    code = textwrap.dedent(f"""
        import sys
        sys.modules[{module!r}] = None
        from failover.dns.registry import provider_for
        from failover.errors import ProviderError
        from failover.dns.{model.replace(":", " import ")} as Zone
        zone = Zone.parse({{**{zone!r}, "zone": "shop.example.",
                                     "records": [{{"name": "@", "type": "A"}}]}})
        try:
            provider_for(zone)
        except ProviderError as exc:
            print(exc)
        """)
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True, timeout=60).stdout
    assert f"DNS provider {zone['provider']!r} cannot load" in out, out
    assert how in out, out
