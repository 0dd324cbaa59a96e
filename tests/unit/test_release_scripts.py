"""The atomic release scripts (failover/sync/scripts/*.sh): shellcheck-clean as they run, and
run through a real `sh` on a local folder (the rig runs them over ssh: test_sync_releases.py)."""

from __future__ import annotations

import gzip
import shutil
import subprocess
from importlib import resources
from pathlib import Path

import pytest

from failover.sync import release
from failover.sync.rsync_output import split_notes

RUNNABLE = ["inspect", "publish", "release", "rollback"]
KEPT = ["keep", "restore"]  # plain sets: kept copies (run below, and over ssh by test_failback.py)
DATABASE = ["db_dump", "db_load"]  # run for real by tests/scenarios/test_database_sync.py


def sh(argv: list[str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(argv, capture_output=True, text=True, check=False, timeout=30)


def test_every_script_file_is_run_somewhere() -> None:
    folder = resources.files("failover.sync") / "scripts"
    names = sorted(p.name for p in folder.iterdir() if p.name.endswith(".sh"))
    assert names == sorted([*(f"{n}.sh" for n in RUNNABLE + DATABASE + KEPT), "swap.sh"])


@pytest.mark.parametrize("name", RUNNABLE + DATABASE + KEPT)
def test_script_is_shellcheck_clean_as_it_runs(name: str) -> None:
    shellcheck = shutil.which("shellcheck")
    assert shellcheck, "shellcheck is not installed (make deps installs it)"
    text = release.script(name)
    assert "swap()" in text if name in RUNNABLE[1:] else "swap()" not in text
    found = subprocess.run([shellcheck, "-s", "sh", "-"], input=text, capture_output=True,
                           text=True, check=False, timeout=60)
    assert found.returncode == 0, found.stdout + found.stderr


def test_script_files_are_shellcheck_clean_with_their_comments() -> None:
    shellcheck = shutil.which("shellcheck")
    assert shellcheck, "shellcheck is not installed (make deps installs it)"
    folder = Path(str(resources.files("failover.sync") / "scripts"))
    swap = (folder / "swap.sh").read_text()
    for name in RUNNABLE + DATABASE + KEPT:
        body = (folder / f"{name}.sh").read_text()
        text = swap + body if name in RUNNABLE[1:] else body  # as release.script() joins them
        found = subprocess.run([shellcheck, "-s", "sh", "-"], input=text, capture_output=True,
                               text=True, check=False, timeout=60)
        assert found.returncode == 0, name + ": " + found.stdout


def test_publish_inspect_rollback_through_real_sh(tmp_path: Path) -> None:
    base = tmp_path / "site"
    base.mkdir()
    (base / "index.html").write_text("v1")

    def inspect() -> list[str]:
        done = sh(["sh", "-c", release.script("inspect"), "sh", str(base)])
        assert done.returncode == 0, done.stderr
        return done.stdout.split("\n")

    assert inspect()[:3] == ["no-releases", "newest=", "dir"]
    new, old = release.release_ids()
    (tmp_path / "site.releases" / new).mkdir(parents=True)
    (tmp_path / "site.releases" / new / "index.html").write_text("v2")
    done = sh(["sh", "-c", release.script("publish"), "sh", str(base), new, old, "5"])
    assert done.returncode == 0, done.stderr
    assert base.is_symlink()
    assert (base / "index.html").read_text() == "v2"
    assert (tmp_path / "site.releases" / old / "index.html").read_text() == "v1"
    out = inspect()
    assert out[:3] == ["releases", f"newest={new}", "link"]
    assert out[3] == str((tmp_path / "site.releases" / new).resolve())

    done = sh(["sh", "-c", release.script("rollback"), "sh", str(base)])
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == [new, old]
    assert (base / "index.html").read_text() == "v1"
    again = sh(["sh", "-c", release.script("rollback"), "sh", str(base)])
    assert again.returncode == 4
    assert f"no release older than {old}" in again.stderr


def test_keep_and_restore_through_real_sh(tmp_path: Path) -> None:
    base = tmp_path / "site"
    base.mkdir()
    (base / "order-17.txt").write_text("only here")
    (base / "index.html").write_text("stale")

    def keep(count: int = 2) -> str:
        new, _ = release.release_ids()
        done = sh(["sh", "-c", release.script("keep"), "sh", str(base), new, str(count)])
        assert done.returncode == 0, done.stderr
        assert done.stdout.strip() == new
        return new

    first = keep()
    kept = tmp_path / "site.kept" / first
    # what a push does to a file: a new one renamed over it (rsync); the kept copy stays
    (base / "index.tmp").write_text("fresh")
    (base / "index.tmp").rename(base / "index.html")
    (base / "order-17.txt").unlink()
    assert (kept / "index.html").read_text() == "stale"
    assert (kept / "order-17.txt").read_text() == "only here"
    assert sorted(p.name for p in (tmp_path / "site.kept").iterdir()) == [first]
    second, third = keep(), keep()
    assert sorted(p.name for p in (tmp_path / "site.kept").iterdir()) == [second, third]

    new, _ = release.release_ids()
    done = sh(["sh", "-c", release.script("restore"), "sh", str(base), new])
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == third
    assert (base / "index.html").read_text() == "fresh"  # the newest copy is live
    assert (tmp_path / "site.kept" / f"{new}.replaced" / "index.html").read_text() == "fresh"
    done = sh(["sh", "-c", release.script("restore"), "sh", str(base), new + "1"])
    assert done.stdout.strip() == second  # one copy further back each time
    missing = sh(["sh", "-c", release.script("restore"), "sh", str(tmp_path / "none"), new])
    assert missing.returncode == 4
    assert "no copy kept in" in missing.stderr
    nothing = sh(["sh", "-c", release.script("keep"), "sh", str(tmp_path / "none"), new, "2"])
    assert (nothing.returncode, nothing.stdout) == (0, "")


def test_release_script_compares_gates_and_publishes_through_real_sh(tmp_path: Path) -> None:
    base = tmp_path / "site"
    base.mkdir()
    (base / "index.html").write_text("v1")
    (base / "old.html").write_text("old")
    stage = tmp_path / "site.releases" / release.STAGE
    stage.mkdir(parents=True)
    (stage / "index.html").write_text("v2, longer")
    (stage / "new.html").write_text("new")
    new, old = release.release_ids()

    def run(max_delete: int) -> tuple[release.StagedDiff, subprocess.CompletedProcess[str]]:
        argv = release.release_script(str(base), new, old, 5, max_delete, fill="none")
        done = sh(argv)
        notes, _ = split_notes(done.stderr)
        return release.read_notes(notes, "here"), done

    refused, done = run(0)
    assert done.returncode == 0, done.stderr
    assert refused.outcome == "refused"
    assert refused.compared
    assert (refused.created, refused.updated, refused.deleted) == (
        ["new.html"], ["index.html"], ["old.html"])
    assert not base.is_symlink()

    published, done = run(-1)
    assert done.returncode == 0, done.stderr
    assert published.outcome == "published"
    assert published.release == new
    assert (base / "index.html").read_text() == "v2, longer"
    assert not (base / "old.html").exists()
    assert (tmp_path / "site.releases" / old / "old.html").read_text() == "old"


def test_release_script_failure_is_a_note(tmp_path: Path) -> None:
    base = tmp_path / "site"
    base.write_text("a file, not a folder")
    new, old = release.release_ids()
    done = sh(release.release_script(str(base), new, old, 5, -1, fill="none"))
    notes, _ = split_notes(done.stderr)
    assert done.returncode == 3
    assert notes == [f"error: {base} is neither a directory nor a symlink to one; move it "
                     "away first"]


def test_dump_script_reports_the_dump_programs_own_status(tmp_path: Path) -> None:
    (tmp_path / "dump.sql").write_text("CREATE TABLE t;\n")
    done = subprocess.run(["sh", "-c", release.script("db_dump"), "sh", "cat",
                           str(tmp_path / "dump.sql")], capture_output=True, check=False,
                          timeout=30)
    assert done.stderr.decode().splitlines()[-1] == "@failover dump-exit 0 gzip-exit 0"
    assert gzip.decompress(done.stdout) == b"CREATE TABLE t;\n"
    failed = subprocess.run(["sh", "-c", release.script("db_dump"), "sh", "cat",
                             str(tmp_path / "missing.sql")], capture_output=True, check=False,
                            timeout=30)
    # a pipe's status would be gzip's (0): the script says the dump's own
    assert failed.stderr.decode().splitlines()[-1] == "@failover dump-exit 1 gzip-exit 0"


def test_load_script_fails_on_a_truncated_stream(tmp_path: Path) -> None:
    whole = gzip.compress(b"line 1\nline 2\n")
    done = subprocess.run(["sh", "-c", release.script("db_load"), "sh", "wc", "-l"],
                          input=whole, capture_output=True, check=False, timeout=30)
    assert done.returncode == 0
    assert done.stderr.decode().split() == ["2", "@failover", "gzip-exit", "0", "load-exit", "0"]
    cut = subprocess.run(["sh", "-c", release.script("db_load"), "sh", "wc", "-l"],
                         input=whole[:-6], capture_output=True, check=False, timeout=30)
    assert cut.returncode == 1  # wc read what came and exited 0: the script does not
    assert cut.stderr.decode().splitlines()[-1] == "@failover gzip-exit 1 load-exit 0"
