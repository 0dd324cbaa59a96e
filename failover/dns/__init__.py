"""DNS, in modules that depend one way (each only on those listed before it):

- records: the values (RRset, RecordChange, ZonePlan) and canonical record text; pure.
- plan: pure planning; `plan.diff` answers "what will change in DNS?" (current -> desired).
- base: the DnsProvider contract (read, apply with its safety gates; back-ends write _fetch and
  _apply). retry: the one retry loop of provider calls.
- powerdns, rfc2136, route53, lexicon: one provider each, its settings model beside it.
- registry: provider name = module name = the inventory's `provider:`; builds providers lazily.
- flip (every zone or none), ttl (TTL-only plans), verify (every nameserver answers).
"""
