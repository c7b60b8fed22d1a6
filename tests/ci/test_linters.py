"""actionlint, zizmor, the published JSON schemas and shellcheck over .github/, all offline.

Each tool is also shown a known-bad workflow first, so that "no findings" means it looked.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from tests.ci.support import REPO, SCRIPTS, VENV_BIN, run_tool, tool, workflow_files

BAD_WORKFLOW = """\
name: bad
on: pull_request_target
jobs:
  build:
    runs-on: ubuntu-24.04
    steps:
      - uses: actions/checkout@v4
        with:
          ref: ${{ github.event.pull_request.head.sha }}
      - run: echo ${{ github.event.pull_request.title }} $UNQUOTED
"""


def require(name: str) -> str:
    path = tool(name)
    if path is None:
        pytest.fail(f"{name} is missing from .venv/bin: run `make install` (it is a dev dependency)")
    return path


def shellcheck_or_skip() -> str:
    path = tool("shellcheck")
    if path is None:
        pytest.skip("shellcheck is not installed here (GitHub's runners have it; `apt-get install shellcheck`)")
    return path


@pytest.fixture
def bad_repo(tmp_path: Path) -> Path:
    (tmp_path / ".git").mkdir()
    workflows = tmp_path / ".github" / "workflows"
    workflows.mkdir(parents=True)
    (workflows / "bad.yml").write_text(BAD_WORKFLOW, encoding="utf-8")
    return tmp_path


def actionlint(cwd: Path) -> list[str]:
    shellcheck = tool("shellcheck") or ""
    result = run_tool([require("actionlint"), "-no-color", "-oneline", f"-shellcheck={shellcheck}"], cwd=cwd)
    assert result.returncode in (0, 1), result.stderr
    return result.stdout.splitlines()


def zizmor(target: Path) -> list[dict[str, object]]:
    result = run_tool([require("zizmor"), "--offline", "--no-progress", "--format", "json", str(target)], cwd=target)
    assert result.stdout.strip(), f"zizmor did not run:\n{result.stderr}"
    findings = json.loads(result.stdout)
    assert isinstance(findings, list)
    return findings


def test_actionlint_reports_a_broken_workflow(bad_repo: Path) -> None:
    lines = actionlint(bad_repo)
    assert any("potentially untrusted" in line for line in lines), lines


def test_actionlint_finds_nothing_in_our_workflows() -> None:
    assert workflow_files(), "no workflow in .github/workflows"
    assert actionlint(REPO) == []


def test_actionlint_passes_run_scripts_through_shellcheck(bad_repo: Path) -> None:
    shellcheck_or_skip()
    assert any("SC2086" in line for line in actionlint(bad_repo))


def test_zizmor_reports_a_dangerous_workflow(bad_repo: Path) -> None:
    audits = {finding["ident"] for finding in zizmor(bad_repo)}
    assert {"dangerous-triggers", "template-injection", "unpinned-uses", "artipacked"} <= audits


def test_zizmor_finds_nothing_in_our_workflows_and_dependabot_config() -> None:
    findings = zizmor(REPO)
    assert findings == [], json.dumps(findings, indent=2)[:4000]


def test_every_zizmor_ignore_says_why() -> None:
    for path in (REPO / ".github").rglob("*.y*ml"):
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            match = re.search(r"zizmor:\s*ignore\[[^\]]+\](.*)", line)
            if match:
                assert len(match.group(1).strip(" :-#")) >= 10, f"{path}:{number}: say why the finding is ignored"
    assert not list(REPO.glob("zizmor.y*ml")), "audits are not switched off globally: ignore inline, with a reason"
    assert not list((REPO / ".github").glob("zizmor.y*ml")), "audits are not switched off globally"


@pytest.mark.parametrize(
    ("schema", "paths"),
    [
        ("vendor.github-workflows", [str(p) for p in workflow_files()]),
        ("vendor.dependabot", [str(REPO / ".github" / "dependabot.yml")]),
    ],
)
def test_files_match_githubs_published_schema(schema: str, paths: list[str]) -> None:
    checker = VENV_BIN / "check-jsonschema"
    result = run_tool([str(checker), "--builtin-schema", schema, *paths])
    assert result.returncode == 0, result.stdout + result.stderr


def test_the_deploy_scripts_pass_shellcheck() -> None:
    shellcheck = shellcheck_or_skip()
    scripts = sorted(SCRIPTS.glob("*.sh"))
    assert scripts
    result = run_tool([shellcheck, "--severity=style", *map(str, scripts)])
    assert result.returncode == 0, result.stdout


def test_the_deploy_scripts_parse_as_bash() -> None:
    for script in sorted(SCRIPTS.glob("*.sh")):
        result = run_tool(["bash", "-n", str(script)])
        assert result.returncode == 0, f"{script.name}: {result.stderr}"
        assert script.read_text(encoding="utf-8").startswith("#!/usr/bin/env bash\n")
        assert "set -euo pipefail" in script.read_text(encoding="utf-8"), f"{script.name} must stop at the first error"
