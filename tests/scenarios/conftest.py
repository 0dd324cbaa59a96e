from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.rig import Rig
from tests.site import Site, WebhookReceiver
from tests.synctree import settled


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


@pytest.fixture
def atomic_site(site: Site) -> Iterator[Site]:
    """`site` with an atomic webroot; the standby's plain webroot is put back afterwards."""
    site.edit(lambda inv: inv["sync"][0].update(atomic=True))
    yield site
    www = site.standby.webroot
    settled(www)  # the host's work after the last push (release.py)
    if www.is_symlink():
        live = www.resolve()
        www.unlink()
        shutil.copytree(live, www, symlinks=True)
    shutil.rmtree(f"{www}.releases", ignore_errors=True)
