"""Run the real CLI as a subprocess, the way the scheduler does."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tests.support import secrets


@dataclass
class Result:
    code: int
    stdout: str
    stderr: str

    def events(self, name: str) -> list[dict[str, Any]]:
        lines = [json.loads(line) for line in self.stderr.splitlines() if line.startswith("{")]
        return [line for line in lines if line.get("event") == name]


def run_cli(args: list[str], env: dict[str, str], cwd: Path, timeout: float = 120) -> Result:
    full_env = {key: value for key, value in os.environ.items() if not key.startswith(("JOB_", "URI_", "HELPER_"))}
    full_env.update(env)
    done = subprocess.run(
        [sys.executable, "-m", "job", *args],
        env=full_env,
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
    secrets.current().observe(f"python -m job {' '.join(args)} output", done.stdout + done.stderr)
    return Result(done.returncode, done.stdout, done.stderr)


def cli_env(pair: Any, helper_url: str, token: str, **extra: str) -> dict[str, str]:
    return {
        "URI_BANCO_1": pair.db1,
        "URI_BANCO_2": pair.db2,
        "HELPER_API_URL": helper_url,
        "HELPER_API_TOKEN": token,
        "JOB_LOG_FORMAT": "json",
        "JOB_HELPER_BACKOFF_S": "0.01",
        **extra,
    }
