"""Properties of the Terraform configuration read straight from the HCL (python-hcl2): no terraform needed."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.infra.support import (
    MODULES_DIR,
    PROVIDER_VERSION,
    TF_DIR,
    Configuration,
    all_configurations,
    load_configuration,
    load_hcl,
    module_directories,
)

JOB_SECRETS = {"URI_BANCO_1", "URI_BANCO_2", "HELPER_API_TOKEN"}
HELPER_SECRETS = {"HELPER_API_TOKENS", "HELPER_DATABASE_URL"}
ENVIRONMENTS = ("dev", "prod")

# Actions with no resource-level permissions in IAM: "*" is the only resource AWS accepts for them.
UNSCOPEABLE_ACTIONS = {
    "ecr:GetAuthorizationToken",
    "ec2:DescribeSecurityGroups",
    "ec2:DescribeSecurityGroupRules",
    "ec2:DescribeVpcs",
    "ec2:DescribeSubnets",
    "ec2:DescribeNetworkInterfaces",
    "ecs:DescribeTaskDefinition",
    "ecs:RegisterTaskDefinition",
    "ecs:DeregisterTaskDefinition",
    "kms:ListAliases",
    "kms:CreateKey",
    "logs:DescribeLogGroups",
    "servicediscovery:GetOperation",
    "servicediscovery:ListNamespaces",
    "servicediscovery:CreatePrivateDnsNamespace",
    "route53:ListHostedZonesByName",
    "route53:CreateHostedZone",
}


def module(name: str) -> Configuration:
    return load_configuration(MODULES_DIR / name)


def walk(value: Any, key: str) -> Iterator[Any]:
    """Every value stored under `key`, at any depth."""
    if isinstance(value, dict):
        for k, v in value.items():
            if k == key:
                yield v
            yield from walk(v, key)
    elif isinstance(value, list):
        for item in value:
            yield from walk(item, key)


def identity_policy_statements() -> Iterator[tuple[str, dict[str, Any]]]:
    """Statements of every IAM policy document that is not a resource policy (no principals)."""
    for config in all_configurations():
        for (kind, name), body in config.data.items():
            if kind != "aws_iam_policy_document":
                continue
            for statement in body["statement"]:
                if "principals" not in statement:
                    yield f"{config.directory.name}.{name}", statement


def satisfies(version: str, constraint: str) -> bool:
    """Whether a version meets a Terraform version constraint (=, !=, >, >=, <, <=, ~>)."""

    def parts(text: str) -> tuple[int, ...]:
        return tuple(int(p) for p in text.split("."))

    wanted = parts(version)
    for clause in (c.strip() for c in constraint.split(",")):
        match = re.fullmatch(r"(~>|>=|<=|!=|=|>|<)?\s*([0-9.]+)", clause)
        assert match, f"cannot read constraint clause {clause!r}"
        op, bound_text = match.group(1) or "=", match.group(2)
        bound = parts(bound_text)
        padded = wanted[: len(bound)] + (0,) * max(0, len(bound) - len(wanted))
        if op == "~>":
            ok = padded >= bound and wanted[: len(bound) - 1] == bound[:-1]
        else:
            ok = {
                "=": padded == bound,
                "!=": padded != bound,
                ">": padded > bound,
                ">=": padded >= bound,
                "<": padded < bound,
                "<=": padded <= bound,
            }[op]
        if not ok:
            return False
    return True


################################################################################
# Layout and conventions
################################################################################


@pytest.mark.parametrize("directory", module_directories(), ids=lambda p: p.name)
def test_every_module_has_main_variables_outputs_and_versions(directory: Path) -> None:
    assert {p.name for p in directory.glob("*.tf")} >= {"main.tf", "variables.tf", "outputs.tf", "versions.tf"}


@pytest.mark.parametrize("config", all_configurations(), ids=lambda c: c.directory.name)
def test_every_variable_is_typed_and_described_and_every_output_described(config: Configuration) -> None:
    untyped = [n for n, v in config.variables.items() if not v.get("type") or not v.get("description")]
    undescribed = [n for n, o in config.outputs.items() if not o.get("description")]
    assert untyped == []
    assert undescribed == []


@pytest.mark.parametrize("config", all_configurations(), ids=lambda c: c.directory.name)
def test_aws_provider_constraint_admits_the_mirrored_version_and_not_the_next_major(config: Configuration) -> None:
    (block,) = config.terraform
    constraint = block["required_providers"][0]["aws"]["version"]
    assert satisfies(PROVIDER_VERSION, constraint), constraint
    assert not satisfies("6.0.0", constraint), constraint


def test_version_constraint_reader_refuses_versions_outside_the_range() -> None:
    assert satisfies("5.100.0", "~> 5.100")
    assert not satisfies("5.99.1", "~> 5.100")
    assert not satisfies("6.0.0", ">= 5.100, < 6.0")


################################################################################
# State and environments
################################################################################


def test_root_backend_is_s3_configured_from_a_file() -> None:
    (block,) = load_configuration(TF_DIR).terraform
    assert block["backend"] == [{"s3": {}}]


@pytest.mark.parametrize("environment", ENVIRONMENTS)
def test_each_environment_has_an_s3_backend_with_locking(environment: str) -> None:
    backend = load_hcl(TF_DIR / "environments" / f"{environment}.s3.tfbackend")
    assert backend["use_lockfile"] is True
    assert backend["encrypt"] is True
    assert backend["bucket"]
    assert backend["key"].startswith(f"{environment}/")
    assert "dynamodb_table" not in backend, "the S3 lock file replaces the DynamoDB table"


@pytest.mark.parametrize("environment", ENVIRONMENTS)
def test_each_environment_file_names_its_environment_and_leaves_image_tags_to_the_deploy(environment: str) -> None:
    values = load_hcl(TF_DIR / "environments" / f"{environment}.tfvars")
    backend = load_hcl(TF_DIR / "environments" / f"{environment}.s3.tfbackend")
    assert values["environment"] == environment
    assert "job_image_tag" not in values
    assert "helper_image_tag" not in values
    assert values["state_bucket_name"] == backend["bucket"]
    assert values["state_key"] == backend["key"]


def test_root_variables_other_engineers_rely_on() -> None:
    variables = load_configuration(TF_DIR).variables
    assert variables["job_image_tag"]["type"] == "string"
    assert "default" not in variables["job_image_tag"]
    assert variables["helper_image_tag"]["type"] == "string"
    assert "default" not in variables["helper_image_tag"]
    assert variables["schedule_expression"]["default"] == "rate(10 minutes)"
    assert '["dev", "prod"]' in variables["environment"]["validation"][0]["condition"]
    assert {"vpc_id", "private_subnet_ids"} <= variables.keys()
    assert "deploy_role_arn" in load_configuration(TF_DIR).outputs


################################################################################
# Schedule
################################################################################


def test_schedule_starts_the_job_task_definition_on_the_cluster_every_ten_minutes() -> None:
    root = load_configuration(TF_DIR).modules["schedule"]
    assert root["schedule_expression"] == "${var.schedule_expression}"
    assert root["task_definition_arn"] == "${module.job.task_definition_arn}"
    assert root["cluster_arn"] == "${module.cluster.arn}"
    schedule = module("schedule")
    assert schedule.variables["schedule_expression"]["default"] == "rate(10 minutes)"
    (target,) = schedule.resource("aws_scheduler_schedule", "this")["target"]
    assert target["arn"] == "${var.cluster_arn}"
    (ecs,) = target["ecs_parameters"]
    assert ecs["task_definition_arn"] == "${var.task_definition_arn}"
    assert ecs["launch_type"] == "FARGATE"
    assert ecs["task_count"] == 1


def test_schedule_gives_up_on_a_launch_before_the_next_run_and_keeps_it_in_a_dlq() -> None:
    schedule = module("schedule")
    (target,) = schedule.resource("aws_scheduler_schedule", "this")["target"]
    (retry,) = target["retry_policy"]
    assert retry["maximum_event_age_in_seconds"] == "${var.maximum_event_age_seconds}"
    assert schedule.variables["maximum_event_age_seconds"]["default"] <= 600
    assert schedule.variables["maximum_retry_attempts"]["default"] <= 5
    assert target["dead_letter_config"] == [{"arn": "${aws_sqs_queue.dead_letter.arn}"}]
    assert load_configuration(TF_DIR).variables["schedule_maximum_event_age_seconds"]["default"] <= 600


################################################################################
# Secrets
################################################################################


def test_secret_values_never_appear_in_the_configuration() -> None:
    for config in all_configurations():
        kinds = {kind for kind, _ in config.resources}
        assert "aws_secretsmanager_secret_version" not in kinds, config.directory.name
        for attribute in ("secret_string", "secret_string_wo", "secret_binary"):
            assert list(walk(list(config.resources.values()), attribute)) == [], config.directory.name


def test_all_five_secrets_exist_and_each_task_gets_exactly_its_own() -> None:
    root = load_configuration(TF_DIR)
    assert set(root.locals["job_secrets"]) == JOB_SECRETS
    assert set(root.locals["helper_secrets"]) == HELPER_SECRETS
    assert root.modules["secrets"]["secret_names"] == "${concat(local.job_secrets, local.helper_secrets)}"
    assert "local.job_secrets" in root.modules["job"]["secret_arns"]
    assert "local.helper_secrets" in root.modules["helper"]["secret_arns"]
    for name, secrets in (("job", JOB_SECRETS), ("helper", HELPER_SECRETS)):
        condition = module(name).variables["secret_arns"]["validation"][0]["condition"]
        assert set(re.findall(r'"([A-Z0-9_]+)"', condition)) == secrets


@pytest.mark.parametrize("name", ["job", "helper"])
def test_tasks_take_secrets_from_secrets_manager_and_never_as_plain_environment(name: str) -> None:
    config = module(name)
    assert config.locals["secrets"] == (
        "${[for name in sort(keys(var.secret_arns)) : {name = name, valueFrom = var.secret_arns[name]}]}"
    )
    plain = {entry["name"] for entry in config.locals["environment"]}
    assert plain.isdisjoint(JOB_SECRETS | HELPER_SECRETS)
    definitions = config.resource("aws_ecs_task_definition", "this")["container_definitions"]
    assert re.search(r"\bsecrets\s*=\s*local\.secrets\b", definitions)
    assert re.search(r"\benvironment\s*=\s*local\.environment\b", definitions)


def test_secrets_are_encrypted_with_the_environments_key() -> None:
    (secret,) = [body for _, body in module("secrets").of_type("aws_secretsmanager_secret")]
    assert secret["kms_key_id"] == "${var.kms_key_arn}"


################################################################################
# Network
################################################################################


def test_nothing_accepts_ingress_from_a_cidr_only_from_the_jobs_security_group() -> None:
    ingress_rules = []
    for config in all_configurations():
        assert not list(config.of_type("aws_security_group_rule")), "use aws_vpc_security_group_*_rule resources"
        for _, group in config.of_type("aws_security_group"):
            assert "ingress" not in group
        ingress_rules += [body for _, body in config.of_type("aws_vpc_security_group_ingress_rule")]
    assert ingress_rules, "the helper needs its ingress rule"
    for rule in ingress_rules:
        assert rule["referenced_security_group_id"] == "${aws_security_group.job.id}"
        assert not {"cidr_ipv4", "cidr_ipv6", "prefix_list_id"} & rule.keys()


def test_the_only_egress_open_to_anywhere_is_https_to_aws_apis() -> None:
    network = module("network")
    for name, rule in network.of_type("aws_vpc_security_group_egress_rule"):
        if rule.get("cidr_ipv4") == "${var.aws_api_cidr_block}":
            assert (rule["from_port"], rule["to_port"]) == (443, 443), name
        else:
            assert "referenced_security_group_id" in rule or rule["cidr_ipv4"] == "${each.value.cidr}", name
    for name in ("database_cidr_blocks", "helper_database_cidr_blocks"):
        assert '!= "0.0.0.0/0"' in network.variables[name]["validation"][0]["condition"]


def test_no_task_gets_a_public_ip() -> None:
    values = [v for config in all_configurations() for v in walk(list(config.resources.values()), "assign_public_ip")]
    assert len(values) == 2, "the helper's service and the job's schedule each set assign_public_ip"
    assert values == [False, False]


def test_helper_runs_two_tasks_with_rollback_health_check_graceful_stop_and_a_private_name() -> None:
    helper = module("helper")
    service = helper.resource("aws_ecs_service", "this")
    assert helper.variables["desired_count"]["default"] >= 2
    assert "var.desired_count >= 2" in helper.variables["desired_count"]["validation"][0]["condition"]
    assert service["deployment_circuit_breaker"] == [{"enable": True, "rollback": True}]
    assert service["service_registries"][0]["registry_arn"] == "${aws_service_discovery_service.this.arn}"
    (postcondition,) = service["lifecycle"][0]["postcondition"]
    assert "self.task_definition == aws_ecs_task_definition.this.arn" in postcondition["condition"], (
        "a circuit-breaker rollback must fail the apply"
    )
    definitions = helper.resource("aws_ecs_task_definition", "this")["container_definitions"]
    assert "/app/healthcheck.py" in definitions
    assert "healthCheck" in definitions
    assert "stopTimeout = var.stop_timeout_seconds" in definitions
    root = load_configuration(TF_DIR)
    assert root.modules["job"]["helper_api_url"] == "${module.helper.url}"


################################################################################
# IAM
################################################################################


def statement_map(config: Configuration, policy: str) -> dict[str, tuple[set[str], Any]]:
    return {s["sid"]: (set(s["actions"]), s["resources"]) for s in config.policy(policy)}


def test_execution_role_pulls_two_images_reads_exactly_the_secrets_and_writes_two_log_groups() -> None:
    assert statement_map(module("iam"), "execution") == {
        "EcrLogin": ({"ecr:GetAuthorizationToken"}, ["*"]),
        "PullTheTwoImages": (
            {"ecr:BatchCheckLayerAvailability", "ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer"},
            "${var.repository_arns}",
        ),
        "ReadTheTaskSecrets": ({"secretsmanager:GetSecretValue"}, "${var.secret_arns}"),
        "DecryptTheSecretsThroughSecretsManager": ({"kms:Decrypt"}, ["${var.kms_key_arn}"]),
        "WriteTheTwoLogGroups": (
            {"logs:CreateLogStream", "logs:PutLogEvents"},
            '${[for arn in var.log_group_arns : "${arn}:log-stream:*"]}',
        ),
    }
    root = load_configuration(TF_DIR).modules["iam"]
    assert root["secret_arns"] == "${values(module.secrets.arns)}"
    assert root["repository_arns"] == "${[for r in module.registry : r.repository_arn]}"
    assert root["log_group_arns"] == [
        "${module.observability.job_log_group_arn}",
        "${module.observability.helper_log_group_arn}",
    ]


def test_task_roles_carry_no_permissions() -> None:
    iam = module("iam")
    policies = [body for _, body in iam.of_type("aws_iam_role_policy")]
    assert [p["role"] for p in policies] == ["${aws_iam_role.execution.id}"]
    assert not list(iam.of_type("aws_iam_role_policy_attachment"))
    for role in ("job_task", "helper_task"):
        assert "managed_policy_arns" not in iam.resource("aws_iam_role", role)
        assert "inline_policy" not in iam.resource("aws_iam_role", role)


def test_scheduler_role_runs_only_the_job_family_on_the_cluster_and_passes_only_its_roles() -> None:
    schedule = module("schedule")
    assert statement_map(schedule, "permissions") == {
        "RunTheJobTaskOnTheCluster": ({"ecs:RunTask"}, ["${local.task_definition_family_arn}"]),
        "PassTheJobRolesToEcs": ({"iam:PassRole"}, "${var.pass_role_arns}"),
        "RecordFailedStarts": ({"sqs:SendMessage"}, ["${aws_sqs_queue.dead_letter.arn}"]),
    }
    assert schedule.locals["task_definition_family_arn"].endswith(":task-definition/${var.task_definition_family}:*")
    run_task, pass_role, _ = schedule.policy("permissions")
    assert run_task["condition"] == [{"test": "ArnEquals", "variable": "ecs:cluster", "values": ["${var.cluster_arn}"]}]
    assert pass_role["condition"] == [
        {"test": "StringEquals", "variable": "iam:PassedToService", "values": ["ecs-tasks.amazonaws.com"]}
    ]
    root = load_configuration(TF_DIR).modules["schedule"]
    assert root["pass_role_arns"] == ["${module.iam.execution_role_arn}", "${module.iam.job_task_role_arn}"]
    assert root["task_definition_family"] == "${module.job.task_definition_family}"


def test_identity_policies_use_star_resources_only_for_unscopeable_actions() -> None:
    checked = 0
    for where, statement in identity_policy_statements():
        checked += 1
        actions = set(statement["actions"])
        assert not [a for a in actions if "*" in a], f"{where} {statement.get('sid')} uses an action wildcard"
        if statement["resources"] == ["*"]:
            assert actions <= UNSCOPEABLE_ACTIONS, f"{where} {statement.get('sid')}: {actions - UNSCOPEABLE_ACTIONS}"
    assert checked >= 20


def test_key_policy_lets_only_the_account_and_the_log_and_alarm_services_use_the_key() -> None:
    statements = module("kms").policy("key")
    principals = {s["sid"]: s["principals"][0]["identifiers"] for s in statements}
    assert principals == {
        "AccountAdministersKeyThroughIam": ["${local.account_root}"],
        "LogsEncryptTheEnvironmentsLogGroups": ["logs.${var.region}.amazonaws.com"],
        "CloudWatchAlarmsPublishToTheEncryptedTopic": ["cloudwatch.amazonaws.com"],
    }
    assert all("condition" in s for s in statements[1:]), "service principals must be bound to this account's use"


def test_deploy_role_trusts_only_the_repositorys_environment_tokens_for_sts() -> None:
    (statement,) = module("github_oidc").policy("assume")
    assert statement["actions"] == ["sts:AssumeRoleWithWebIdentity"]
    conditions = {c["variable"]: (c["test"], c["values"]) for c in statement["condition"]}
    assert conditions == {
        "${local.oidc_host}:aud": ("StringEquals", ["sts.amazonaws.com"]),
        "${local.oidc_host}:sub": (
            "StringEquals",
            ["repo:${var.github_repository}:environment:${var.github_environment}"],
        ),
    }
    assert module("github_oidc").locals["oidc_host"] == "token.actions.githubusercontent.com"


def test_deploy_role_pushes_only_the_two_repositories_and_never_touches_secret_values() -> None:
    oidc = module("github_oidc")
    push = statement_map(oidc, "push_images")
    assert push["PushTheTwoImages"][1] == "${var.ecr_repository_arns}"
    assert "ecr:PutImage" in push["PushTheTwoImages"][0]
    every_action = {a for _, s in identity_policy_statements() for a in s["actions"]}
    deploy_actions = {
        a
        for name in ("push_images", "terraform_state", "apply_compute", "apply_supporting", "apply_unscopeable")
        for s in oidc.policy(name)
        for a in s["actions"]
    }
    assert "secretsmanager:GetSecretValue" in every_action  # the execution role's
    assert not deploy_actions & {"secretsmanager:GetSecretValue", "secretsmanager:PutSecretValue"}
    assert oidc.locals["role_name"] == "github-deploy-${var.name}"
    assert statement_map(oidc, "apply_compute")["RolesOfTheTasksAndScheduler"][1] == ["${local.managed.roles}"]
    assert oidc.locals["managed"]["roles"].endswith(":role/${var.name}-*")


def test_deploy_role_reaches_exactly_the_state_object_and_its_lock() -> None:
    state = statement_map(module("github_oidc"), "terraform_state")
    assert state["ReadWriteTheState"] == ({"s3:GetObject", "s3:PutObject"}, ["${local.state_object}"])
    assert state["TakeAndReleaseTheLock"] == (
        {"s3:GetObject", "s3:PutObject", "s3:DeleteObject"},
        ["${local.state_lock_object}"],
    )
    assert module("github_oidc").locals["state_lock_object"] == "${local.state_object}.tflock"


################################################################################
# Observability
################################################################################


def test_every_log_group_keeps_logs_for_a_set_time_and_is_encrypted() -> None:
    groups = [body for config in all_configurations() for _, body in config.of_type("aws_cloudwatch_log_group")]
    assert len(groups) == 2
    for group in groups:
        assert group["retention_in_days"] == "${var.log_retention_days}"
        assert group["kms_key_id"] == "${var.kms_key_arn}"
    assert load_configuration(TF_DIR).variables["log_retention_days"]["default"] >= 30


def test_every_alarm_notifies_the_topic_when_it_fires_and_when_it_clears() -> None:
    alarms = dict(module("observability").of_type("aws_cloudwatch_metric_alarm"))
    assert set(alarms) == {
        "no_successful_run",
        "runs_failed",
        "rows_rejected",
        "rows_deferred",
        "run_duration",
        "helper_5xx",
        "helper_latency",
    }
    for name, alarm in alarms.items():
        assert alarm["alarm_actions"] == ["${aws_sns_topic.alarms.arn}"], name
        assert alarm["ok_actions"] == ["${aws_sns_topic.alarms.arn}"], name


def test_no_successful_run_for_thirty_minutes_raises_an_alarm_even_without_any_log() -> None:
    observability = module("observability")
    alarm = observability.resource("aws_cloudwatch_metric_alarm", "no_successful_run")
    assert alarm["period"] == "${var.no_success_window_minutes * 60}"
    assert alarm["evaluation_periods"] == 1
    assert observability.variables["no_success_window_minutes"]["default"] == 30
    assert alarm["treat_missing_data"] == "breaching"
    assert alarm["comparison_operator"] == "LessThanThreshold"
    assert alarm["threshold"] == 1
    assert "runs_succeeded" in alarm["metric_name"]
    succeeded = observability.locals["job_metrics"]["runs_succeeded"]["pattern"]
    assert '$.status = "ok"' in succeeded
    assert '$.status = "partial"' in succeeded
    assert '$.command = "run"' in succeeded  # a hand-run plan is not a sync
    assert observability.locals["run_finished"] == '$.event = "run_finished"'


def test_metric_filters_read_the_fields_of_the_jobs_and_helpers_json_lines() -> None:
    observability = module("observability")
    job = observability.locals["job_metrics"]
    assert {k: (v["metric"], v["value"]) for k, v in job.items() if k.startswith(("rows", "run_"))} == {
        "rows_rejected": ("RowsRejected", "$.rejected"),
        "rows_deferred": ("RowsDeferred", "$.deferred"),
        "run_duration": ("RunDuration", "$.duration_s"),
    }
    assert '$.status = "failed"' in job["runs_failed"]["pattern"]
    assert observability.locals["flow_finished"] == '$.event = "flow_finished"'
    flow_filter = observability.resource("aws_cloudwatch_log_metric_filter", "flow")
    assert flow_filter["metric_transformation"][0]["dimensions"] == {"Flow": "$.flow"}
    helper = observability.locals["helper_metrics"]
    assert helper["latency"]["value"] == "$.duration_ms"
    assert "$.status >= 500" in helper["server_errors"]["pattern"]
    assert observability.locals["request"] == '$.event = "request"'


def test_dashboard_shows_runs_durations_rows_per_flow_rejections_and_the_helper() -> None:
    titles = [w["title"] for w in module("observability").locals["widgets"]]
    assert titles == [
        "Runs",
        "Run duration (s)",
        "Rows inserted per flow",
        "Rows updated per flow",
        "Rejected and deferred rows",
        "Flow duration (s)",
        "Helper latency (ms)",
        "Helper requests and 5xx",
    ]
    assert module("observability").variables["flows"]["default"] == [
        "plans",
        "plan_benefits",
        "students",
        "advertisers",
        "payments",
    ]


################################################################################
# Registry and cluster
################################################################################


def test_registries_are_immutable_scanned_on_push_and_keep_the_last_n_images() -> None:
    registry = module("registry")
    repository = registry.resource("aws_ecr_repository", "this")
    assert repository["image_tag_mutability"] == "IMMUTABLE"
    assert repository["image_scanning_configuration"] == [{"scan_on_push": True}]
    policy = registry.resource("aws_ecr_lifecycle_policy", "this")["policy"]
    assert "imageCountMoreThan" in policy
    assert "var.keep_last_images" in policy
    assert load_configuration(TF_DIR).modules["registry"]["for_each"] == '${toset(["job", "helper"])}'


def test_cluster_has_container_insights() -> None:
    cluster = module("cluster").resource("aws_ecs_cluster", "this")
    assert cluster["setting"] == [{"name": "containerInsights", "value": "enabled"}]


def test_deploy_role_can_run_only_the_job_on_its_cluster_and_follow_that_run() -> None:
    statements = statement_map(module("github_oidc"), "apply_compute")
    assert statements["RunTheJobOnceToCheckTheDeploy"] == (
        {"ecs:RunTask"},
        ["${local.arn}:ecs:${local.r}:${local.a}:task-definition/${var.name}-job:*"],
    )
    assert statements["FollowThatCheckRun"] == (
        {"ecs:DescribeTasks"},
        ["${local.arn}:ecs:${local.r}:${local.a}:task/${var.name}/*"],
    )
    assert statements["ReadTheCheckRunsLog"] == ({"logs:GetLogEvents"}, ["${local.managed.log_groups}:log-stream:*"])
