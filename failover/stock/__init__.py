"""What ships inside the package for `failover init` to write: the stock playbooks.

`failover/stock/playbooks` is a link to the repository's `playbooks/`, so one copy is edited and
the wheel carries its files (pyproject.toml's package-data). `stock_playbooks()` reads them
through importlib.resources, so they are found from a wheel, an sdist or an editable install.
"""

from __future__ import annotations

from importlib.resources import files

STOCK_PLAYBOOKS = ("failover", "failback", "warm")


def stock_playbooks() -> dict[str, str]:
    """Playbook name -> the text of its stock YAML file."""
    folder = files(__package__) / "playbooks"
    return {name: (folder / f"{name}.yaml").read_text() for name in STOCK_PLAYBOOKS}
