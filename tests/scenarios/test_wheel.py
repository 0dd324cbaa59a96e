"""Packaging: `python -m build` makes an sdist and a wheel without warnings; the wheel holds the
stock playbooks; installed alone in a fresh venv it gives a `failover` that knows its version,
validates the demo inventory, and prints the inventory reference (`failover help inventory`)."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tarfile
import zipfile
from pathlib import Path

from tests.site import REPO

STOCK = ("failover", "failback", "warm")


def _sources(dest: Path) -> Path:
    """The files a build reads, copied so it never writes into the worktree (failover/stock's
    link to playbooks/ is kept a link, as git has it)."""
    dest.mkdir()
    for name in ("pyproject.toml", "README.md"):
        shutil.copy(REPO / name, dest / name)
    for name in ("failover", "playbooks"):
        shutil.copytree(REPO / name, dest / name, symlinks=True,
                        ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
    return dest


def _known_hosts(tmp: Path) -> Path:
    """A host key line for each demo host (validate wants one; nothing connects here)."""
    key = tmp / "host_key"
    subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", str(key)], check=True,
                   timeout=60)
    public = " ".join(key.with_suffix(".pub").read_text().split()[:2])
    path = tmp / "known_hosts"
    path.write_text("".join(f"{ip} {public}\n" for ip in ("10.203.0.11", "10.203.0.12")))
    return path


def test_the_wheel_installs_alone_and_validates_the_demo_inventory(tmp_path: Path) -> None:
    src = _sources(tmp_path / "src")
    dist = tmp_path / "dist"
    # byte-compiling off (PYTHONDONTWRITEBYTECODE, as in the suite) makes setuptools warn
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    build = subprocess.run([sys.executable, "-m", "build", "--outdir", str(dist), str(src)],
                           capture_output=True, text=True, timeout=600, check=False, env=env)
    said = build.stdout + build.stderr
    assert build.returncode == 0, said
    assert [line for line in said.splitlines()
            if "warning" in line.lower() and "WARNING: Location" not in line] == []
    wheel = next(dist.glob("failover-*.whl"))
    sdist = next(dist.glob("failover-*.tar.gz"))
    with zipfile.ZipFile(wheel) as z:
        shipped = {n for n in z.namelist() if n.startswith("failover/stock/playbooks/")}
        assert z.read("failover/stock/playbooks/failover.yaml") == \
            (REPO / "playbooks" / "failover.yaml").read_bytes()
    assert shipped == {f"failover/stock/playbooks/{name}.yaml" for name in STOCK}
    with tarfile.open(sdist) as t:
        assert {f"{sdist.name[:-7]}/failover/stock/playbooks/{n}.yaml" for n in STOCK} <= set(
            t.getnames())

    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True,
                   timeout=300)
    pip = subprocess.run([sys.executable, "-m", "pip", "--python", str(venv / "bin" / "python"),
                          "install", "-q", str(wheel)], capture_output=True, text=True,
                         timeout=900, check=False)
    assert pip.returncode == 0, pip.stdout + pip.stderr
    failover = str(venv / "bin" / "failover")
    run_env = {"PATH": "/usr/bin:/bin", "HOME": str(tmp_path),
               "FAILOVER_SSH_KEY": str(tmp_path / "host_key"),
               "FAILOVER_KNOWN_HOSTS": str(_known_hosts(tmp_path)), "RIG_DIR": str(tmp_path),
               "PDNS_API_KEY": "not-used-by-validate"}

    def run(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([failover, *args], capture_output=True, text=True, timeout=120,
                              check=False, env=run_env, cwd=tmp_path, stdin=subprocess.DEVNULL)

    version = run("--version")
    assert (version.returncode, version.stdout) == (0, "failover 0.1.0\n"), version.stderr
    valid = run("-i", str(REPO / "inventory.yaml"), "validate")
    assert valid.returncode == 0, valid.stdout + valid.stderr
    assert valid.stdout.startswith(f"{REPO / 'inventory.yaml'}: valid: site shop.test, 2 hosts")
    reference = run("help", "inventory")
    assert reference.returncode == 0, reference.stderr
    assert reference.stdout == (REPO / "docs" / "inventory.md").read_text()
    stock = subprocess.run([str(venv / "bin" / "python"), "-c",
                            "from failover.stock import stock_playbooks as s; "
                            "print(s()['failback'], end='')"], capture_output=True, text=True,
                           timeout=60, check=False, cwd=tmp_path)
    assert stock.stdout == (REPO / "playbooks" / "failback.yaml").read_text(), stock.stderr
