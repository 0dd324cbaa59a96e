"""Fixtures of the fault matrix: a site on the worker's rig, its ledger, and the row record."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest

from tests.faults.ledger import Ledger
from tests.faults.table import KEY
from tests.scenarios.conftest import hook, site, warm_site  # noqa: F401 (the same site)


@dataclass
class RowRecord:
    """What a row's test saw; `check(ledger)` counts what was lost and asserts it was nothing."""

    node: pytest.Item
    observed: str = ""

    def see(self, text: str) -> None:
        self.observed = f"{self.observed}; {text}" if self.observed else text
        self._store({"observed": self.observed})

    def nothing_lost(self, ledger: Ledger) -> None:
        lost = ledger.lost()
        self._store({"lost": list(lost)})
        assert lost == (0, 0, 0), f"lost files/records/orders: {lost}"

    def _store(self, data: dict[str, Any]) -> None:
        props = self.node.user_properties
        for key, value in props:
            if key == KEY:
                value.update(data)
                return
        raise AssertionError(f"{self.node.nodeid} has no @pytest.mark.fault")


@pytest.fixture
def row(request: pytest.FixtureRequest) -> RowRecord:
    return RowRecord(request.node)
