"""hadolint on both Dockerfiles, with docker/.hadolint.yaml (the same command as `make docker-lint`)."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
import yaml  # type: ignore[import-untyped]

from tests.docker.support import DOCKERFILES, HADOLINT_CONFIG, venv_tool


def hadolint(*paths: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [venv_tool("hadolint"), "--no-color", "--config", str(HADOLINT_CONFIG), *map(str, paths)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


@pytest.mark.parametrize("name", sorted(DOCKERFILES))
def test_hadolint_passes(name: str) -> None:
    result = hadolint(DOCKERFILES[name])
    assert result.returncode == 0, result.stdout + result.stderr


def test_hadolint_fails_on_the_least_finding() -> None:
    config = yaml.safe_load(HADOLINT_CONFIG.read_text())
    assert config["failure-threshold"] == "style"


def test_every_ignored_rule_carries_its_reason() -> None:
    config = yaml.safe_load(HADOLINT_CONFIG.read_text())
    ignored = config.get("ignored") or []
    lines = HADOLINT_CONFIG.read_text().splitlines()
    for rule in ignored:
        line = next(text for text in lines if text.strip().startswith(f"- {rule}"))
        reason = line.partition("#")[2].strip()
        assert len(reason) > 10, f"{rule} is ignored without a reason on its line"


def test_hadolint_with_this_config_rejects_an_image_without_its_revision_label(tmp_path: Path) -> None:
    source = DOCKERFILES["job"].read_text()
    broken = tmp_path / "job.Dockerfile"
    broken.write_text(source.replace("org.opencontainers.image.revision", "org.example.revision"))
    result = hadolint(broken)
    assert result.returncode != 0
    assert "DL3049" in result.stdout, result.stdout


def test_hadolint_with_this_config_rejects_an_unpinned_base(tmp_path: Path) -> None:
    broken = tmp_path / "Dockerfile"
    broken.write_text('FROM python:latest\nUSER 10001\nCMD ["python"]\n')
    result = hadolint(broken)
    assert result.returncode != 0
    assert "DL3007" in result.stdout, result.stdout
