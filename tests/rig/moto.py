"""moto's standalone server: the Route 53 API over HTTP on 127.0.0.1 (RECIPE section 5)."""

from __future__ import annotations

import logging
import socket
import sys
import uuid
from pathlib import Path
from typing import Any

import requests

from .daemon import Daemon
from .pdns import port_free
from .proc import RigError

log = logging.getLogger(__name__)

# boto3 gets these through the environment (its normal chain), never from the code under test.
# Explicit values keep the chain from looking for files or an instance-metadata service.
AWS_ENV = {
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_DEFAULT_REGION": "us-east-1",
    "AWS_EC2_METADATA_DISABLED": "true",
    "AWS_CONFIG_FILE": "/dev/null",
    "AWS_SHARED_CREDENTIALS_FILE": "/dev/null",
}


class MotoController(Daemon):
    """`python -m moto.server -H 127.0.0.1 -p PORT`; `client()` is a boto3 Route 53 client."""

    def __init__(self, log_path: Path, port: int, python: str = sys.executable) -> None:
        super().__init__("moto", log_path)
        self.port = port
        self.python = python

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def prepare(self) -> None:
        if not port_free("127.0.0.1", self.port, socket.SOCK_STREAM):
            raise RigError(f"moto: port {self.port} on 127.0.0.1 is already in use")

    def argv(self) -> list[str]:
        return [self.python, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(self.port)]

    def is_accessible(self) -> bool:
        try:
            with requests.Session() as s:
                s.trust_env = False
                return s.get(f"{self.url}/moto-api/data.json", timeout=1).status_code == 200
        except requests.RequestException:
            return False

    def reset(self) -> None:
        with requests.Session() as s:
            s.trust_env = False
            s.post(f"{self.url}/moto-api/reset", timeout=5).raise_for_status()

    def client(self) -> Any:
        import boto3

        return boto3.client("route53", endpoint_url=self.url, region_name="us-east-1",
                            aws_access_key_id="testing", aws_secret_access_key="testing")

    def create_zone(self, zone: str, records: dict[tuple[str, str], tuple[int, list[str]]],
                    *, fresh: bool = True) -> str:
        """A hosted zone holding `records` (names relative to the zone or "@"); its id.

        `fresh`: delete a zone of that name first; otherwise UPSERT into the existing one.
        """
        r53 = self.client()
        zid = ""
        for old in r53.list_hosted_zones_by_name(DNSName=zone)["HostedZones"]:
            if old["Name"] == zone:
                if fresh:
                    self._delete_zone(r53, old["Id"])
                else:
                    zid = str(old["Id"]).rsplit("/", 1)[-1]
        zid = zid or str(r53.create_hosted_zone(Name=zone, CallerReference=str(uuid.uuid4()))
                         ["HostedZone"]["Id"]).rsplit("/", 1)[-1]
        changes = [{"Action": "UPSERT", "ResourceRecordSet": {
            "Name": zone if n == "@" else f"{n}.{zone}", "Type": t, "TTL": ttl,
            "ResourceRecords": [{"Value": v} for v in values]}}
            for (n, t), (ttl, values) in records.items()]
        for i in range(0, len(changes), 500):
            r53.change_resource_record_sets(HostedZoneId=zid,
                                            ChangeBatch={"Changes": changes[i:i + 500]})
        return zid

    @staticmethod
    def _delete_zone(r53: Any, zid: str) -> None:
        sets = [s for p in r53.get_paginator("list_resource_record_sets").paginate(
            HostedZoneId=zid) for s in p["ResourceRecordSets"] if s["Type"] not in ("NS", "SOA")]
        if sets:
            r53.change_resource_record_sets(HostedZoneId=zid, ChangeBatch={"Changes": [
                {"Action": "DELETE", "ResourceRecordSet": s} for s in sets]})
        r53.delete_hosted_zone(Id=zid)

    def values(self, zone_id: str, name: str, rtype: str = "A") -> list[str]:
        r53 = self.client()
        for page in r53.get_paginator("list_resource_record_sets").paginate(HostedZoneId=zone_id):
            for s in page["ResourceRecordSets"]:
                if s["Name"] == name and s["Type"] == rtype:
                    return sorted(r["Value"] for r in s["ResourceRecords"])
        return []
