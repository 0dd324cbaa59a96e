"""`webhook: {url: ..., method: POST, body: {...}, headers: {...}}`: one HTTP request, e.g. to
pause paid ads or open an incident on the status page (playbooks/examples/).

The URL is a secret (it often carries a token), and so are the header values (an API key): the
URL is shown and journaled redacted, and the runner registers both with failover.redact before
the run writes anything.
"""

from __future__ import annotations

from failover.engine.context import RunContext
from failover.engine.outcome import Outcome
from failover.engine.steps.base import Action
from failover.model.playbook import WebhookAction


class WebhookStep(Action[WebhookAction, str]):
    key = "webhook"

    def plan(self, ctx: RunContext, p: WebhookAction) -> str:
        """Where the request goes, redacted."""
        from failover.notify.webhook import redact_url

        return redact_url(p.url)

    def describe(self, ctx: RunContext, p: WebhookAction, plan: str) -> Outcome:
        return Outcome("dry-run", f"would {p.method} to {plan}")

    def apply(self, ctx: RunContext, p: WebhookAction, plan: str) -> Outcome:
        from failover.notify.webhook import post_json

        with ctx.change("webhook", plan, p.method):
            status = post_json(p.url, p.body, timeout=p.timeout, method=p.method,
                               headers=p.headers or None)
        return Outcome(detail=f"{p.method} {plan}: {status}")
