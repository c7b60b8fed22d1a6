"""terraform's own checks, run from pytest: fmt, validate, and the terraform test files (mocked provider)."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from tests.infra.support import TF_DIR, describe, load_hcl, require_terraform, run_terraform

pytestmark = pytest.mark.terraform


def test_terraform_files_are_formatted() -> None:
    require_terraform()
    result = run_terraform(["fmt", "-check", "-recursive", "-diff", str(TF_DIR)], TF_DIR, timeout=60)
    assert result.returncode == 0, "run `make tf-fmt`:\n" + describe(result)


def test_configuration_is_valid(initialised_configuration: Path) -> None:
    result = run_terraform(["validate", "-json"], initialised_configuration, timeout=120)
    report = json.loads(result.stdout)
    assert report["valid"] is True, describe(result)
    assert report["error_count"] == 0
    assert report["warning_count"] == 0, report["diagnostics"]


def test_terraform_test_files_pass_on_a_mocked_plan(initialised_configuration: Path) -> None:
    result = run_terraform(["test"], initialised_configuration, timeout=240)
    assert result.returncode == 0, describe(result)
    # An empty tests/ directory would also exit 0: every run block written must have passed.
    runs = sum(
        len(re.findall(r'^run "', p.read_text(encoding="utf-8"), re.MULTILINE))
        for p in (TF_DIR / "tests").glob("*.tftest.hcl")
    )
    assert runs >= 20
    assert f"Success! {runs} passed, 0 failed." in result.stdout, describe(result)


@pytest.mark.parametrize("environment", ["dev", "prod"])
def test_environment_variable_file_plans(initialised_configuration: Path, environment: str) -> None:
    result = run_terraform(
        ["test", "-test-directory=tests/environments", f"-var-file=environments/{environment}.tfvars"],
        initialised_configuration,
        timeout=180,
    )
    assert result.returncode == 0, describe(result)
    assert "1 passed, 0 failed" in result.stdout, describe(result)


def test_lock_file_pins_the_provider_the_mirror_holds() -> None:
    lock = load_hcl(TF_DIR / ".terraform.lock.hcl")
    (provider,) = lock["provider"]
    assert provider["registry.terraform.io/hashicorp/aws"]["version"] == "5.100.0"
    assert provider["registry.terraform.io/hashicorp/aws"]["hashes"], "the lock file must carry the provider's hashes"
