"""Which check types exist: registry key = module name = the inventory's `type:` value.

`type: http` lives in `failover/checks/http.py`, which holds both its settings model (`HttpCheck`)
and its probe. The inventory loader (model/types.py `Plugin`) reads `PLUGINS` to find the one
settings model a check entry names, importing only that module. Adding a check type: write
`failover/checks/<type>.py` (settings model + Check subclass, see checks/base.py) and add one line
here.
"""

from __future__ import annotations

# In the order validation messages list them ("... is not one of: http, tcp, ...").
PLUGINS: dict[str, str] = {
    "http": "failover.checks.http:HttpCheck",
    "tcp": "failover.checks.tcp:TcpCheck",
    "smtp": "failover.checks.smtp:SmtpCheck",
    "dns": "failover.checks.dns:DnsCheck",
    "ssh": "failover.checks.ssh:SshCheck",
    "command": "failover.checks.command:CommandCheck",
}
