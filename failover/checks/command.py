"""`type: command`: run an argv list on the host over SSH; pass on exit status 0.

Implementation notes:
- Same SSH path as `type: ssh` (failover.checks.ssh / failover.remote.ssh): strict host key, key
  login, a worker thread per probe. The argv is quoted with `shlex.join`, never a shell string.
- The detail carries the tail of the command's output (stdout, then stderr; the last 200
  characters), so `systemctl is-active mariadb` says "inactive" in the table and the audit log.
  Output is not logged: a command's output is the operator's business.
"""

from __future__ import annotations

import logging
from dataclasses import replace
from typing import TYPE_CHECKING, Annotated, Literal

from failover.checks.base import ProbeFailed
from failover.checks.ssh import SshBound
from failover.model.inventory import CheckBase
from failover.model.types import Meta

if TYPE_CHECKING:
    from failover.remote.ssh import SshTarget

log = logging.getLogger(__name__)

# -- settings (checks[] with `type: command`) ------------------------------------------------------

class CommandCheck(CheckBase):
    """Run `command` (an argv list) on the host over SSH; pass on exit status 0."""

    type: Literal["command"]
    command: Annotated[list[str], Meta(
        min_length=1, description="an argv list, run over SSH; exit 0 passes")]


# -- probe --------------------------------------------------------------------------------

TAIL = 200


def tail(stdout: str, stderr: str, width: int = TAIL) -> str:
    """The last `width` characters of the output, on one line."""
    text = " ".join(part.strip() for part in (stdout, stderr) if part.strip())
    text = " ".join(text.split())
    return text if len(text) <= width else "..." + text[-(width - 3):]


class CommandProbe(SshBound):
    """Run the argv; exit 0 passes, anything else fails with the exit status and output tail."""

    type = "command"
    model: CommandCheck

    def blocking_probe(self, target: SshTarget) -> str:
        from failover.remote.ssh import run_command

        limited = replace(target, connect_timeout=min(target.connect_timeout, self.timeout))
        result = run_command(limited, list(self.model.command), self.timeout)
        out = tail(result.stdout, result.stderr)
        if not result.ok:
            raise ProbeFailed(f"exit {result.exit_status}" + (f": {out}" if out else ""))
        return f"exit 0: {out}" if out else "exit 0"
