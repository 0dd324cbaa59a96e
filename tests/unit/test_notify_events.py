"""The events people hear about, in words (notify/events.py): a run's end by its status, with its
timeline; a round's hosts declared down or recovered, once per change; a demoted host a round
could not fence, once per failure; stable ids; the service a notice is about, as a field."""

from __future__ import annotations

from types import SimpleNamespace

from failover.engine.journal import Journal, StepRecord
from failover.model.inventory import Policy
from failover.model.results import CheckResult, RoundReport
from failover.model.state import Demoted, HostState, State
from failover.notify.base import Notice
from failover.notify.events import fence_changes, host_changes, run_ended, run_started


def journal(status: str, error: str | None = None) -> Journal:
    steps = [StepRecord(0, "steps", "Point DNS at the standby", "dns", "ok", 100.0, 101.5,
                        "DNS points at standby")]
    if status == "rescued":
        steps.append(StepRecord(0, "rescue", "Put DNS back", "dns", "ok", 102.0, 102.25))
    return Journal(id="R1", playbook="/x/failover.yaml", title="Fail over", dry_run=False,
                   variables={"from": "primary", "to": "standby"}, who="me@here",
                   started_at=100.0, finished_at=103.0, status=status, error=error, steps=steps)


SITE = SimpleNamespace(site="shop.test", service=None)  # an inventory without `services:`


def test_a_run_starts_and_ends_by_its_status_with_its_timeline() -> None:
    started = run_started(SITE, "failover", journal("running"))
    assert (started.event, started.id) == ("failover_started", "R1:failover_started")
    assert started.text == "shop.test: failover started: primary -> standby (run R1, Fail over)"

    done = run_ended(SITE, "failover", journal("ok"), "standby")
    assert done is not None
    assert (done.event, done.id) == ("failover_done", "R1:failover_done")
    assert done.text == ("shop.test: failover done: the shop runs on standby (was primary); "
                         "run R1 took 3s")
    assert done.lines == ("[1] Point DNS at the standby: OK (1.5s) - DNS points at standby",)

    rescued = run_ended(SITE, "failback", journal("rescued", "step 1 (x): boom"),
                        "standby")
    assert rescued is not None
    assert rescued.event == "failback_rescued"
    assert rescued.text.startswith("shop.test: failback FAILED and its rescue steps ran: step 1 "
                                   "(x): boom; active host: standby")
    assert rescued.lines[-1] == "[rescue 1] Put DNS back: OK (0.2s)"

    failed = run_ended(SITE, "failover", journal("failed", "boom"), "primary")
    assert failed is not None
    assert failed.event == "failover_failed"
    assert run_ended(SITE, "failover", journal("interrupted"), "x") is None


def test_a_host_declared_down_or_recovered_is_told_once_per_change() -> None:
    inv = SimpleNamespace(site="shop.test", policy=Policy(), service=None)
    report = RoundReport(0.0, 1.0, (CheckResult("primary", "storefront", False, 0.1,
                                                "connection refused"),))
    up = State(active="primary", hosts={"primary": HostState(fail=2)})
    down = State(active="primary", hosts={"primary": HostState(fail=3, down=True,
                                                                changed_at=50.0)})
    [notice] = host_changes(inv, up, down, report)
    assert (notice.event, notice.id) == ("host_down", "primary:host_down:50")
    assert notice.text == ("shop.test: host primary (the active host) is DOWN: 3 failed rounds "
                           "in a row (policy.failure_threshold 3)")
    assert notice.lines == ("storefront: connection refused",)
    assert host_changes(inv, down, down, report) == []  # still down: nothing new
    back = State(active="standby", hosts={"primary": HostState(ok=5, changed_at=90.0)})
    [notice] = host_changes(inv, down, back, report)
    assert notice.event == "host_recovered"
    assert notice.text.startswith("shop.test: host primary (a standby) recovered: 5 passed")


def test_a_round_that_cannot_fence_a_demoted_host_tells_each_new_failure_once() -> None:
    inv = SimpleNamespace(site="shop.test", service="web")

    def mark(detail: str, fenced: bool = False) -> Demoted:
        return Demoted(since=10.0, why="lost the site in run R1", fenced=fenced, detail=detail,
                       run_id="R1")

    def state(detail: str, at: float, fenced: bool = False) -> State:
        return State(active="standby", last_round_at=at,
                     demoted={"primary": mark(detail, fenced)})

    unreachable = state("not reachable: ssh primary: connection refused", 60.0)
    failing = state("1 of 1 fence command(s) failed", 120.0)
    [notice] = fence_changes(inv, unreachable, failing)
    assert (notice.event, notice.id) == ("fencing_failed", "web:primary:fencing_failed:120")
    assert notice.text == ("shop.test web: demoted host primary answers again, but fencing it "
                           "FAILED: 1 of 1 fence command(s) failed; it may still serve or take "
                           "orders: check it by hand")
    assert fence_changes(inv, failing, state("1 of 1 fence command(s) failed", 180.0)) == []
    timed_out = state("not reachable: ssh primary: timed out", 180.0)  # SSH still silent
    assert fence_changes(inv, unreachable, timed_out) == []
    assert fence_changes(inv, unreachable, state("fenced: 1 command(s) ran", 180.0, True)) == []
    assert fence_changes(inv, State(active="standby"), failing) == []  # a run's: told by it


def test_a_notice_names_its_service_as_a_field_in_the_title_and_in_the_body() -> None:
    plain = Notice("shop.test: host primary is DOWN", "shop.test", "host_down", "i", who="me@h")
    assert "service" not in plain.to_json()
    assert plain.subject() == "[shop.test] host down"
    assert plain.body().splitlines()[-2:] == ["", "started by me@h"]
    mail = Notice("shop.test mail: host primary is DOWN", "shop.test", "host_down", "i",
                  who="me@h", service="mail", lines=("smtp: refused",))
    assert mail.to_json()["service"] == "mail"
    assert mail.subject() == "[shop.test mail] host down"
    assert mail.body().splitlines() == ["shop.test mail: host primary is DOWN", "",
                                        "smtp: refused", "", "service: mail",
                                        "started by me@h"]


def test_a_run_of_a_service_names_it_in_the_text_and_keeps_the_site_apart() -> None:
    mail = SimpleNamespace(site="shop.test", service="mail")
    done = run_ended(mail, "failover", journal("ok"), "standby")
    assert done is not None
    assert done.text.startswith("shop.test mail: failover done")
    assert done.site == "shop.test"  # the dispatcher adds service="mail": "[shop.test mail]"
    assert run_started(mail, "failover", journal("running")).site == "shop.test"
