"""checkov over infra/terraform from its own virtual environment: no failed check, every skip explained inline."""

from __future__ import annotations

import json
import subprocess
from typing import Any

import pytest

from tests.infra.support import CHECKOV, REPO_ROOT, TF_DIR


def _run_checkov() -> dict[str, Any]:
    if not CHECKOV.exists():
        pytest.skip(f"{CHECKOV} is missing: run `make checkov-venv` (make test creates it)")
    result = subprocess.run(
        [str(CHECKOV), "--skip-download", "--framework", "terraform", "--directory", str(TF_DIR), "--output", "json"],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        timeout=240,
        check=False,
    )
    assert result.stdout.strip(), f"checkov printed nothing (exit {result.returncode}):\n{result.stderr[-4000:]}"
    report = json.loads(result.stdout)
    # One framework gives one report object; checkov wraps several in a list.
    first: dict[str, Any] = report[0] if isinstance(report, list) else report
    return first


@pytest.fixture(scope="module")
def checkov_report() -> dict[str, Any]:
    return _run_checkov()


def test_checkov_finds_no_failed_check(checkov_report: dict[str, Any]) -> None:
    failed = [
        f"{c['check_id']} {c['resource']} ({c['file_path']}:{c['file_line_range'][0]})"
        for c in checkov_report["results"]["failed_checks"]
    ]
    assert failed == []
    assert checkov_report["summary"]["parsing_errors"] == 0
    assert checkov_report["summary"]["passed"] > 100, "checkov scanned far fewer resources than the configuration has"


def test_every_checkov_skip_is_inline_with_a_reason(checkov_report: dict[str, Any]) -> None:
    skipped = checkov_report["results"]["skipped_checks"]
    without_reason = [
        f"{c['check_id']} {c['resource']}"
        for c in skipped
        if len((c.get("check_result", {}).get("suppress_comment") or "").strip()) < 20
    ]
    assert without_reason == []
    for check in skipped:
        path = TF_DIR / check["file_path"].lstrip("/")
        text = path.read_text(encoding="utf-8")
        assert f"#checkov:skip={check['check_id']}:" in text, f"{check['check_id']} is not skipped inline in {path}"


def test_no_checkov_config_file_skips_checks_globally() -> None:
    for name in (".checkov.yaml", ".checkov.yml"):
        assert not (REPO_ROOT / name).exists()
        assert not (TF_DIR / name).exists()
