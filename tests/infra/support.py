"""Shared helpers of the infrastructure tests: where things are, running terraform, reading the HCL."""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

import hcl2
import pytest

REPO_ROOT = Path(__file__).resolve().parents[2]
TF_DIR = REPO_ROOT / "infra" / "terraform"
MODULES_DIR = TF_DIR / "modules"
CLI_CONFIG = TF_DIR / "offline.tfrc"
PROVIDER_VERSION = "5.100.0"
PROVIDER_MIRROR = Path("/opt/tf-plugins/registry.terraform.io/hashicorp/aws") / PROVIDER_VERSION / "linux_amd64"
CHECKOV = REPO_ROOT / ".venv-checkov" / "bin" / "checkov"

_TAKES_NO_COLOR = {"init", "validate", "plan", "apply", "destroy", "output", "test"}
_HCL_OPTIONS = hcl2.SerializationOptions(with_comments=False, explicit_blocks=False, strip_string_quotes=True)


def require_terraform() -> str:
    """Path of the terraform binary, or skip the test saying why."""
    path = shutil.which("terraform")
    if path is None:
        pytest.skip("terraform is not installed on this machine (install Terraform >= 1.11 to run this check)")
    return path


def require_provider_mirror() -> None:
    """Skip the test when the offline copy of the AWS provider is absent: terraform init would need the registry."""
    if not PROVIDER_MIRROR.is_dir():
        pytest.skip(
            f"the offline AWS provider mirror {PROVIDER_MIRROR} is absent, so terraform init cannot work offline"
        )


def terraform_env(extra: dict[str, str] | None = None) -> dict[str, str]:
    """Environment for terraform: the repo's offline CLI config, no prompts, no AWS identity from the shell."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "TF_"))}
    env.update(
        TF_CLI_CONFIG_FILE=str(CLI_CONFIG),
        TF_IN_AUTOMATION="1",
        TF_INPUT="0",
        CHECKPOINT_DISABLE="1",
        AWS_EC2_METADATA_DISABLED="true",
    )
    env.update(extra or {})
    return env


def run_terraform(
    args: list[str], cwd: Path, *, timeout: float = 240, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    """Run `terraform <args>` in cwd without colour; the caller asserts on the exit status and output."""
    command, *rest = args
    if command in _TAKES_NO_COLOR:
        rest = ["-no-color", *rest]
    return subprocess.run(
        [require_terraform(), command, *rest],
        cwd=cwd,
        env=env or terraform_env(),
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


def describe(result: subprocess.CompletedProcess[str]) -> str:
    """The command's output, for assertion messages."""
    return f"exit {result.returncode}\n--- stdout\n{result.stdout[-6000:]}\n--- stderr\n{result.stderr[-6000:]}"


def copy_configuration(destination: Path) -> Path:
    """Copy infra/terraform without local state or provider installs, so tests never write into the repo."""
    ignore = shutil.ignore_patterns(
        ".terraform", "*.tfstate", "*.tfstate.*", "*.tfplan", ".terraform.tfstate.lock.info"
    )
    shutil.copytree(TF_DIR, destination, ignore=ignore)
    return destination


def load_hcl(path: Path) -> dict[str, Any]:
    """One HCL file as plain Python values (strings unquoted, expressions kept as "${...}")."""
    with path.open(encoding="utf-8") as handle:
        return hcl2.load(handle, serialization_options=_HCL_OPTIONS)


@dataclass
class Configuration:
    """The blocks of every .tf file in one directory (one Terraform module)."""

    directory: Path
    resources: dict[tuple[str, str], dict[str, Any]] = field(default_factory=dict)
    data: dict[tuple[str, str], dict[str, Any]] = field(default_factory=dict)
    variables: dict[str, dict[str, Any]] = field(default_factory=dict)
    outputs: dict[str, dict[str, Any]] = field(default_factory=dict)
    locals: dict[str, Any] = field(default_factory=dict)
    modules: dict[str, dict[str, Any]] = field(default_factory=dict)
    terraform: list[dict[str, Any]] = field(default_factory=list)

    def resource(self, kind: str, name: str) -> dict[str, Any]:
        assert (kind, name) in self.resources, f"{self.directory.name} has no {kind}.{name}"
        return self.resources[(kind, name)]

    def policy(self, name: str) -> list[dict[str, Any]]:
        """Statements of data.aws_iam_policy_document.<name>."""
        assert ("aws_iam_policy_document", name) in self.data, f"{self.directory.name} has no policy document {name}"
        return list(self.data[("aws_iam_policy_document", name)]["statement"])

    def of_type(self, kind: str) -> Iterator[tuple[str, dict[str, Any]]]:
        for (k, name), body in self.resources.items():
            if k == kind:
                yield name, body


@cache
def load_configuration(directory: Path) -> Configuration:
    """Parse every .tf file of one module directory into a Configuration (once per session: lark is slow)."""
    config = Configuration(directory)
    for path in sorted(directory.glob("*.tf")):
        parsed = load_hcl(path)
        for block in parsed.get("resource", []):
            for kind, named in block.items():
                for name, body in named.items():
                    config.resources[(kind, name)] = body
        for block in parsed.get("data", []):
            for kind, named in block.items():
                for name, body in named.items():
                    config.data[(kind, name)] = body
        for block in parsed.get("variable", []):
            config.variables.update(block)
        for block in parsed.get("output", []):
            config.outputs.update(block)
        for block in parsed.get("locals", []):
            config.locals.update(block)
        for block in parsed.get("module", []):
            config.modules.update(block)
        config.terraform.extend(parsed.get("terraform", []))
    return config


def module_directories() -> list[Path]:
    return sorted(p for p in MODULES_DIR.iterdir() if p.is_dir())


def all_configurations() -> list[Configuration]:
    """The root configuration and every local module."""
    return [load_configuration(TF_DIR), *(load_configuration(d) for d in module_directories())]
