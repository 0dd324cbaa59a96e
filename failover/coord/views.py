"""Views: what each checker saw in its last round, and the quorum over them.

A view is a checker's own streaks per host (policy.record_round counted on its own rounds only),
written each round to <prefix>views/<checker> under the checker's lease: a checker that dies or
loses etcd drops out of the count `lease_ttl` later, by itself. With `services:` each service
is judged on its own checks, so each has its own views: <prefix>services/<name>/views/<checker>.

The quorum (pure, `combine`): a host counts as down only when at least `needed` live checkers
say so, each by its own failure_threshold streak; with fewer live views than `needed`, no host
counts as down (nobody acts). Each host's combined streaks are the `needed`-th most pessimistic
view's (for `down` and `fail`) and the `needed`-th most optimistic one's (for `ok`, so a failback
also needs a quorum of checkers that saw the host pass). A view of a round its checker could not
judge (offline) does not count.
"""

from __future__ import annotations

import logging

import msgspec

from failover.coord.session import Session
from failover.model.coordination import View
from failover.model.state import HostState

log = logging.getLogger(__name__)


def views_key(session: Session, service: str | None) -> str:
    """Where the views of `service` live (None: the inventory has no `services:`)."""
    return session.key("views/" if service is None else f"services/{service}/views/")


def write_view(session: Session, view: View, service: str | None) -> None:
    lease = session.ensure_lease()
    session.client.put(views_key(session, service) + view.checker, msgspec.json.encode(view),
                       lease)


def read_views(session: Session, service: str | None) -> dict[str, View]:
    views = {}
    for kv in session.client.get_prefix(views_key(session, service)):
        try:
            view = msgspec.json.decode(kv.value, type=View)
        except msgspec.ValidationError as exc:  # a foreign or older writer: leave it out
            log.warning("view ignored: key=%s error=%s", kv.key, exc)
            continue
        views[view.checker] = view
    return views


def combine(hosts: list[str], views: dict[str, View], needed: int) -> dict[str, HostState]:
    """Each host's streaks as a quorum of live checkers sees them (see the module docstring)."""
    live = [v for v in views.values() if v.online]
    out = {}
    for host in hosts:
        states = [v.hosts.get(host, HostState()) for v in live]
        if len(states) < needed:
            out[host] = HostState()
            continue
        gloomy = sorted(states, key=lambda s: (s.down, s.fail), reverse=True)[needed - 1]
        sunny = sorted(states, key=lambda s: s.ok, reverse=True)[needed - 1]
        out[host] = gloomy.replace(ok=sunny.ok, ok_since=sunny.ok_since)
    return out


def summary(hosts: list[str], views: dict[str, View], needed: int) -> list[str]:
    """Lines for a round's output and `status`: who is live, how each host looks to each."""
    live = sorted(v.checker for v in views.values() if v.online)
    lines = [f"coordination: {len(live)} live checker(s) ({', '.join(live) or 'none'}), "
             f"quorum {needed}" + ("" if len(live) >= needed else
                                   "; too few to agree on anything: nobody acts")]
    for host in hosts:
        down = sorted(v.checker for v in views.values()
                      if v.online and v.hosts.get(host, HostState()).down)
        failing = sorted(v.checker for v in views.values()
                         if v.online and v.hosts.get(host, HostState()).fail)
        if down or failing:
            agree = "agreed by a quorum" if len(down) >= needed else "no quorum"
            lines.append(f"coordination: {host} down for {', '.join(down) or 'no one'}, failing "
                         f"for {', '.join(failing) or 'no one'} ({agree})")
    return lines
