"""Amazon Route 53, through boto3 (a dependency of failover, imported only for a route53 zone).

Implementation notes:
- API reference: ChangeResourceRecordSets, ListResourceRecordSets, GetChange,
  ListHostedZonesByName. Least-privilege IAM policy: docs/route53-iam.md.
- Credentials come from boto3's normal chain (`profile`, the environment, the shared files, an
  instance role); we never hold them. `endpoint_url` points at another API (tests: moto).
- The zone is found by name (ListHostedZonesByName) unless `hosted_zone_id` is given; two hosted
  zones with the same name (public + private) are ambiguous and must be named by id.
- Reads page through ListResourceRecordSets (100 record sets per page) with boto3's paginator.
- A write is ONE ChangeResourceRecordSets call per zone: Route 53 applies a change batch
  atomically (all changes or none), so the provider is ATOMIC. UPSERT sets an rrset; DELETE must
  name the rrset exactly as it is (ttl and values), which the plan's `before` holds. Then GetChange
  is polled until INSYNC (backing off from 0.25 s to `POLL`, for up to
  `sync_timeout`); a change that never gets
  INSYNC is ApplyUncertain, so a flip over several zones restores it too.
- Throttling, PriorRequestNotComplete, 5xx and connection errors are retried by botocore's
  "standard" retry mode (exponential backoff with jitter, `MAX_ATTEMPTS` tries in all).
- Alias and weighted/latency (SetIdentifier) record sets cannot be flipped by value: a managed
  name holding one is an error, not a silent skip.
- boto3 is imported when the provider is built, not with this module: the settings model below is
  read with every inventory, on the `failover check` path too.
"""

from __future__ import annotations

import logging
import time
from typing import Annotated, Any, ClassVar, Literal

from failover.dns.base import ApplyUncertain, DnsProvider
from failover.dns.records import RRKey, RRset, ZonePlan, canonical_values
from failover.errors import ProviderError
from failover.model.inventory import ZoneBase
from failover.model.types import Duration, Meta

log = logging.getLogger(__name__)


# -- settings (dns[] with `provider: route53`) ---------------------------------------------------

class Route53Zone(ZoneBase):
    """Amazon Route 53; credentials from boto3's chain (profile, environment, instance role)."""

    provider: Literal["route53"]
    hosted_zone_id: Annotated[str | None, Meta(
        description="default: found by the zone's name")] = None
    profile: Annotated[str | None, Meta(
        description="an AWS profile; default: boto3's usual credential chain")] = None
    endpoint_url: Annotated[str | None, Meta(description="another API endpoint")] = None
    region: str = "us-east-1"
    timeout: Annotated[Duration, Meta(description="per API request")] = 10.0
    sync_timeout: Annotated[Duration, Meta(
        description="how long to wait for a change to be INSYNC")] = 300.0


# -- provider --------------------------------------------------------------------------------------


