"""What the workflows run, checked against the Makefile, the Terraform configuration and the docs they rely on."""

from __future__ import annotations

import re
import shlex
from pathlib import Path

import hcl2
import pytest

from tests.ci.support import REPO, SCRIPTS, TF_DIR, Step, jobs, load, make_calls, run_make, steps, triggers

SHA = "0123456789abcdef0123456789abcdef01234567"
DOCKERFILES = {"docker/job.Dockerfile", "docker/helper.Dockerfile"}


def make_targets(workflow: str) -> set[str]:
    return {target for step in steps(workflow) for targets, _ in make_calls(step.run) for target in targets}


def terraform_outputs_defined() -> set[str]:
    with (TF_DIR / "outputs.tf").open(encoding="utf-8") as handle:
        parsed = hcl2.load(handle)
    return {name.strip('"') for block in parsed.get("output", []) for name in block}


def outputs_read(step: Step) -> list[str]:
    words = shlex.split(step.run)
    assert words[:2] == ["bash", ".github/scripts/terraform_outputs.sh"], step.where
    return words[2:]


def step_named(workflow: str, job: str, pattern: str) -> Step:
    found = [step for step in steps(workflow, job) if re.search(pattern, step.run or step.uses)]
    assert len(found) == 1, f"{workflow} job {job}: expected one step matching {pattern!r}, found {len(found)}"
    return found[0]


def position(workflow: str, job: str, pattern: str) -> int:
    return step_named(workflow, job, pattern).index


@pytest.mark.parametrize("workflow", ["ci.yml", "deploy.yml", "soak.yml"])
def test_every_make_target_the_workflows_call_exists(workflow: str) -> None:
    targets = make_targets(workflow)
    assert targets
    for target in sorted(targets):
        result = run_make(target, "TF_ENV=dev", f"JOB_IMAGE_TAG={SHA}", f"HELPER_IMAGE_TAG={SHA}")
        assert result.returncode == 0, f"make {target}: {result.stderr}"


def test_ci_runs_lint_types_tests_dockerfile_lint_checkov_and_terraform_checks() -> None:
    assert {"lint", "typecheck", "test", "docker-lint", "checkov", "ci-terraform"} <= make_targets("ci.yml")
    terraform = run_make("ci-terraform").stdout
    assert re.search(r"terraform fmt -check -recursive", terraform)
    assert re.search(r"terraform -chdir=\S+ init -backend=false", terraform)
    assert re.search(r"terraform -chdir=\S+ validate", terraform)


def test_ci_test_job_gives_the_terraform_tests_their_provider_before_make_test() -> None:
    assert position("ci.yml", "test", r"make ci-tf-mirror") < position("ci.yml", "test", r"make test\b")
    assert any(step.uses_action("hashicorp/setup-terraform") for step in steps("ci.yml", "test"))


def test_ci_builds_both_images_without_pushing_and_caches_layers_in_github_actions() -> None:
    images = jobs("ci.yml")["images"]
    (build,) = [step for step in steps("ci.yml", "images") if step.uses_action("docker/build-push-action")]
    files = {
        build.with_["file"].replace("${{ matrix.image }}", image) for image in images["strategy"]["matrix"]["image"]
    }
    assert files == DOCKERFILES
    assert all((REPO / file).is_file() for file in files)
    assert build.with_["push"] is False
    assert build.with_["context"] == "."
    assert build.with_["cache-from"].startswith("type=gha")
    assert build.with_["cache-to"].startswith("type=gha")


def test_ci_caches_dependencies_keyed_on_the_lock_file() -> None:
    keys = [
        step.with_["key"]
        for step in steps("ci.yml")
        if step.uses_action("actions/cache") or step.uses_action("actions/cache/restore")
    ]
    assert keys
    assert all("hashFiles('uv.lock')" in key or "hashFiles('mk/infra.mk')" in key for key in keys), keys


def test_deploy_runs_on_main_and_by_hand_with_an_environment_and_an_optional_commit() -> None:
    on = triggers("deploy.yml")
    assert on["push"] == {"branches": ["main"]}
    inputs = on["workflow_dispatch"]["inputs"]
    assert inputs["environment"]["type"] == "choice"
    assert inputs["sha"]["required"] is False
    for environment in inputs["environment"]["options"]:
        assert (TF_DIR / "environments" / f"{environment}.tfvars").is_file()
        assert (TF_DIR / "environments" / f"{environment}.s3.tfbackend").is_file()
    assert set(inputs["environment"]["options"]) == {"dev", "prod"}


def test_deploy_checks_out_the_resolved_commit_with_the_history_needed_to_check_it() -> None:
    (resolve_checkout,) = [step for step in steps("deploy.yml", "resolve") if step.uses_action("actions/checkout")]
    assert resolve_checkout.with_["fetch-depth"] == 0
    assert (SCRIPTS / "resolve_release.sh").is_file()
    for job in ("release", "apply"):
        (checkout,) = [step for step in steps("deploy.yml", job) if step.uses_action("actions/checkout")]
        assert checkout.with_["ref"] == "${{ needs.resolve.outputs.sha }}"
        assert jobs("deploy.yml")[job]["needs"] in ("resolve", ["resolve", "release"])


