"""Any dns-lexicon provider (OVH, Cloudflare, Gandi, ...; extra: `pip install 'failover[lexicon]'`).

Implementation notes:
- Settings come from the zone's `lexicon:` mapping: `provider` names the dns-lexicon provider,
  every other key is that provider's option (`auth_token`, `pdns_server`, ...), as the lexicon
  CLI names them with '-' turned into '_'. Credential-looking values are Secret in the model.
- We build the provider class ourselves instead of `lexicon.client.Client`: the Client guesses the
  zone with tldextract, which downloads the public suffix list (or asks the system resolver with
  `resolve_zone_name`). Our zone is known, so we set `domain` and no lookup happens. The provider
  module is loaded with `lexicon._private.discovery.load_provider_module`, which is what the
  Client itself uses (pinned: dns-lexicon>=3,<4).
- dns-lexicon works record by record (create_record/delete_record), so a zone change is several
  API calls: ATOMIC is False, `validate` says so. When a call fails mid-way, `_apply` puts back
  every rrset it had already touched (its `before` values and TTL) and then raises, so a failed
  apply leaves the zone as it was whenever the provider still answers.
- To set an rrset: delete every record of (name, type), then create each value with the wanted
  TTL (lexicon's `ttl` option). Providers raise anything (requests errors, their own exceptions),
  hence the broad catches, each turned into a ProviderError that never quotes the settings.
- dns-lexicon is imported when the provider is built, not with this module: the settings model
  below is read with every inventory, and the extra may not be installed at all (then building the
  provider raises ImportError, which dns/registry.py turns into how to install it).
"""

from __future__ import annotations

import logging
from typing import Annotated, Any, ClassVar, Literal

from failover.dns.base import DnsProvider
from failover.dns.records import RecordChange, RRKey, RRset, ZonePlan, canonical_values
from failover.errors import ProviderError
from failover.model.inventory import ZoneBase
from failover.model.types import After, Duration, Meta, Secret

log = logging.getLogger(__name__)


# -- settings (dns[] with `provider: lexicon`) ---------------------------------------------------

_LEXICON_SECRET_HINTS = ("auth", "token", "secret", "password", "key")
LexiconValue = str | int | bool  # as written; credential-looking strings become Secret


def _lexicon(value: dict[str, LexiconValue]) -> dict[str, LexiconValue | Secret]:
    if not isinstance(value.get("provider"), str) or not value["provider"]:
        raise ValueError("needs `provider:` (a dns-lexicon provider name, e.g. ovh)")
    # credentials are masked everywhere (repr, --json, audit): a Secret prints ***
    return {k: Secret(v) if isinstance(v, str) and k != "provider"
            and any(h in k.lower() for h in _LEXICON_SECRET_HINTS) else v
            for k, v in value.items()}


class LexiconZone(ZoneBase):
    """Any dns-lexicon provider: `lexicon: {provider: ovh, auth_...: ...}`. Not atomic."""

    provider: Literal["lexicon"]
    lexicon: Annotated[dict[str, LexiconValue], After(_lexicon), Meta(
        description="dns-lexicon's settings: provider, auth_...; credentials are masked")]
    timeout: Annotated[Duration, Meta(description="per API request")] = 30.0


# -- provider --------------------------------------------------------------------------------------


