"""Every command explains itself: `--help` with real examples, shell completion, and how loud it is."""

from __future__ import annotations

import shlex
import subprocess
import sys

import pytest

from job.cli import build_parser
from job.commands import COMMANDS
from tests.job.builders import db2_student, insert
from tests.job.cli import cli_env, run_cli
from tests.support.helper_server import TOKEN


@pytest.mark.parametrize("command", COMMANDS, ids=lambda command: command.name)
def test_every_commands_help_shows_examples_that_the_parser_accepts(command, tmp_path):
    done = subprocess.run(
        [sys.executable, "-m", "job", command.name, "--help"], capture_output=True, text=True, check=False, cwd=tmp_path
    )

    assert done.returncode == 0, done.stderr
    assert "examples:" in done.stdout
    assert command.examples
    for example in command.examples:
        assert f"python -m job {example}" in done.stdout
        args = build_parser().parse_args(shlex.split(example.split(">")[0]))
        assert args.command == command.name


def test_the_top_level_help_lists_every_command(tmp_path):
    done = subprocess.run([sys.executable, "-m", "job", "--help"], capture_output=True, text=True, check=False)

    assert done.returncode == 0
    for command in COMMANDS:
        assert f"    {command.name} " in done.stdout


@pytest.mark.parametrize("shell", ["bash", "zsh"])
def test_the_completion_script_offers_every_command_and_is_valid_shell(shell, tmp_path):
    done = subprocess.run(
        [sys.executable, "-m", "job", "completion", shell], capture_output=True, text=True, check=False, cwd=tmp_path
    )

    assert done.returncode == 0, done.stderr
    names = [command.name for command in COMMANDS]
    if shell == "bash":
        assert f"_shtab_hestia_sync_subparsers=({' '.join(names)})" in done.stdout
    else:
        assert all(f"\n    {name}:'" in done.stdout for name in names)
    assert "--diff" in done.stdout
    if shell == "bash":
        script = tmp_path / "hestia-sync.bash"
        script.write_text(done.stdout)
        checked = subprocess.run(["bash", "-n", str(script)], capture_output=True, text=True, check=False)
        assert checked.returncode == 0, checked.stderr


def test_the_completion_needs_no_settings(tmp_path):
    (tmp_path / ".env").write_text("JOB_NOT_A_SETTING=1\n")

    done = subprocess.run(
        [sys.executable, "-m", "job", "completion", "bash"], capture_output=True, text=True, check=False, cwd=tmp_path
    )

    assert done.returncode == 0, done.stderr


@pytest.fixture
def env(pair, helper):
    row = db2_student(1)
    helper.state.known[row["email"]] = ("$2b$12$abcdefghijklmnopqrstuuN0x4sAlwJ2bYt7wQm8f9o2Zx1c3Vb5e", None)
    insert(pair, "db2", "universitario", [row])
    return cli_env(pair, helper.url, TOKEN)


def test_verbose_shows_each_steps_start_and_scope(env, tmp_path):
    result = run_cli(["run", "-v", "--flow", "students"], env, tmp_path)

    assert result.code == 0, result.stderr
    assert {line["step"] for line in result.events("step_started")} == {"students.create", "students.update"}
    assert result.events("step_scope")


def test_quiet_keeps_only_problems_and_the_summary_lines(env, tmp_path):
    env["JOB_PROGRESS_INTERVAL_S"] = "0"  # an INFO line per batch

    plain = run_cli(["plan", "--flow", "students"], env, tmp_path)
    quiet = run_cli(["-q", "plan", "--flow", "students"], env, tmp_path)

    assert plain.events("step_progress")
    assert quiet.events("step_progress") == []
    levels = {line["level"] for line in quiet.events("flow_finished") + quiet.events("run_finished")}
    assert levels == {"INFO"}  # summaries pass below the level: the CloudWatch filters read them


def test_verbose_and_a_log_level_together_are_a_usage_error(env, tmp_path):
    result = run_cli(["run", "-v", "--log-level", "ERROR"], env, tmp_path)

    assert result.code == 2
    assert "not allowed with argument" in result.stderr
