"""Playbooks: named lists of steps, each step exactly one action, plus rescue steps.

String values may hold `{{ var }}` placeholders; they are rendered by model/templating.py at run
time, so the models here keep them as plain strings (host names are checked after rendering).
"""

from typing import Annotated, Any, Literal

import msgspec

from failover.model.base import Model
from failover.model.types import Duration, Meta


class CheckAction(Model):
    host: str
    checks: list[str] | None = None  # None = every check of the inventory


class SyncAction(Model):
    """Pull `set` from `from` into the mirror, push it to `to`. `pull: best_effort` (a failover:
    the old host may be gone) pushes the last good mirror when the pull fails or is refused;
    `pull: required` (a failback: the orders taken meanwhile live on `from`) fails the step
    instead, before anything is pushed. `promote: true` (a failover, for a `mode: replica`
    set): instead of a push, `to` stops replicating and takes writes, refused when its data is
    older than `max_age` unless --accept-stale."""

    set: str
    from_: str | None = msgspec.field(default=None, name="from")
    to: str
    pull: Literal["best_effort", "required"] = "best_effort"
    promote: bool = False


class SshAction(Model):
    host: str
    command: str | list[str]
    timeout: Duration = 300.0


class DnsAction(Model):
    to: str


class FenceAction(Model):
    """`fence: {host: "{{ from }}"}`: the inventory's `fence:` commands on the old host, best
    effort; the host is marked demoted either way (engine/fence.py)."""

    host: str


class DnsVerifyAction(Model):
    to: str
    timeout: Duration = 120.0
    interval: Duration = 2.0


class WebhookAction(Model):
    url: str
    method: str = "POST"
    body: dict[str, Any] | None = None
    # e.g. {Authorization: "OAuth ${STATUS_PAGE_TOKEN}"}: values are secrets (never shown)
    headers: dict[str, str] = {}
    timeout: Duration = 10.0


class NotifyAction(Model):
    message: str


class PipeEnd(Model):
    host: str
    command: str | list[str]


class PipeAction(Model):
    """Stream `from`'s command's stdout into `to`'s command's stdin (remote/pipe.py)."""

    from_: PipeEnd = msgspec.field(name="from")
    to: PipeEnd
    timeout: Duration = 3600.0
    failback: bool = False  # brings what the standby wrote home (config/roles.py)


class DnsTtlAction(Model):
    """Lower the TTL of every managed record to `ttl` (values untouched), or `restore: true`
    to put back the inventory's TTLs (engine/steps/dns_ttl.py)."""

    ttl: Annotated[int, Meta(ge=1, le=604800)] | None = None
    restore: bool = False

    def __post_init__(self) -> None:
        if (self.ttl is None) != self.restore:
            raise ValueError("give either `ttl: SECONDS` (lower) or `restore: true`")


ACTIONS: dict[str, type[Model]] = {
    "check": CheckAction,
    "sync": SyncAction,
    "ssh": SshAction,
    "dns": DnsAction,
    "dns_verify": DnsVerifyAction,
    "webhook": WebhookAction,
    "notify": NotifyAction,
    "pipe": PipeAction,
    "dns_ttl": DnsTtlAction,
    "fence": FenceAction,
}


# The parameter that names the host a step acts on: that host's `vars` apply to the step.
HOST_PARAMS = {"check": "host", "ssh": "host", "sync": "to", "dns": "to", "dns_verify": "to",
               "fence": "host"}


class Step(Model):
    name: str | None = None
    ignore_errors: bool = False
    check: CheckAction | None = None
    sync: SyncAction | None = None
    ssh: SshAction | None = None
    dns: DnsAction | None = None
    dns_verify: DnsVerifyAction | None = None
    webhook: WebhookAction | None = None
    notify: NotifyAction | None = None
    pipe: PipeAction | None = None
    dns_ttl: DnsTtlAction | None = None
    fence: FenceAction | None = None

    def __post_init__(self) -> None:
        found = [k for k in ACTIONS if getattr(self, k) is not None]
        if len(found) != 1:
            what = "none" if not found else " and ".join(found)
            raise ValueError(
                f"a step needs exactly one action (one of: {', '.join(ACTIONS)}); found {what}"
            )

    @property
    def action(self) -> str:
        return next(k for k in ACTIONS if getattr(self, k) is not None)

    @property
    def params(self) -> Model:
        value = getattr(self, self.action)
        assert isinstance(value, Model)
        return value

    @property
    def title(self) -> str:
        return self.name or self.action

    @property
    def host_param(self) -> str | None:
        """The value naming the host this step acts on (maybe `{{ to }}`), or None."""
        key = HOST_PARAMS.get(self.action)
        value = getattr(self.params, key) if key else None
        return value if isinstance(value, str) else None


class Playbook(Model):
    name: str
    steps: Annotated[list[Step], Meta(min_length=1)]
    rescue: list[Step] = []
