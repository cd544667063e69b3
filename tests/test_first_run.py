"""What a new user meets: the first run on a fresh machine, the package, and one command line module."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import zipfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from tests.support.factories import event, song, write_source
from tests.support.helpers import rows

REPO = Path(__file__).resolve().parents[1]


def fresh_user_env(home: Path, **extra: str) -> dict[str, str]:
    """The environment of a user who never ran Prefect: a new home, no Prefect or Sparkify setting."""
    env = {key: value for key, value in os.environ.items() if not key.startswith(("PREFECT_", "SPARKIFY_"))}
    return {**env, "HOME": str(home), "PYTHONPATH": str(REPO), **extra}


#: The busy loops and the first run are niced alike: they compete for the cores as on a busy laptop, while
#: the test suite's other workers (``make test`` runs files side by side) go first and are not slowed.
NICE = ("nice", "-n", "19")


@contextmanager
def busy_machine() -> Iterator[None]:
    """Every core kept busy by another process, as on a laptop that is doing something else."""
    burners = [subprocess.Popen([*NICE, sys.executable, "-c", "while True: pass"]) for _ in range(os.cpu_count() or 1)]
    try:
        yield
    finally:
        for burner in burners:
            burner.kill()
            burner.wait()


@pytest.mark.slow
def test_the_first_run_on_a_fresh_busy_machine_generates_the_sample_and_loads_it(tmp_path: Path) -> None:
    """``python -m flows.etl`` as the README's first command runs it, in a home Prefect has never seen.

    Prefect's temporary server creates and migrates its database on this first start, which takes longer
    than Prefect's default start-up timeout (20 s) on a busy 2-core machine: without the project's own
    default (``sparkify.prefect_defaults``) this run fails with "Timed out while attempting to connect".
    """
    home = tmp_path / "home"
    home.mkdir()
    with busy_machine():
        done = subprocess.run(
            [*NICE, sys.executable, "-m", "flows.etl"],
            cwd=tmp_path,
            env=fresh_user_env(home),
            capture_output=True,
            text=True,
            timeout=900,
        )
    assert done.returncode == 0, done.stderr[-3000:]
    assert "sparkify-etl succeeded" in done.stdout
    assert (home / ".prefect" / "prefect.db").is_file()  # Prefect's state was created by this very run
    sample = tmp_path / "data" / "sample"
    [(songplays,)] = rows(f"duckdb:///{tmp_path / 'data' / 'sparkify.duckdb'}", "SELECT COUNT(*) FROM songplays")
    nextsong_lines = sum(path.read_text().count('"page":"NextSong"') for path in (sample / "log_data").rglob("*.json"))
    assert songplays == nextsong_lines > 0
    assert f"songplays {songplays}" in done.stdout


def test_the_flow_never_imports_the_command_line() -> None:
    """One module per flow in a process: the command line imports the flows, never the reverse."""
    probe = "import sys, flows.etl.flow, flows.backfill; print(sorted(m for m in sys.modules if m.startswith('flows')))"
    done = subprocess.run([sys.executable, "-c", probe], cwd=REPO, capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "['flows', 'flows.backfill', 'flows.etl', 'flows.etl.flow']"


@pytest.mark.slow
def test_the_installed_package_runs_its_console_script_anywhere(tmp_path: Path) -> None:
    """``pip install .`` gives a ``sparkify`` command whose SQL files travel with it."""
    # a copy of the project's files: setuptools builds in the tree it is given, and must not leave build/ here
    project = tmp_path / "project"
    shutil.copytree(REPO, project, ignore=shutil.ignore_patterns(".*", "build", "data", "work", "*.egg-info"))
    wheels = tmp_path / "wheels"
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps", "--wheel-dir", str(wheels), str(project)],
        check=True,
        capture_output=True,
    )
    [wheel] = wheels.glob("sparkify_pipelines-*.whl")
    packaged = zipfile.ZipFile(wheel).namelist()
    assert "sql/window/songplays.sql" in packaged
    assert not [name for name in packaged if name.startswith(("tests/", "bench/"))]

    target = tmp_path / "site"
    subprocess.run(
        [sys.executable, "-m", "pip", "install", "--quiet", "--no-deps", "--target", str(target), str(wheel)],
        check=True,
        capture_output=True,
    )
    elsewhere = tmp_path / "elsewhere"
    source = write_source(elsewhere / "source", [event("2018-11-01T10:00:00.100")], [song("SOX", "Clocks")])
    env = {**os.environ, "PYTHONPATH": str(target)}  # the installed copy only, not the checkout
    done = subprocess.run(
        [str(target / "bin" / "sparkify"), "plan", "--source", str(source), "--warehouse", "duckdb:///x.duckdb"],
        cwd=elsewhere,
        env=env,
        capture_output=True,
        text=True,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    assert "INSERT INTO songplays" in done.stdout
    assert (
        str(target)
        in subprocess.run(
            [sys.executable, "-c", "import sparkify.sql as s; print(s.SQL_DIR)"],
            cwd=elsewhere,
            env=env,
            capture_output=True,
            text=True,
            check=True,
        ).stdout
    )