def test_deploy_pushes_both_images_tagged_with_the_commit_without_a_build_cache() -> None:
    builds = [step for step in steps("deploy.yml", "release") if step.uses_action("docker/build-push-action")]
    assert {step.with_["file"] for step in builds} == DOCKERFILES
    for step in builds:
        assert step.with_["push"] is True
        assert step.with_["tags"].endswith(":${{ needs.resolve.outputs.sha }}"), step.where
        assert "cache-from" not in step.with_, f"{step.where}: a release is built from its sources alone"
        assert position("deploy.yml", "release", r"Log in to ECR|docker login") < step.index


def test_deploy_reads_only_terraform_outputs_the_configuration_defines() -> None:
    defined = terraform_outputs_defined()
    readers = [step for step in steps("deploy.yml") if "terraform_outputs.sh" in step.run]
    assert readers
    for step in readers:
        names = outputs_read(step)
        assert set(names) <= defined, f"{step.where} reads outputs outside outputs.tf: {set(names) - defined}"
        used = set(re.findall(rf"steps\.{step.body['id']}\.outputs\.(\w+)", str(load("deploy.yml"))))
        assert used <= set(names), f"{step.where}: later steps use outputs it does not read: {used - set(names)}"


def test_deploy_plans_with_the_environments_files_and_applies_exactly_that_plan() -> None:
    init = run_make("tf-init", "TF_ENV=prod").stdout
    assert "-backend-config=environments/prod.s3.tfbackend" in init
    plan = run_make("tf-plan", "TF_ENV=prod", f"JOB_IMAGE_TAG={SHA}", f"HELPER_IMAGE_TAG={SHA}").stdout
    assert "-var-file=environments/prod.tfvars" in plan
    assert f"-var job_image_tag={SHA}" in plan
    assert f"-var helper_image_tag={SHA}" in plan
    out = re.search(r"-out=(\S+)", plan)
    assert out
    apply = run_make("tf-apply", "TF_ENV=prod").stdout
    assert re.search(rf"terraform -chdir=\S+ apply {re.escape(out.group(1))}\b", apply)

    (upload,) = [step for step in steps("deploy.yml", "release") if step.uses_action("actions/upload-artifact")]
    (download,) = [step for step in steps("deploy.yml", "apply") if step.uses_action("actions/download-artifact")]
    plan_file = "infra/terraform/" + out.group(1).replace("prod", "${{ needs.resolve.outputs.environment }}")
    assert upload.with_["path"] == plan_file
    assert download.with_["name"] == upload.with_["name"]
    assert download.with_["path"] == str(Path(plan_file).parent)


def test_deploy_makes_the_plan_with_both_image_tags_set_to_the_commit() -> None:
    (plan,) = [
        (targets, variables)
        for step in steps("deploy.yml", "release")
        for targets, variables in make_calls(step.run)
        if "tf-plan" in targets
    ]
    assert plan[1]["JOB_IMAGE_TAG"] == plan[1]["HELPER_IMAGE_TAG"] == "$DEPLOY_SHA"
    assert jobs("deploy.yml")["release"]["env"]["DEPLOY_SHA"] == "${{ needs.resolve.outputs.sha }}"


def test_after_the_apply_the_deploy_waits_for_the_helper_then_runs_the_job_with_check() -> None:
    applied = position("deploy.yml", "apply", r"make tf-apply")
    stable = position("deploy.yml", "apply", r"aws ecs wait services-stable")
    check = position("deploy.yml", "apply", r"run_job_check\.sh")
    assert applied < stable < check
    script = (SCRIPTS / "run_job_check.sh").read_text(encoding="utf-8")
    assert 'command: ["check"]' in script
    assert "aws ecs wait tasks-stopped" in script


def test_the_github_deploy_docs_name_every_variable_the_workflows_read() -> None:
    docs = (REPO / "docs" / "github-actions.md").read_text(encoding="utf-8")
    variables = set(re.findall(r"vars\.(\w+)", str(load("deploy.yml")) + str(load("ci.yml"))))
    assert variables == {"AWS_DEPLOY_ROLE_ARN", "AWS_REGION"}
    for name in variables:
        assert f"`{name}`" in docs, f"docs/github-actions.md does not name {name}"
    assert "sts:AssumeRoleWithWebIdentity" in docs
    assert "token.actions.githubusercontent.com:sub" in docs


def test_ci_audits_the_locked_dependencies_strictly_and_locally_unchecked_pins_are_said_not_hidden() -> None:
    step = step_named("ci.yml", "audit", r"make audit")
    assert "AUDIT_STRICT=1" in step.run
    strict = run_make("audit", "AUDIT_STRICT=1")
    assert strict.returncode == 0, strict.stderr
    assert "--strict" in strict.stdout
    assert "export --frozen" in strict.stdout
    local = run_make("audit")
    assert "--strict" not in local.stdout
    assert "were NOT checked" in local.stdout
