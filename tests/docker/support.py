"""Helpers for the container tests: the repository's paths, make and docker as subprocesses."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
DOCKER_DIR = REPO / "docker"
DOCKERFILES = {"job": DOCKER_DIR / "job.Dockerfile", "helper": DOCKER_DIR / "helper.Dockerfile"}
COMPOSE_FILE = DOCKER_DIR / "compose.yaml"
HADOLINT_CONFIG = DOCKER_DIR / ".hadolint.yaml"
VENV_BIN = Path(sys.executable).parent


def venv_tool(name: str) -> str:
    """The path of a console script installed in the test environment."""
    path = VENV_BIN / name
    if not path.exists():
        raise FileNotFoundError(f"{name} is not in {VENV_BIN}: run `make install`")
    return str(path)


def make_env(**extra: str) -> dict[str, str]:
    """The environment for a nested make: without the outer make's flags and jobserver."""
    env = {k: v for k, v in os.environ.items() if k not in {"MAKEFLAGS", "MFLAGS", "MAKELEVEL"}}
    env.update(extra)
    return env


def run_make(*args: str, timeout: float = 120, **env: str) -> subprocess.CompletedProcess[str]:
    """Run make in the repository and capture its output."""
    return subprocess.run(
        ["make", "--no-print-directory", "-C", str(REPO), *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        env=make_env(**env),
        check=False,
    )


def compose_plugin_answers() -> bool:
    """True when `docker compose` (the v2 plugin) is installed; it needs no daemon for `config`."""
    if shutil.which("docker") is None:
        return False
    result = subprocess.run(["docker", "compose", "version"], capture_output=True, text=True, check=False)
    return result.returncode == 0


def project_version() -> str:
    """The version in pyproject.toml, which the images carry as a label and as the installed project."""
    with (REPO / "pyproject.toml").open("rb") as file:
        return str(tomllib.load(file)["project"]["version"])
