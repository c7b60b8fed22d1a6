"""`make demo` keeps working: the whole product end to end on throwaway local clusters."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

from devstack.localpg import LocalPostgresUnavailable, find_bin_dir

ROOT = Path(__file__).resolve().parents[1]


def test_the_demo_syncs_the_sample_data_and_the_second_run_writes_nothing() -> None:
    try:
        find_bin_dir()
    except LocalPostgresUnavailable as exc:
        pytest.skip(f"the demo needs the local PostgreSQL binaries: {exc}")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("JOB_", "URI_BANCO", "HELPER_"))}

    done = subprocess.run(
        [sys.executable, "-m", "devstack.demo"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=240,
        check=False,
    )

    output = done.stdout + done.stderr
    assert done.returncode == 0, output
    assert "run partial (exit 3): 13 inserted, 3 updated, 2 rejected, 0 deferred" in output
    assert "run partial (exit 3): 0 inserted, 0 updated, 2 rejected, 0 deferred" in output
    assert "demo finished: the first run exited 3" in output
