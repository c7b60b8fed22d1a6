"""`make install-runtime` gives a host that only runs the job the locked runtime dependencies, not the dev tools."""

from __future__ import annotations

import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_install_runtime_makes_a_venv_that_runs_the_job_without_the_test_tools(tmp_path):
    venv = tmp_path / "runtime-venv"

    done = subprocess.run(
        ["make", "--no-print-directory", "install-runtime", f"VENV={venv}"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
        timeout=600,
    )

    assert done.returncode == 0, done.stdout + done.stderr
    version = subprocess.run([venv / "bin" / "hestia-sync", "--version"], capture_output=True, text=True, check=False)
    assert version.returncode == 0, version.stderr
    assert version.stdout.startswith("hestia-sync ")
    assert (venv / "bin" / "gunicorn").exists()
    assert not (venv / "bin" / "pytest").exists()
    assert not (venv / "bin" / "mypy").exists()
    assert not (venv / ".synced").exists()  # make install still syncs the full set afterwards