class LexiconProvider(DnsProvider):
    """One zone through a dns-lexicon provider. NOT atomic (record by record); idempotent."""

    name: ClassVar[str] = "lexicon"
    ATOMIC: ClassVar[bool] = False

    zone: LexiconZone

    def __init__(self, zone: LexiconZone) -> None:
        super().__init__(zone)
        settings = {k: v.get_secret_value() if hasattr(v, "get_secret_value") else v
                    for k, v in zone.lexicon.items()}
        self._backend = str(settings.pop("provider"))
        self._settings = settings
        self._where = f"lexicon ({self._backend}) zone {self.zone_name}"
        from lexicon._private.discovery import load_provider_module

        try:
            self._module = load_provider_module(self._backend)
        except (ImportError, AttributeError, ValueError):
            raise ProviderError(f"{self._where}: dns-lexicon has no provider "
                                f"{self._backend!r}") from None

    def _provider(self, ttl: int | None = None) -> Any:
        """A fresh, authenticated lexicon provider (their zone caches go stale after writes)."""
        from lexicon.config import ConfigResolver, DictConfigSource

        options: dict[str, Any] = {"provider_name": self._backend,
                                   "domain": self.zone_name.rstrip("."),
                                   self._backend: dict(self._settings)}
        if ttl is not None:
            options["ttl"] = ttl
        config = ConfigResolver().with_config_source(  # type: ignore[no-untyped-call]
            DictConfigSource(options))
        self.calls["read"] += 1
        try:
            provider = self._module.Provider(config)
            provider.authenticate()
        except Exception as exc:  # noqa: BLE001  (providers raise anything)
            raise ProviderError(f"{self._where}: cannot connect or authenticate "
                                f"({_describe(exc)})") from None
        return provider

    def _fetch(self, keys: set[RRKey]) -> dict[RRKey, RRset]:
        provider = self._provider()
        self.calls["read"] += 1
        try:
            records = provider.list_records()
        except Exception as exc:  # noqa: BLE001  (providers raise anything)
            raise ProviderError(f"{self._where}: cannot list records ({_describe(exc)})") from None
        grouped: dict[RRKey, tuple[int, list[str]]] = {}
        for item in records:
            try:
                name = _fqdn(str(item["name"]), self.zone_name)
                rtype, content = str(item["type"]).upper(), str(item["content"])
                ttl = int(item.get("ttl") or 0)
            except (KeyError, TypeError, ValueError) as exc:
                raise ProviderError(f"{self._where}: unexpected record in the answer "
                                    f"({type(exc).__name__})") from None
            if (name, rtype) in keys:
                grouped.setdefault((name, rtype), (ttl, []))[1].append(content)
        found: dict[RRKey, RRset] = {}
        for (name, rtype), (ttl, contents) in grouped.items():
            try:
                found[(name, rtype)] = RRset(name, rtype, ttl, canonical_values(rtype, contents))
            except ValueError as exc:
                raise ProviderError(f"{self._where}: unexpected value for {name} {rtype}: "
                                    f"{exc}") from None
        return found

    def _apply(self, plan: ZonePlan) -> None:
        done: list[RecordChange] = []
        for change in plan.changes:
            try:
                done.append(change)  # a half-set rrset must be put back too
                self._set(change.name, change.type, change.ttl, change.after)
            except ProviderError as exc:
                failed = self._roll_back(done)
                state = ("every record already changed was put back" if not failed else
                         f"PUT BACK FAILED for {', '.join(failed)}: set them by hand")
                raise ProviderError(f"{exc}; {state}") from None
        log.debug("applied: zone=%s rrsets=%d", self.zone_name, len(plan.changes))

    def _roll_back(self, done: list[RecordChange]) -> list[str]:
        failed: list[str] = []
        for change in reversed(done):
            try:
                self._set(change.name, change.type, change.ttl_before or change.ttl,
                          change.before)
            except ProviderError:
                failed.append(f"{change.name} {change.type}")
        log.warning("rolled_back: zone=%s rrsets=%d failed=%d", self.zone_name, len(done),
                    len(failed))
        return failed

    def _set(self, name: str, rtype: str, ttl: int, values: tuple[str, ...]) -> None:
        """Make (name, rtype) hold exactly `values` with `ttl`; no values = delete it."""
        provider = self._provider(ttl)
        short = name.rstrip(".")
        try:
            self.calls["write"] += 1
            provider.delete_record(None, rtype, short, None)
            for value in values:
                self.calls["write"] += 1
                provider.create_record(rtype, short, _lexicon_value(rtype, value))
        except Exception as exc:  # noqa: BLE001  (providers raise anything)
            raise ProviderError(f"{self._where}: changing {name} {rtype} failed "
                                f"({_describe(exc)})") from None


def _fqdn(name: str, zone: str) -> str:
    name = name.lower().rstrip(".") + "."
    return name if name.endswith(zone) or name == zone else f"{name}{zone}"


def _lexicon_value(rtype: str, value: str) -> str:
    """Lexicon takes TXT values unquoted and names with their trailing dot."""
    if rtype == "TXT" and value.startswith('"') and value.endswith('"'):
        return value[1:-1]
    return value


def _describe(exc: Exception) -> str:
    """The exception's class and first line, short; an HTTP error shows its status only."""
    response = getattr(exc, "response", None)
    status = getattr(response, "status_code", None)
    if status is not None:
        return f"{type(exc).__name__}: HTTP {status}"
    first = (str(exc).splitlines() or [""])[0]
    return f"{type(exc).__name__}: {first[:200]}"
