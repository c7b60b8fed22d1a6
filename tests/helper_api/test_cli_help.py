"""The helper's commands explain themselves: `--help` of each shows real examples."""

from __future__ import annotations

import subprocess
import sys

import pytest

from helper_api.cli import build_parser


def _commands() -> list[str]:
    action = next(a for a in build_parser()._actions if a.dest == "command")
    return list(action.choices)  # type: ignore[arg-type]


@pytest.mark.parametrize("command", _commands())
def test_every_helper_commands_help_shows_examples(command, tmp_path):
    done = subprocess.run(
        [sys.executable, "-m", "helper_api", command, "--help"],
        capture_output=True,
        text=True,
        check=False,
        cwd=tmp_path,
    )

    assert done.returncode == 0, done.stderr
    examples = done.stdout.split("examples:\n", 1)[1].splitlines()
    assert examples
    for line in examples:
        arguments = line.strip().removeprefix(".venv/bin/python -m helper_api ").split()
        assert build_parser().parse_args(arguments).command == command


def test_the_helpers_help_says_how_the_api_itself_is_started(tmp_path):
    done = subprocess.run([sys.executable, "-m", "helper_api", "--help"], capture_output=True, text=True, check=False)

    assert "make helper" in done.stdout
