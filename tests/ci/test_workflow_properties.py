"""The security and hygiene properties both workflows must keep, read from the YAML itself."""

from __future__ import annotations

import re
from collections import defaultdict

import pytest

from tests.ci.support import PINNED_USES, USES_LINE, jobs, load, steps, text, triggers, workflow_files

WORKFLOWS = [path.name for path in workflow_files()]
AWS_CREDENTIALS = "aws-actions/configure-aws-credentials"


def test_the_two_workflows_exist() -> None:
    assert {"ci.yml", "deploy.yml"} <= set(WORKFLOWS)


@pytest.mark.parametrize("workflow", WORKFLOWS)
def test_the_workflow_grants_nothing_by_default(workflow: str) -> None:
    permissions = load(workflow).get("permissions")
    assert permissions == {} or (isinstance(permissions, dict) and set(permissions.values()) <= {"read", "none"}), (
        f"{workflow}: top-level permissions must be {{}} (or read-only), got {permissions!r}"
    )


@pytest.mark.parametrize("workflow", WORKFLOWS)
def test_every_job_states_its_permissions_and_writes_nothing_but_an_oidc_token(workflow: str) -> None:
    for job_id, job in jobs(workflow).items():
        permissions = job.get("permissions")
        assert isinstance(permissions, dict), f"{workflow} job {job_id}: grant permissions per job"
        writes = {scope for scope, level in permissions.items() if level == "write"}
        assert writes <= {"id-token"}, f"{workflow} job {job_id} writes {writes}"


@pytest.mark.parametrize("workflow", WORKFLOWS)
def test_only_jobs_that_assume_the_aws_role_get_an_oidc_token_and_they_run_in_an_environment(workflow: str) -> None:
    for job_id, job in jobs(workflow).items():
        oidc = (job.get("permissions") or {}).get("id-token") == "write"
        assumes_role = any(step.uses_action(AWS_CREDENTIALS) for step in steps(workflow, job_id))
        assert oidc == assumes_role, f"{workflow} job {job_id}: id-token: write exactly where the AWS role is assumed"
        if oidc:
            assert job.get("environment"), f"{workflow} job {job_id} gets an OIDC token outside a GitHub environment"


def test_ci_never_touches_aws() -> None:
    assert not any((job.get("permissions") or {}).get("id-token") for job in jobs("ci.yml").values())


def test_terraform_apply_runs_only_in_a_job_bound_to_the_resolved_environment() -> None:
    appliers = [
        step.job for step in steps("deploy.yml") if re.search(r"\bmake tf-apply\b|\bterraform\b.*\bapply\b", step.run)
    ]
    assert appliers == ["apply"]
    environment = jobs("deploy.yml")["apply"]["environment"]
    assert environment["name"] == "${{ needs.resolve.outputs.environment }}"


@pytest.mark.parametrize("workflow", WORKFLOWS)
def test_no_run_script_expands_an_expression(workflow: str) -> None:
    """`${{ }}` in a script is pasted in before bash parses it: values go through env instead."""
    for step in steps(workflow):
        assert "${{" not in step.run, f"{step.where}: pass the value through env:"


@pytest.mark.parametrize("workflow", WORKFLOWS)
def test_no_secret_is_stored_or_echoed(workflow: str) -> None:
    """OIDC needs no stored secret; a secret added later must reach a step through env, never a script."""
    assert "secrets." not in text(workflow), f"{workflow} uses a repository secret: the deploy needs none (OIDC)"
    for step in steps(workflow):
        assert "aws-access-key-id" not in step.with_, f"{step.where}: no long-lived AWS keys"
        assert not re.search(r"^\s*set\s+-[a-z]*x", step.run, re.MULTILINE), f"{step.where}: xtrace prints values"
        secret_env = [name for name, value in step.env.items() if "secrets." in str(value)]
        for name in secret_env:
            assert not re.search(rf"(echo|printf|cat)\b[^\n]*\${{?{name}\b", step.run), f"{step.where} prints {name}"


@pytest.mark.parametrize("workflow", WORKFLOWS)
def test_no_trigger_runs_untrusted_code_with_the_repositorys_rights(workflow: str) -> None:
    assert not {"pull_request_target", "workflow_run"} & set(triggers(workflow)), workflow


@pytest.mark.parametrize("workflow", WORKFLOWS)
def test_every_job_has_a_timeout_and_a_pinned_runner(workflow: str) -> None:
    for job_id, job in jobs(workflow).items():
        timeout = job.get("timeout-minutes")
        assert isinstance(timeout, int), f"{workflow} job {job_id} has no timeout-minutes"
        assert 0 < timeout <= 90, f"{workflow} job {job_id}: timeout-minutes {timeout}"
        assert re.fullmatch(r"ubuntu-\d\d\.\d\d", str(job.get("runs-on"))), f"{workflow} job {job_id}: pin the image"


@pytest.mark.parametrize("workflow", WORKFLOWS)
def test_every_action_is_pinned_to_a_full_commit_with_its_version(workflow: str) -> None:
    uses = [line for line in text(workflow).splitlines() if USES_LINE.match(line)]
    assert uses
    for line in uses:
        ref = USES_LINE.match(line)
        assert ref is not None
        if ref.group("ref").startswith("./"):
            continue
        assert PINNED_USES.match(line), f"{workflow}: `{line.strip()}` is not owner/repo@<40-hex sha> # vX.Y.Z"


def test_one_action_is_pinned_to_one_commit_across_workflows() -> None:
    pins: dict[str, set[tuple[str, str]]] = defaultdict(set)
    for workflow in WORKFLOWS:
        for line in text(workflow).splitlines():
            match = PINNED_USES.match(line)
            if match:
                repository = "/".join(match.group("action").split("/")[:2])
                pins[repository].add((match.group("sha"), match.group("version")))
    assert pins
    drift = {repository: found for repository, found in pins.items() if len(found) > 1}
    assert not drift, f"one pin per action, so Dependabot and reviewers see one version: {drift}"


@pytest.mark.parametrize("workflow", WORKFLOWS)
def test_every_checkout_leaves_no_credentials_behind(workflow: str) -> None:
    checkouts = [step for step in steps(workflow) if step.uses_action("actions/checkout")]
    assert checkouts
    for step in checkouts:
        assert step.with_.get("persist-credentials") is False, f"{step.where}: persist-credentials: false"


def test_ci_cancels_superseded_runs_of_the_same_branch_or_pull_request() -> None:
    concurrency = load("ci.yml")["concurrency"]
    assert concurrency["cancel-in-progress"] is True
    assert "github.event.pull_request.number" in concurrency["group"]
    assert "github.ref" in concurrency["group"]


def test_deploys_to_one_environment_queue_and_are_never_cancelled() -> None:
    concurrency = load("deploy.yml")["concurrency"]
    assert concurrency["cancel-in-progress"] is False
    assert "inputs.environment" in concurrency["group"]
