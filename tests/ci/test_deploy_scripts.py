"""The deploy workflow's scripts, run for real: against a real git history, a real Terraform state."""

from __future__ import annotations

import os
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.ci.support import SCRIPTS

GIT_IDENTITY = {
    "GIT_AUTHOR_NAME": "CI test",
    "GIT_AUTHOR_EMAIL": "ci@example.invalid",
    "GIT_COMMITTER_NAME": "CI test",
    "GIT_COMMITTER_EMAIL": "ci@example.invalid",
}


def git(cwd: Path, *args: str) -> str:
    result = subprocess.run(
        ["git", "-c", "init.defaultBranch=main", "-c", "commit.gpgsign=false", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        check=True,
        timeout=30,
        env={**os.environ, **GIT_IDENTITY},
    )
    return result.stdout.strip()


@dataclass(frozen=True)
class History:
    """A clone whose origin/main is first <- second <- head, plus an unmerged branch commit."""

    checkout: Path
    first: str
    second: str
    head: str
    unmerged: str


@dataclass(frozen=True)
class Outcome:
    code: int
    stdout: str
    outputs: dict[str, str]


@pytest.fixture(scope="module")
def history(tmp_path_factory: pytest.TempPathFactory) -> History:
    origin = tmp_path_factory.mktemp("origin")
    git(origin, "init", "--quiet")
    shas = []
    for name in ("first", "second", "head"):
        (origin / f"{name}.txt").write_text(name, encoding="utf-8")
        git(origin, "add", f"{name}.txt")
        git(origin, "commit", "--quiet", "-m", name)
        shas.append(git(origin, "rev-parse", "HEAD"))
    git(origin, "switch", "--quiet", "-c", "feature", shas[1])
    (origin / "feature.txt").write_text("not reviewed", encoding="utf-8")
    git(origin, "add", "feature.txt")
    git(origin, "commit", "--quiet", "-m", "feature")
    unmerged = git(origin, "rev-parse", "HEAD")
    git(origin, "switch", "--quiet", "main")
    checkout = tmp_path_factory.mktemp("checkout") / "repo"
    git(origin.parent, "clone", "--quiet", str(origin), str(checkout))
    return History(checkout, shas[0], shas[1], shas[2], unmerged)


def run_script(name: str, cwd: Path, tmp_path: Path, *args: str, **env: str) -> Outcome:
    output = tmp_path / "github_output"
    output.write_text("", encoding="utf-8")
    base = {key: value for key, value in os.environ.items() if not key.startswith(("GITHUB_", "INPUT_"))}
    result = subprocess.run(
        ["bash", str(SCRIPTS / name), *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
        env={**base, "GITHUB_OUTPUT": str(output), **env},
    )
    lines = output.read_text(encoding="utf-8").splitlines()
    outputs = dict(line.split("=", 1) for line in lines)
    assert len(outputs) == len(lines), f"{name} wrote a line twice or a line without '=': {lines}"
    return Outcome(result.returncode, result.stdout + result.stderr, outputs)


def resolve(history: History, tmp_path: Path, **env: str) -> Outcome:
    return run_script("resolve_release.sh", history.checkout, tmp_path, GITHUB_SHA=history.head, **env)


def test_a_push_to_main_deploys_its_commit_to_dev(history: History, tmp_path: Path) -> None:
    outcome = resolve(history, tmp_path, EVENT_NAME="push")
    assert outcome.code == 0, outcome.stdout
    assert outcome.outputs == {"environment": "dev", "sha": history.head}


def test_a_push_deploys_to_dev_whatever_environment_is_passed(history: History, tmp_path: Path) -> None:
    outcome = resolve(history, tmp_path, EVENT_NAME="push", INPUT_ENVIRONMENT="prod")
    assert outcome.outputs == {"environment": "dev", "sha": history.head}


def test_a_dispatch_without_a_commit_deploys_the_head_to_the_chosen_environment(
    history: History, tmp_path: Path
) -> None:
    outcome = resolve(history, tmp_path, EVENT_NAME="workflow_dispatch", INPUT_ENVIRONMENT="prod", INPUT_SHA="")
    assert outcome.code == 0, outcome.stdout
    assert outcome.outputs == {"environment": "prod", "sha": history.head}
    assert "the head of main" in outcome.stdout


@pytest.mark.parametrize("spelling", ["full", "short", "upper"])
def test_an_earlier_commit_of_main_is_a_rollback_resolved_to_its_full_sha(
    history: History, tmp_path: Path, spelling: str
) -> None:
    given = {"full": history.first, "short": history.first[:10], "upper": history.first[:12].upper()}[spelling]
    outcome = resolve(history, tmp_path, EVENT_NAME="workflow_dispatch", INPUT_ENVIRONMENT="prod", INPUT_SHA=given)
    assert outcome.code == 0, outcome.stdout
    assert outcome.outputs == {"environment": "prod", "sha": history.first}
    assert "2 commit(s) behind main" in outcome.stdout
    assert "rollback" in outcome.stdout


def test_the_summary_says_what_is_deployed(history: History, tmp_path: Path) -> None:
    summary = tmp_path / "summary.md"
    resolve(
        history,
        tmp_path,
        EVENT_NAME="workflow_dispatch",
        INPUT_ENVIRONMENT="dev",
        INPUT_SHA=history.second,
        GITHUB_STEP_SUMMARY=str(summary),
    )
    assert summary.read_text(encoding="utf-8").strip() == (
        f"Deploying {history.second} to dev: 1 commit(s) behind main ({history.head}), a rollback."
    )


def test_a_commit_that_is_not_on_main_is_refused(history: History, tmp_path: Path) -> None:
    outcome = resolve(
        history, tmp_path, EVENT_NAME="workflow_dispatch", INPUT_ENVIRONMENT="prod", INPUT_SHA=history.unmerged
    )
    assert outcome.code == 1
    assert outcome.outputs == {}
    assert f"::error title=Deploy refused::commit {history.unmerged} is not on main" in outcome.stdout


def test_a_dispatch_from_an_unmerged_branch_head_is_refused(history: History, tmp_path: Path) -> None:
    outcome = run_script(
        "resolve_release.sh",
        history.checkout,
        tmp_path,
        EVENT_NAME="workflow_dispatch",
        INPUT_ENVIRONMENT="dev",
        GITHUB_SHA=history.unmerged,
    )
    assert outcome.code == 1
    assert "is not on main" in outcome.stdout


def test_an_unknown_commit_is_refused(history: History, tmp_path: Path) -> None:
    outcome = resolve(history, tmp_path, EVENT_NAME="workflow_dispatch", INPUT_ENVIRONMENT="dev", INPUT_SHA="deadbeef")
    assert outcome.code == 1
    assert outcome.outputs == {}
    assert "commit deadbeef is not in this repository" in outcome.stdout


@pytest.mark.parametrize(
    "given", ["main", "HEAD~1", "abc", "0" * 41, "abc1234\n::add-mask::x", "abc1234; rm -rf /", "--all"]
)
def test_anything_but_a_commit_id_is_refused_without_being_echoed(history: History, tmp_path: Path, given: str) -> None:
    outcome = resolve(history, tmp_path, EVENT_NAME="workflow_dispatch", INPUT_ENVIRONMENT="dev", INPUT_SHA=given)
    assert outcome.code == 1
    assert outcome.outputs == {}
    assert "the sha input must be a commit id: 7 to 40 hexadecimal digits" in outcome.stdout
    assert given not in outcome.stdout


@pytest.mark.parametrize("environment", ["staging", "", "prod\n::set-output name=x::y"])
def test_an_unknown_environment_is_refused(history: History, tmp_path: Path, environment: str) -> None:
    outcome = resolve(history, tmp_path, EVENT_NAME="workflow_dispatch", INPUT_ENVIRONMENT=environment)
    assert outcome.code == 1
    assert outcome.outputs == {}
    assert "the environment input must be dev or prod" in outcome.stdout


def test_any_other_event_is_refused(history: History, tmp_path: Path) -> None:
    outcome = resolve(history, tmp_path, EVENT_NAME="pull_request")
    assert outcome.code == 1
    assert "runs on push and workflow_dispatch only" in outcome.stdout


def test_a_checkout_without_main_says_to_fetch_the_history(history: History, tmp_path: Path) -> None:
    shallow = tmp_path / "shallow"
    shutil.copytree(history.checkout, shallow)
    git(shallow, "update-ref", "-d", "refs/remotes/origin/main")
    outcome = run_script("resolve_release.sh", shallow, tmp_path, EVENT_NAME="push", GITHUB_SHA=history.head)
    assert outcome.code == 1
    assert "origin/main is not in this checkout: check out with fetch-depth: 0" in outcome.stdout


VALID_ROLE = "arn:aws:iam::123456789012:role/github-deploy-hestia-sync-dev"


@pytest.mark.parametrize(
    ("role", "region", "missing"),
    [
        (VALID_ROLE, "eu-west-1", set()),
        ("", "eu-west-1", {"AWS_DEPLOY_ROLE_ARN"}),
        ("github-deploy-hestia-sync-dev", "eu-west-1", {"AWS_DEPLOY_ROLE_ARN"}),
        (VALID_ROLE, "", {"AWS_REGION"}),
        (VALID_ROLE, "Ireland", {"AWS_REGION"}),
        ("", "", {"AWS_DEPLOY_ROLE_ARN", "AWS_REGION"}),
    ],
)
def test_missing_deploy_variables_are_named_with_where_to_set_them(
    tmp_path: Path, role: str, region: str, missing: set[str]
) -> None:
    outcome = run_script(
        "check_deploy_settings.sh", tmp_path, tmp_path, DEPLOY_ENV="prod", ROLE_ARN=role, REGION=region
    )
    assert outcome.code == (1 if missing else 0), outcome.stdout
    named = {name for name in ("AWS_DEPLOY_ROLE_ARN", "AWS_REGION") if f"Set the variable {name}" in outcome.stdout}
    assert named == missing
    if missing:
        assert "the GitHub environment 'prod'" in outcome.stdout


@pytest.fixture(scope="module")
def applied_state(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A configuration without providers, applied to a local state: terraform needs no network for it."""
    terraform = shutil.which("terraform")
    if terraform is None:
        pytest.skip("terraform is not installed here (install Terraform >= 1.11 to run this test)")
    workdir = tmp_path_factory.mktemp("outputs")
    (workdir / "main.tf").write_text(
        'output "cluster_name" { value = "hestia-sync-dev" }\n'
        'output "job_network_configuration" {\n'
        '  value = jsonencode({ awsvpcConfiguration = { subnets = ["subnet-1", "subnet-2"] } })\n'
        "}\n"
        'output "multi_line" { value = "one\\ntwo" }\n',
        encoding="utf-8",
    )
    env = {**os.environ, "CHECKPOINT_DISABLE": "1", "TF_IN_AUTOMATION": "1", "TF_INPUT": "0"}
    env.pop("TF_CLI_CONFIG_FILE", None)
    for command in (["init", "-no-color"], ["apply", "-no-color", "-auto-approve"]):
        result = subprocess.run(
            [terraform, *command], cwd=workdir, env=env, capture_output=True, text=True, timeout=120, check=False
        )
        assert result.returncode == 0, result.stdout + result.stderr
    return workdir


def read_outputs(state: Path, tmp_path: Path, *names: str) -> Outcome:
    return run_script(
        "terraform_outputs.sh", tmp_path, tmp_path, *names, TF_DIR=str(state), DEPLOY_ENV="dev", CHECKPOINT_DISABLE="1"
    )


def test_terraform_outputs_become_step_outputs(applied_state: Path, tmp_path: Path) -> None:
    outcome = read_outputs(applied_state, tmp_path, "cluster_name", "job_network_configuration")
    assert outcome.code == 0, outcome.stdout
    assert outcome.outputs == {
        "cluster_name": "hestia-sync-dev",
        "job_network_configuration": '{"awsvpcConfiguration":{"subnets":["subnet-1","subnet-2"]}}',
    }


def test_a_missing_terraform_output_is_named(applied_state: Path, tmp_path: Path) -> None:
    outcome = read_outputs(applied_state, tmp_path, "cluster_name", "helper_service_name")
    assert outcome.code == 1
    assert "Could not read the output helper_service_name from the state of dev" in outcome.stdout
    assert outcome.outputs == {"cluster_name": "hestia-sync-dev"}


def test_a_multi_line_terraform_output_is_refused(applied_state: Path, tmp_path: Path) -> None:
    outcome = read_outputs(applied_state, tmp_path, "multi_line")
    assert outcome.code == 1
    assert "The output multi_line spans several lines" in outcome.stdout
    assert outcome.outputs == {}
