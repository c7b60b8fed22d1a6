"""Reading the GitHub Actions workflows the way the runner does, plus the tools that check them."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import yaml  # type: ignore[import-untyped]

REPO = Path(__file__).resolve().parents[2]
WORKFLOWS = REPO / ".github" / "workflows"
SCRIPTS = REPO / ".github" / "scripts"
VENV_BIN = REPO / ".venv" / "bin"
TF_DIR = REPO / "infra" / "terraform"

# owner/repo[/path]@<40 hex> # vX.Y.Z: a commit no one can move, and the release it is.
PINNED_USES = re.compile(
    r"^\s*(?:-\s+)?uses:\s+(?P<action>[\w.-]+/[\w.-]+(?:/[\w./-]+)?)@(?P<sha>[0-9a-f]{40})"
    r" # (?P<version>v\d+\.\d+\.\d+)\s*$"
)
USES_LINE = re.compile(r"^\s*(?:-\s+)?uses:\s+(?P<ref>\S+)")


@dataclass(frozen=True)
class Step:
    """One step of one job, with where it is, for assertion messages."""

    workflow: str
    job: str
    index: int
    body: dict[str, Any]

    @property
    def where(self) -> str:
        return f"{self.workflow} job {self.job} step {self.index + 1} ({self.body.get('name') or self.uses or 'run'})"

    @property
    def uses(self) -> str:
        return str(self.body.get("uses", ""))

    @property
    def run(self) -> str:
        return str(self.body.get("run", ""))

    @property
    def with_(self) -> dict[str, Any]:
        return dict(self.body.get("with") or {})

    @property
    def env(self) -> dict[str, Any]:
        return dict(self.body.get("env") or {})

    def uses_action(self, action: str) -> bool:
        return self.uses.split("@", 1)[0] == action


def workflow_files() -> list[Path]:
    return sorted(WORKFLOWS.glob("*.yml")) + sorted(WORKFLOWS.glob("*.yaml"))


def text(name: str) -> str:
    """One workflow's source, comments included (version comments live there)."""
    return (WORKFLOWS / name).read_text(encoding="utf-8")


@cache
def load(name: str) -> dict[str, Any]:
    """One workflow as data. PyYAML reads the key `on` as True (YAML 1.1): it is put back as "on"."""
    data = yaml.safe_load(text(name))
    assert isinstance(data, dict), f"{name} is not a mapping"
    if True in data:
        data["on"] = data.pop(True)
    return data


def jobs(name: str) -> dict[str, dict[str, Any]]:
    return dict(load(name)["jobs"])


def steps(name: str, job: str | None = None) -> Iterator[Step]:
    for job_id, body in jobs(name).items():
        if job is None or job_id == job:
            for index, step in enumerate(body.get("steps", [])):
                yield Step(name, job_id, index, step)


def triggers(name: str) -> dict[str, Any]:
    on = load(name)["on"]
    if isinstance(on, str):
        return {on: None}
    if isinstance(on, list):
        return dict.fromkeys(on)
    return dict(on)


def make_calls(script: str) -> list[tuple[list[str], dict[str, str]]]:
    """The targets and VAR=value arguments of every `make` command in a run script."""
    calls = []
    for command in re.split(r"[\n;|&]+", script):
        words = command.split()
        if not words or words[0] != "make":
            continue
        targets, variables = [], {}
        for word in words[1:]:
            if word.startswith(">"):
                break
            if word.startswith("-"):
                continue
            if "=" in word:
                key, value = word.split("=", 1)
                variables[key] = value.strip('"')
            else:
                targets.append(word)
        calls.append((targets, variables))
    return calls


def run_make(*args: str) -> subprocess.CompletedProcess[str]:
    """`make --dry-run` in the repository: what a target would run, without running it."""
    return subprocess.run(
        ["make", "--dry-run", "--no-print-directory", *args],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def tool(name: str) -> str | None:
    """A tool from the project venv, else from the PATH."""
    candidate = VENV_BIN / name
    if candidate.is_file() and os.access(candidate, os.X_OK):
        return str(candidate)
    return shutil.which(name)


def run_tool(argv: list[str], cwd: Path = REPO, **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        argv,
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
        env={**os.environ, **env},
    )
