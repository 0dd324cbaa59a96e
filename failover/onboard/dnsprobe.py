"""A write check that writes nothing: an RFC 2136 UPDATE holding only a prerequisite (the zone's
SOA exists) and no change. The server checks the TSIG signature and its update ACL (BIND's
allow-update / update-policy) before the prerequisites, so NOERROR means our key may update the
zone; REFUSED or NOTAUTH means a flip would be refused. The zone is never modified.
"""

from __future__ import annotations

import logging

from failover.dns.rfc2136 import Rfc2136Zone, read_secret
from failover.errors import ProviderError
from failover.model.inventory import ZoneBase

log = logging.getLogger(__name__)


def update_allowed(zone: ZoneBase) -> str | None:
    """None when the server accepts a no-op UPDATE for `zone`, else why it did not."""
    import dns.exception
    import dns.name
    import dns.query
    import dns.rcode
    import dns.tsig
    import dns.update

    assert isinstance(zone, Rfc2136Zone)
    host, _, port = zone.server.rpartition(":") if zone.server.count(":") == 1 else (
        zone.server, "", "53")
    try:
        keyname = dns.name.from_text(zone.tsig.name)
        keyring = {keyname: dns.tsig.Key(keyname, read_secret(zone.tsig), zone.tsig.algorithm)}
        update = dns.update.UpdateMessage(zone.zone, keyring=keyring, keyname=keyname)
        update.present(dns.name.from_text(zone.zone), "SOA")
        answer = dns.query.tcp(update, host.strip("[]"), port=int(port or 53),
                               timeout=float(zone.timeout))
    except ProviderError as e:
        return str(e)
    except (dns.exception.DNSException, OSError) as e:
        return f"{type(e).__name__}: {e}"
    rcode = answer.rcode()
    log.debug("probe: zone=%s rcode=%s", zone.zone, dns.rcode.to_text(rcode))
    return None if rcode == dns.rcode.NOERROR else dns.rcode.to_text(rcode)