class Route53Provider(DnsProvider):
    """One Route 53 hosted zone. Atomic per zone (one change batch); apply is idempotent."""

    name: ClassVar[str] = "route53"
    ATOMIC: ClassVar[bool] = True
    MAX_ATTEMPTS: ClassVar[int] = 6
    FIRST_POLL: ClassVar[float] = 0.25  # GetChange after 0.25 s, then doubling up to POLL
    POLL: ClassVar[float] = 5.0

    zone: Route53Zone

    def __init__(self, zone: Route53Zone) -> None:
        super().__init__(zone)
        self._where = f"route53 zone {self.zone_name}"
        import boto3
        import botocore.config
        import botocore.exceptions

        config = botocore.config.Config(
            retries={"mode": "standard", "max_attempts": self.MAX_ATTEMPTS},
            connect_timeout=zone.timeout, read_timeout=zone.timeout)
        try:
            session = boto3.Session(profile_name=zone.profile, region_name=zone.region)
            self._client: Any = session.client("route53", endpoint_url=zone.endpoint_url,
                                               config=config)
        except botocore.exceptions.BotoCoreError as exc:
            raise ProviderError(f"{self._where}: cannot set up the AWS client: {exc}") from None
        self._client.meta.events.register("before-call.route53", self._count)
        self._zone_id = zone.hosted_zone_id

    def _count(self, model: Any = None, **_: Any) -> None:
        op = getattr(model, "name", "")
        self.calls["write" if op == "ChangeResourceRecordSets" else "read"] += 1

    def _call(self, operation: str, **params: Any) -> Any:
        """One API call (botocore retries throttling and 5xx); map failures to ProviderError."""
        import botocore.exceptions

        try:
            return getattr(self._client, operation)(**params)
        except botocore.exceptions.ClientError as exc:
            error = exc.response.get("Error", {})
            code, text = error.get("Code", "?"), " ".join(str(error.get("Message", "")).split())
            hint = {"AccessDenied": " (the credentials lack this permission: docs/route53-iam.md)",
                    "NoSuchHostedZone": " (check hosted_zone_id)",
                    "InvalidChangeBatch": "; nothing was changed"}.get(code, "")
            raise ProviderError(f"{self._where}: {operation} failed: {code}: {text[:300]}"
                                f"{hint}") from None
        except botocore.exceptions.NoCredentialsError:
            raise ProviderError(f"{self._where}: no AWS credentials found (set `profile:`, the "
                                "AWS_* environment, or use an instance role)") from None
        except botocore.exceptions.ProfileNotFound:
            raise ProviderError(f"{self._where}: AWS profile {self.zone.profile!r} not "
                                "found") from None
        except botocore.exceptions.ReadTimeoutError:
            if operation == "change_resource_record_sets":
                raise ApplyUncertain(f"{self._where}: no answer to the change within "
                                     f"{self.zone.timeout:g}s; it may or may not have been "
                                     "applied") from None
            raise ProviderError(f"{self._where}: {operation}: no answer within "
                                f"{self.zone.timeout:g}s ({self.MAX_ATTEMPTS} tries)") from None
        except botocore.exceptions.BotoCoreError as exc:
            # unreachable endpoint after retries, HTML error pages, answers missing fields
            raise ProviderError(f"{self._where}: {operation} failed: {type(exc).__name__}: "
                                f"{str(exc)[:300]}") from None

    def zone_id(self) -> str:
        """The hosted zone id: the inventory's, or the one zone with this name."""
        if self._zone_id is None:
            answer = self._call("list_hosted_zones_by_name", DNSName=self.zone_name, MaxItems="10")
            ids = [str(z["Id"]).rsplit("/", 1)[-1] for z in answer.get("HostedZones", [])
                   if str(z.get("Name", "")).lower() == self.zone_name]
            if not ids:
                raise ProviderError(f"{self._where}: no hosted zone with this name (set "
                                    "hosted_zone_id, or check the account/profile)")
            if len(ids) > 1:
                raise ProviderError(f"{self._where}: {len(ids)} hosted zones have this name "
                                    f"({', '.join(ids)}); set hosted_zone_id")
            self._zone_id = ids[0]
        return self._zone_id

    def _fetch(self, keys: set[RRKey]) -> dict[RRKey, RRset]:
        import botocore.exceptions

        found: dict[RRKey, RRset] = {}
        zone_id = self.zone_id()
        try:
            pages = self._client.get_paginator("list_resource_record_sets").paginate(
                HostedZoneId=zone_id, PaginationConfig={"PageSize": 100})
            items = [item for page in pages for item in page["ResourceRecordSets"]]
        except (botocore.exceptions.ClientError, botocore.exceptions.BotoCoreError, KeyError):
            # the paginator raises the same errors as a call: let _call phrase them
            self._call("list_resource_record_sets", HostedZoneId=zone_id, MaxItems="1")
            raise ProviderError(f"{self._where}: ListResourceRecordSets gave an answer "
                                "without ResourceRecordSets") from None
        for item in items:
            rrset = self._parse(item, keys)
            if rrset is not None:
                found[rrset.key] = rrset
        log.debug("fetched: zone=%s rrsets=%d managed=%d", self.zone_name, len(items), len(found))
        return found

    def _parse(self, item: Any, keys: set[RRKey]) -> RRset | None:
        try:
            name = str(item["Name"]).lower().replace("\\052", "*")
            rtype = str(item["Type"]).upper()
            if (name, rtype) not in keys:
                return None
            if "AliasTarget" in item or "SetIdentifier" in item:
                raise ProviderError(f"{self._where}: {name} {rtype} is an alias or routing-policy "
                                    "record set; failover manages plain record sets only")
            ttl = int(item["TTL"])
            values = canonical_values(rtype, [str(r["Value"]) for r in item["ResourceRecords"]])
        except (KeyError, TypeError, ValueError) as exc:
            raise ProviderError(f"{self._where}: unexpected record set in the answer "
                                f"({type(exc).__name__}: {exc})") from None
        return RRset(name, rtype, ttl, values)

    def _apply(self, plan: ZonePlan) -> None:
        changes: list[dict[str, Any]] = []
        for c in plan.changes:
            if c.after:
                rrset = {"Name": c.name, "Type": c.type, "TTL": c.ttl,
                         "ResourceRecords": [{"Value": v} for v in c.after]}
                changes.append({"Action": "UPSERT", "ResourceRecordSet": rrset})
            elif c.before:
                rrset = {"Name": c.name, "Type": c.type, "TTL": c.ttl_before or c.ttl,
                         "ResourceRecords": [{"Value": v} for v in c.before]}
                changes.append({"Action": "DELETE", "ResourceRecordSet": rrset})
        if not changes:
            return
        answer = self._call("change_resource_record_sets", HostedZoneId=self.zone_id(),
                            ChangeBatch={"Comment": "failover flip", "Changes": changes})
        try:
            change_id, status = answer["ChangeInfo"]["Id"], answer["ChangeInfo"]["Status"]
        except (KeyError, TypeError):
            raise ApplyUncertain(f"{self._where}: the change answer has no ChangeInfo; it may or "
                                 "may not have been applied") from None
        log.info("submitted: zone=%s changes=%d change=%s status=%s", self.zone_name,
                 len(changes), change_id, status)
        self._wait_insync(str(change_id), str(status))

    def _wait_insync(self, change_id: str, status: str) -> None:
        deadline = time.monotonic() + self.zone.sync_timeout
        delay = self.FIRST_POLL
        while status != "INSYNC":
            if time.monotonic() >= deadline:
                raise ApplyUncertain(f"{self._where}: change {change_id} still {status} after "
                                     f"{self.zone.sync_timeout:g}s (accepted, not yet on every "
                                     "Route 53 nameserver)")
            time.sleep(min(delay, max(0.0, deadline - time.monotonic())))
            delay = min(delay * 2, self.POLL)
            answer = self._call("get_change", Id=change_id)
            status = str(answer.get("ChangeInfo", {}).get("Status", "?"))
            log.debug("polled: zone=%s change=%s status=%s", self.zone_name, change_id, status)
        log.info("insync: zone=%s change=%s", self.zone_name, change_id)
