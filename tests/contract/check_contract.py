"""The Check contract, written once (as the DNS provider contract is) and bound to every check type
against the rig's real servers in test_check_types.py.

What every check type promises (failover/checks/base.py):
- a healthy target passes, and the result names the host and the check;
- a stopped service, an unreachable or silent one, a wrong answer: each is a failed RESULT, never
  an exception; `no_answer` says whether the host answered at all;
- the timeout is honoured: a silent target fails by `timeout + 1 s`, and says so;
- `retries` are further attempts in the same round, counted in the result;
- secrets (the inventory's Secret values, and what a check sends: a header, an argument) never
  appear in a result or a log line.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterator
from contextlib import AbstractContextManager
from pathlib import Path
from typing import Any, ClassVar

import pytest

from failover.checks.registry import check_class, check_for
from failover.checks.round import run_round
from failover.model.inventory import Inventory
from failover.model.results import CheckResult, RoundReport
from tests.rig import Rig, faults

SECRET = "s3cr3t-contract-token-9f2c"
PAGE = "<html><body><button>Add to cart</button></body></html>\n"


class CheckTypeContract:
    """Subclass per check type: set TYPE, implement `settings`, `stopped` and `silent`.

    `rig` and `tmp_path` are set for each test by the autouse fixture `_bind`.
    """

    TYPE: ClassVar[str]
    TIMEOUT: ClassVar[float] = 1.0
    # True: the check probes the host itself, so only the broken host fails. False: it asks a
    # server its settings name (dns with `server:`), which every host's result shares.
    PER_HOST: ClassVar[bool] = True

    rig: Rig
    tmp_path: Path

    @pytest.fixture(autouse=True)
    def _bind(self, rig: Rig, tmp_path: Path) -> None:
        self.rig, self.tmp_path = rig, tmp_path

    def settings(self) -> dict[str, Any]:
        """The type's fields (beyond name, type, timeout) under which every rig host passes."""
        raise NotImplementedError

    def settings_with_secret(self, secret: str) -> dict[str, Any]:
        """`settings()` carrying `secret` wherever this type sends something (default: nowhere)."""
        del secret
        return self.settings()

    def stopped(self) -> AbstractContextManager[object]:
        """The primary's service is not running: connects are refused (or the server errors)."""
        raise NotImplementedError

    def silent(self) -> AbstractContextManager[object]:
        """The primary's service neither answers nor refuses: every attempt times out."""
        raise NotImplementedError

    # -- helpers ---------------------------------------------------------------------------------

    @pytest.fixture(autouse=True)
    def _clean_faults(self, host_reset: Rig) -> Iterator[None]:
        for host in host_reset.hosts.values():
            (host.webroot / "index.html").write_text(PAGE)
        yield
        for host in host_reset.hosts.values():
            faults.clear(host)

    def broken(self) -> list[str]:
        """The hosts whose results a broken primary service fails."""
        return ["primary"] if self.PER_HOST else list(self.rig.hosts)

    def inventory(self, fields: dict[str, Any] | None = None, **check: Any) -> Inventory:
        rig = self.rig
        entry = {"name": "probe", "type": self.TYPE, "timeout": self.TIMEOUT,
                 **(self.settings() if fields is None else fields), **check}
        return Inventory.parse({
            "site": "shop.test",
            "path": str(self.tmp_path / "inventory.yaml"),
            "state_dir": str(self.tmp_path / ".failover"),
            "hosts": {name: {"address": h.address,
                             "ssh": {"user": "root", "identity": str(rig.client_key)}}
                      for name, h in rig.hosts.items()},
            "ssh": {"known_hosts": str(rig.known_hosts), "connect_timeout": "3s"},
            "dns": [{"provider": "powerdns", "zone": "shop.test.", "api_url": rig.pdns.api_url,
                     "api_key": SECRET, "records": [{"name": "@", "type": "A"}]}],
            "checks": [entry],
        })

    def round(self, inventory: Inventory) -> RoundReport:
        return run_round(inventory, control=False)

    def by_host(self, report: RoundReport) -> dict[str, CheckResult]:
        return {r.host: r for r in report.results}

    def assert_others_pass(self, report: RoundReport, broken: list[str] | None = None) -> None:
        for host, result in self.by_host(report).items():
            if host not in (self.broken() if broken is None else broken):
                assert result.ok, f"{host}: {result.detail}"

    # -- the contract ----------------------------------------------------------------------------

    def test_the_registry_builds_this_type_from_its_module(self) -> None:
        inventory = self.inventory()
        check = check_for(inventory.checks[0])
        assert type(check) is check_class(self.TYPE)
        assert (check.type, type(check).__module__) == (self.TYPE, f"failover.checks.{self.TYPE}")
        assert (check.name, check.timeout) == ("probe", self.TIMEOUT)

    def test_healthy_hosts_pass_and_each_result_names_its_host_and_check(self) -> None:
        report = self.round(self.inventory())
        assert [(r.host, r.check) for r in report.results] == [
            (host, "probe") for host in self.rig.hosts]
        for result in report.results:
            assert result.ok, f"{result.host}: {result.detail}"
            assert result.detail  # a short summary of what passed
            assert (result.attempts, result.no_answer, result.severity) == (1, False, "critical")
            assert 0 <= result.latency < self.TIMEOUT

    def test_a_stopped_service_is_a_failed_result_not_an_exception(self) -> None:
        inventory = self.inventory()
        with self.stopped():
            report = self.round(inventory)
        results = self.by_host(report)
        for host in self.broken():
            assert not results[host].ok
            assert results[host].detail
            assert results[host].latency < self.TIMEOUT + 1
        self.assert_others_pass(report)
        assert all(r.ok for r in self.round(inventory).results)  # undone, it passes again

    def test_a_silent_service_fails_within_the_timeout_with_no_answer(self) -> None:
        inventory = self.inventory()
        with self.silent():
            report = self.round(inventory)
        results = self.by_host(report)
        for host in self.broken():
            result = results[host]
            assert (result.ok, result.no_answer) == (False, True), result.detail
            # "timeout after 3s" (the check's timer) or, when the SSH client's own connect timer
            # (set to the same limit) fires first, "... no answer within 3s": both say it
            assert re.search(rf"(timeout after|no answer within) {self.TIMEOUT:g}s$",
                             result.detail), result.detail
            assert result.latency < self.TIMEOUT + 1  # the contract: timeout + 1 s at most
        self.assert_others_pass(report)

    def test_retries_are_further_attempts_within_the_round(self) -> None:
        inventory = self.inventory(retries=2)
        with self.stopped():
            report = self.round(inventory)
        results = self.by_host(report)
        for host in self.broken():
            assert (results[host].ok, results[host].attempts) == (False, 3)
        healthy = [r for r in report.results if r.host not in self.broken()]
        assert all((r.ok, r.attempts) == (True, 1) for r in healthy)

    def test_secrets_never_appear_in_results_or_log_lines(
        self, caplog: pytest.LogCaptureFixture
    ) -> None:
        inventory = self.inventory(self.settings_with_secret(SECRET))
        caplog.set_level(logging.DEBUG)
        reports = [self.round(inventory)]
        with self.stopped():
            reports.append(self.round(inventory))
        assert all(r.ok for r in reports[0].results)
        assert not any(r.ok for r in reports[1].results if r.host in self.broken())
        for result in (r for report in reports for r in report.results):
            assert SECRET not in f"{result.detail} {result.warning} {result!r}"
        lines = [record.getMessage() for record in caplog.records]
        assert lines  # the probes did log (at DEBUG), and none of it holds the secret
        assert not [line for line in lines if SECRET in line]


class WrongAnswerContract(CheckTypeContract):
    """For types where a server can answer, but wrongly (all but tcp, where an answer is a pass)."""

    WRONG_DETAIL: ClassVar[str]  # a part of the detail a wrong answer gives
    WRONG_EVERYWHERE: ClassVar[bool] = False  # the wrong answer comes from settings, not the rig

    def answering_wrongly(self) -> AbstractContextManager[dict[str, Any]]:
        """Settings overrides (and rig state, while open) under which the servers answer wrongly."""
        raise NotImplementedError

    def test_a_wrong_answer_is_a_failed_result_that_got_an_answer(self) -> None:
        with self.answering_wrongly() as overrides:
            report = self.round(self.inventory(**overrides))
        results = self.by_host(report)
        wrong = list(self.rig.hosts) if self.WRONG_EVERYWHERE else self.broken()
        for host in wrong:
            result = results[host]
            assert (result.ok, result.no_answer) == (False, False), result.detail
            assert self.WRONG_DETAIL in result.detail
        self.assert_others_pass(report, wrong)
