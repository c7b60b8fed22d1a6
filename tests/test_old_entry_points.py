"""What the users typed before (`python rpa-sync.py`, `python app.py`) says what replaced it, with any Python."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


@pytest.mark.parametrize(
    ("script", "replacement"), [("rpa-sync.py", ".venv/bin/hestia-sync run"), ("app.py", "make helper")]
)
def test_an_old_entry_point_names_its_replacement_and_exits_2(script, replacement):
    done = subprocess.run(
        [sys.executable, "-S", str(ROOT / script)], capture_output=True, text=True, check=False, cwd=ROOT, timeout=30
    )

    assert done.returncode == 2
    assert replacement in done.stderr
    assert "README.md" in done.stderr
