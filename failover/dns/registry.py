"""Which DNS providers exist: registry key = module name = the inventory's `provider:` value.

`provider: rfc2136` lives in `failover/dns/rfc2136.py`, which holds both its settings model
(`Rfc2136Zone`) and its provider (`Rfc2136Provider`). This module names them and imports nothing
of them: the inventory loader (model/types.py `Plugin`) reads `PLUGINS` to find the one settings
model a zone names, and `provider_for` imports the one provider a zone uses. A provider module
keeps its client library (requests, dnspython, boto3, dns-lexicon) out of its top-level imports,
so reading an inventory never loads one; it is imported when the provider is built.

Adding a provider: write `failover/dns/<name>.py` (settings model + DnsProvider subclass, see
dns/base.py) and add one line to PROVIDERS.
"""

from __future__ import annotations

import importlib

import msgspec

from failover.dns.base import DnsProvider
from failover.errors import ProviderError
from failover.model.inventory import ZoneBase


class Entry(msgspec.Struct, frozen=True):
    """Class names in `failover.dns.<name>`; `extra`: the pip extra that brings its library."""

    settings: str
    provider: str
    extra: str | None = None


# In the order validation messages list them ("... is not one of: powerdns, rfc2136, ...").
PROVIDERS: dict[str, Entry] = {
    "powerdns": Entry("PowerDnsZone", "PowerDnsProvider"),
    "rfc2136": Entry("Rfc2136Zone", "Rfc2136Provider"),
    "route53": Entry("Route53Zone", "Route53Provider"),
    "lexicon": Entry("LexiconZone", "LexiconProvider", extra="lexicon"),
}

# What model/types.py `Plugin` reads: name -> "module:SettingsModel".
PLUGINS: dict[str, str] = {name: f"{__package__}.{name}:{entry.settings}"
                           for name, entry in PROVIDERS.items()}


def available_providers() -> list[str]:
    """Every provider name, sorted."""
    return sorted(PROVIDERS)


def provider_for(zone: ZoneBase) -> DnsProvider:
    """The provider for `zone`, built: module `failover.dns.<zone.provider>`, imported now.

    Raises ProviderError for an unknown name, or when the provider's library is missing (the
    message says how to install it: an extra, or a reinstall for a plain dependency).
    """
    name = zone.provider
    entry = PROVIDERS.get(name)
    if entry is None:
        raise ProviderError(f"zone {zone.zone}: unknown DNS provider {name!r} "
                            f"(available: {', '.join(available_providers())})")
    try:
        module = importlib.import_module(f"{__package__}.{name}")
        cls: type[DnsProvider] = getattr(module, entry.provider)
        return cls(zone)
    except ImportError as exc:  # the module's own import, or its library's, imported on build
        how = (f"install it with: pip install 'failover[{entry.extra}]'" if entry.extra else
               "it is a dependency of failover: reinstall failover (pip install "
               "--force-reinstall failover)")
        raise ProviderError(f"zone {zone.zone}: DNS provider {name!r} cannot load ({exc}); "
                            f"{how}") from None
