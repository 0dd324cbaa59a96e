"""`type: tcp` and the Check base: registry, timeout, error wording."""

from __future__ import annotations

import asyncio
import errno

import pytest
from test_checks_support import dropping_port, refusing_port, silent_server

from failover.checks.base import Check, ProbeFailed, describe_os_error
from failover.checks.http import HttpProbe
from failover.checks.registry import available_types, check_class, check_for
from failover.checks.tcp import TcpCheck, TcpProbe
from failover.model.inventory import Host
from failover.model.results import CheckResult

HOST = Host(address="127.0.0.1")


def tcp(port: int, timeout: float = 5.0) -> CheckResult:
    model = TcpCheck(name="port", type="tcp", port=port, timeout=timeout)
    return asyncio.run(check_for(model).run("standby", HOST))


def test_open_port_passes() -> None:
    with silent_server() as port:
        result = tcp(port)
    assert result.ok
    assert (result.host, result.check, result.detail) == ("standby", "port", f"port {port} open")


def test_closed_port_is_refused() -> None:
    with refusing_port() as port:
        result = tcp(port)
    assert not result.ok
    assert result.detail == "connection refused"


def test_dropped_syn_times_out() -> None:
    with dropping_port() as port:
        result = tcp(port, timeout=0.5)
    assert not result.ok
    assert result.detail == "timeout after 0.5s"  # cut off by its own timeout (bench/: speed)


def test_registry_maps_type_to_module() -> None:
    assert isinstance(check_for(TcpCheck(name="p", type="tcp", port=1)), TcpProbe)
    assert {"http", "tcp"} <= set(available_types())
    assert "base" not in available_types()
    assert HttpProbe.type == "http"


def test_every_registered_type_is_its_module_and_its_class() -> None:
    assert available_types() == ["command", "dns", "http", "smtp", "ssh", "tcp"]
    for name in available_types():
        cls = check_class(name)
        assert (cls.type, cls.__module__) == (name, f"failover.checks.{name}")


def test_unknown_type_names_the_available_ones() -> None:
    model = TcpCheck(name="mail", type="smtp-nonexistent", port=25, timeout=1.0)
    with pytest.raises(ValueError, match=r"no check type 'smtp-nonexistent' \(available: .*http"):
        check_for(model)


class _Scripted(Check[TcpCheck]):
    """A check whose probe does what the test says (no `type`: never registered)."""

    def __init__(self, model: TcpCheck, outcome: BaseException | str) -> None:
        super().__init__(model)
        self.outcome = outcome

    async def _probe(self, host: Host) -> str:
        if isinstance(self.outcome, BaseException):
            raise self.outcome
        return self.outcome


@pytest.mark.parametrize(
    ("outcome", "ok", "detail"),
    [
        ("fine", True, "fine"),
        (ProbeFailed("status 500, want 200"), False, "status 500, want 200"),
        (
            ConnectionResetError(errno.ECONNRESET, "Connection reset by peer"),
            False,
            "connection reset by peer",
        ),
        (OSError(errno.EHOSTUNREACH, "No route to host"), False, "no route to host"),
        (OSError(errno.EACCES, "Permission denied"), False, "permission denied"),
        (asyncio.IncompleteReadError(b"", 10), False, "connection closed by peer"),
    ],
)
def test_base_turns_probe_outcomes_into_results(
    outcome: BaseException | str, ok: bool, detail: str
) -> None:
    check = _Scripted(TcpCheck(name="p", type="tcp", port=1), outcome)
    result = asyncio.run(check.run("h", HOST))
    assert (result.ok, result.detail) == (ok, detail)


def test_base_lets_bugs_through() -> None:
    check = _Scripted(TcpCheck(name="p", type="tcp", port=1), KeyError("oops"))
    with pytest.raises(KeyError):
        asyncio.run(check.run("h", HOST))


def test_describe_os_error_without_errno() -> None:
    assert describe_os_error(OSError("Something Odd")) == "something Odd"
