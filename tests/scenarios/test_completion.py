"""Shell completion: the script `failover completion bash` prints, sourced by a real bash, asked
as bash asks on Tab (COMP_WORDS, COMP_CWORD, then click's `_FAILOVER_COMPLETE=bash_complete`
protocol), offers the inventory's host, playbook and sync set names."""

from __future__ import annotations

import os
import shlex
import shutil
import subprocess
from pathlib import Path

import pytest

from tests.site import FAILOVER, REPO

BASH = shutil.which("bash") or "/bin/bash"


def complete(words: list[str], cwd: Path, **env: str) -> list[str]:
    """What bash offers for the last of `words` (the word being typed, maybe empty)."""
    script = (f'source <({shlex.quote(FAILOVER)} completion bash) || exit 9\n'
              f'COMP_WORDS=({" ".join(shlex.quote(w) for w in ["failover", *words])})\n'
              f"COMP_CWORD={len(words)}\n"
              "_failover_completion failover\n"
              'printf "%s\\n" "${COMPREPLY[@]}"\n')
    path = f"{Path(FAILOVER).parent}:{os.environ.get('PATH', '/usr/bin:/bin')}"
    p = subprocess.run([BASH, "--norc", "-c", script], cwd=cwd, capture_output=True, text=True,
                       timeout=60, check=False, env={**os.environ, "PATH": path, **env})
    assert (p.returncode, p.stderr) == (0, ""), p.stdout + p.stderr
    return [line for line in p.stdout.splitlines() if line]


@pytest.fixture
def inventory(tmp_path: Path) -> Path:
    path = tmp_path / "site" / "inventory.yaml"
    path.parent.mkdir()
    shutil.copy(REPO / "inventory.yaml", path)  # its ${VAR}s are not set here: names still come
    return path


def test_bash_completes_host_names_from_the_inventory_given_with_i(inventory: Path,
                                                                   tmp_path: Path) -> None:
    assert complete(["-i", str(inventory), "failover", "--to", ""], tmp_path) == [
        "primary", "standby"]
    assert complete(["-i", str(inventory), "dns", "diff", "--to", "st"], tmp_path) == ["standby"]
    assert complete(["sync", "-i", str(inventory), "--from", ""], tmp_path) == [
        "primary", "standby"]
    assert complete(["-i", str(inventory), "promote", "pr"], tmp_path) == ["primary"]


def test_bash_completes_playbooks_and_sync_sets_from_the_default_inventory(
        inventory: Path) -> None:
    site = inventory.parent  # ./inventory.yaml
    assert complete(["run", ""], site) == ["failover", "failback", "warm"]
    assert complete(["run", "warm", "--to", ""], site) == ["primary", "standby"]
    assert complete(["sync", ""], site) == ["webroot"]
    assert complete(["sync", "--rollback", "w"], site) == ["webroot"]


def test_bash_completes_from_failover_inventory_and_offers_nothing_without_one(
        inventory: Path, tmp_path: Path) -> None:
    assert complete(["failback", "--to", ""], tmp_path,
                    FAILOVER_INVENTORY=str(inventory)) == ["primary", "standby"]
    assert complete(["failback", "--to", ""], tmp_path) == []  # no inventory: nothing, no error
    assert complete(["sch"], tmp_path) == ["schema"]


@pytest.mark.parametrize(("shell", "first"), [("zsh", "#compdef failover"),
                                              ("fish", "function _failover_completion;")])
def test_zsh_and_fish_scripts_are_printed(shell: str, first: str, tmp_path: Path) -> None:
    p = subprocess.run([FAILOVER, "completion", shell], capture_output=True, text=True,
                       timeout=60, check=False, cwd=tmp_path)
    assert p.returncode == 0, p.stderr
    assert p.stdout.splitlines()[0] == first
    assert "_FAILOVER_COMPLETE=" in p.stdout
