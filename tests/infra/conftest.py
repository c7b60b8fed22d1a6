"""Fixtures of the infrastructure tests: an initialised copy of the Terraform configuration."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.infra.support import copy_configuration, describe, require_provider_mirror, require_terraform, run_terraform


@pytest.fixture(scope="session")
def initialised_configuration(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A copy of infra/terraform after `terraform init -backend=false` from the offline provider mirror."""
    require_terraform()
    require_provider_mirror()
    workdir = copy_configuration(tmp_path_factory.mktemp("terraform") / "terraform")
    result = run_terraform(["init", "-backend=false", "-lockfile=readonly"], workdir, timeout=180)
    assert result.returncode == 0, describe(result)
    return workdir
