"""`failover rehearse`: a fire drill customers never see (drill.py), the canary flip
(canary.py), certificate checks (tls.py), the RTO estimate (estimate.py), findings
(findings.py) and how a rehearsal reads (text.py)."""
