from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.rig import Rig
from tests.site import Site, WebhookReceiver


@pytest.fixture
def hook() -> Iterator[WebhookReceiver]:
    receiver = WebhookReceiver()
    yield receiver
    receiver.close()


@pytest.fixture
def site(host_reset: Rig, tmp_path: Path, hook: WebhookReceiver) -> Site:
    """The shipped inventory and playbooks on the rig: DNS at the primary, content seeded."""
    return Site(host_reset, tmp_path, hook)


@pytest.fixture
def warm_site(site: Site) -> Site:
    """`site`, with the standby warmed once from the primary (mirror filled)."""
    p = site.run("run", "warm", "--to", "standby", "--yes")
    assert p.returncode == 0, p.stdout + p.stderr
    return site
