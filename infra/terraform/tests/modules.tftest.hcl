# Plans each module on its own with a mocked AWS provider and asserts the properties the issue asks for.
# Run with `terraform test` (tests/infra/test_terraform.py does, from `make test`).

mock_provider "aws" {
  # Mocked computed values (ARNs) are known at plan time, so validations and assertions can see them.
  override_during = plan

  mock_data "aws_iam_policy_document" {
    defaults = { json = "{\"Version\":\"2012-10-17\",\"Statement\":[]}" }
  }
  mock_resource "aws_iam_role" {
    defaults = { arn = "arn:aws:iam::123456789012:role/mocked" }
  }
  mock_resource "aws_sqs_queue" {
    defaults = { arn = "arn:aws:sqs:eu-west-1:123456789012:mocked-dlq" }
  }
  mock_resource "aws_ecs_task_definition" {
    defaults = { arn = "arn:aws:ecs:eu-west-1:123456789012:task-definition/hestia-sync-test-job:7" }
  }
  mock_resource "aws_sns_topic" {
    defaults = { arn = "arn:aws:sns:eu-west-1:123456789012:hestia-sync-test-alarms" }
  }
  mock_resource "aws_cloudwatch_metric_alarm" {
    defaults = { arn = "arn:aws:cloudwatch:eu-west-1:123456789012:alarm:mocked" }
  }
  mock_resource "aws_service_discovery_service" {
    defaults = { arn = "arn:aws:servicediscovery:eu-west-1:123456789012:service/srv-mocked" }
  }
}

variables {
  account_id  = "123456789012"
  region      = "eu-west-1"
  kms_key_arn = "arn:aws:kms:eu-west-1:123456789012:key/00000000-0000-0000-0000-000000000000"
  cluster_arn = "arn:aws:ecs:eu-west-1:123456789012:cluster/hestia-sync-test"
}

################################################################################
# Schedule
################################################################################

run "schedule_starts_one_fargate_task_every_ten_minutes_without_late_retries" {
  command = plan

  module {
    source = "./modules/schedule"
  }

  variables {
    name                   = "hestia-sync-test-job"
    task_definition_arn    = "arn:aws:ecs:eu-west-1:123456789012:task-definition/hestia-sync-test-job:7"
    task_definition_family = "hestia-sync-test-job"
    pass_role_arns         = ["arn:aws:iam::123456789012:role/hestia-sync-test-task-execution", "arn:aws:iam::123456789012:role/hestia-sync-test-job-task"]
    subnet_ids             = ["subnet-0a", "subnet-0b"]
    security_group_ids     = ["sg-0job"]
  }

  assert {
    condition     = aws_scheduler_schedule.this.schedule_expression == "rate(10 minutes)"
    error_message = "The job must run every 10 minutes by default."
  }

  assert {
    condition     = aws_scheduler_schedule.this.flexible_time_window[0].mode == "OFF" && aws_scheduler_schedule.this.state == "ENABLED"
    error_message = "The schedule must fire on time and be enabled."
  }

  assert {
    condition     = aws_scheduler_schedule.this.target[0].arn == var.cluster_arn
    error_message = "The schedule must target the ECS cluster."
  }

  assert {
    condition = (
      aws_scheduler_schedule.this.target[0].ecs_parameters[0].task_definition_arn == var.task_definition_arn
      && aws_scheduler_schedule.this.target[0].ecs_parameters[0].launch_type == "FARGATE"
      && aws_scheduler_schedule.this.target[0].ecs_parameters[0].task_count == 1
    )
    error_message = "The schedule must start one Fargate task of the job's task definition."
  }

  assert {
    condition     = aws_scheduler_schedule.this.target[0].ecs_parameters[0].network_configuration[0].assign_public_ip == false
    error_message = "The job's task must not get a public IP."
  }

  assert {
    condition = (
      aws_scheduler_schedule.this.target[0].retry_policy[0].maximum_event_age_in_seconds <= 600
      && aws_scheduler_schedule.this.target[0].retry_policy[0].maximum_retry_attempts <= 5
    )
    error_message = "Retries must stop within one schedule interval (the default retries for 24 hours)."
  }

  assert {
    condition     = aws_scheduler_schedule.this.target[0].dead_letter_config[0].arn == aws_sqs_queue.dead_letter.arn
    error_message = "Launches that could not start must go to the dead-letter queue."
  }

  assert {
    condition = (
      [for s in data.aws_iam_policy_document.permissions.statement : s.actions] == [toset(["ecs:RunTask"]), toset(["iam:PassRole"]), toset(["sqs:SendMessage"])]
    )
    error_message = "The scheduler role may only run the task, pass its roles and write to its DLQ."
  }

  assert {
    condition     = data.aws_iam_policy_document.permissions.statement[0].resources == toset(["arn:aws:ecs:eu-west-1:123456789012:task-definition/hestia-sync-test-job:*"])
    error_message = "The scheduler role may only run the job's task definition family."
  }

  assert {
    condition     = data.aws_iam_policy_document.permissions.statement[1].resources == toset(var.pass_role_arns)
    error_message = "The scheduler role may only pass exactly the job's roles."
  }
}

run "schedule_expression_is_validated" {
  command = plan

  module {
    source = "./modules/schedule"
  }

  variables {
    name                   = "hestia-sync-test-job"
    schedule_expression    = "every 10 minutes"
    task_definition_arn    = "arn:aws:ecs:eu-west-1:123456789012:task-definition/hestia-sync-test-job:7"
    task_definition_family = "hestia-sync-test-job"
    pass_role_arns         = ["arn:aws:iam::123456789012:role/hestia-sync-test-job-task"]
    subnet_ids             = ["subnet-0a"]
    security_group_ids     = ["sg-0job"]
  }

  expect_failures = [var.schedule_expression]
}

################################################################################
# Job task definition
################################################################################

run "job_task_gets_its_secrets_from_secrets_manager_only" {
  command = plan

  module {
    source = "./modules/job"
  }

  variables {
    family             = "hestia-sync-test-job"
    image              = "123456789012.dkr.ecr.eu-west-1.amazonaws.com/hestia-sync-test-job:0123abc"
    execution_role_arn = "arn:aws:iam::123456789012:role/hestia-sync-test-task-execution"
    task_role_arn      = "arn:aws:iam::123456789012:role/hestia-sync-test-job-task"
    helper_api_url     = "http://helper.hestia-sync-test.internal:5000"
    log_group_name     = "/hestia-sync/test/job"
    secret_arns = {
      URI_BANCO_1      = "arn:aws:secretsmanager:eu-west-1:123456789012:secret:hestia-sync/test/URI_BANCO_1-a"
      URI_BANCO_2      = "arn:aws:secretsmanager:eu-west-1:123456789012:secret:hestia-sync/test/URI_BANCO_2-b"
      HELPER_API_TOKEN = "arn:aws:secretsmanager:eu-west-1:123456789012:secret:hestia-sync/test/HELPER_API_TOKEN-c"
    }
  }

  assert {
    condition = (
      aws_ecs_task_definition.this.requires_compatibilities == toset(["FARGATE"])
      && aws_ecs_task_definition.this.network_mode == "awsvpc"
    )
    error_message = "The job must be a Fargate task in awsvpc mode."
  }

  assert {
    condition = (
      toset([for s in jsondecode(aws_ecs_task_definition.this.container_definitions)[0].secrets : s.name]) == toset(["URI_BANCO_1", "URI_BANCO_2", "HELPER_API_TOKEN"])
      && alltrue([for s in jsondecode(aws_ecs_task_definition.this.container_definitions)[0].secrets : startswith(s.valueFrom, "arn:aws:secretsmanager:")])
    )
    error_message = "URI_BANCO_1, URI_BANCO_2 and HELPER_API_TOKEN must come from Secrets Manager."
  }

  assert {
    condition = (
      length(setintersection(
        toset([for e in jsondecode(aws_ecs_task_definition.this.container_definitions)[0].environment : e.name]),
        toset(["URI_BANCO_1", "URI_BANCO_2", "HELPER_API_TOKEN", "HELPER_API_TOKENS", "HELPER_DATABASE_URL"]),
      )) == 0
    )
    error_message = "No secret may be a plain environment value."
  }

  assert {
    condition     = contains(jsondecode(aws_ecs_task_definition.this.container_definitions)[0].environment, { name = "HELPER_API_URL", value = "http://helper.hestia-sync-test.internal:5000" })
    error_message = "The job must receive the helper's private URL as HELPER_API_URL."
  }

  assert {
    condition     = jsondecode(aws_ecs_task_definition.this.container_definitions)[0].readonlyRootFilesystem == true
    error_message = "The job's root filesystem must be read-only."
  }

  assert {
    condition     = jsondecode(aws_ecs_task_definition.this.container_definitions)[0].logConfiguration.options["awslogs-group"] == "/hestia-sync/test/job"
    error_message = "The job must log to its log group."
  }
}

################################################################################
# Helper service
################################################################################

run "helper_runs_two_private_tasks_with_rollback_and_a_private_name" {
  command = plan

  module {
    source = "./modules/helper"
  }

  variables {
    name               = "hestia-sync-test-helper"
    family             = "hestia-sync-test-helper"
    vpc_id             = "vpc-0123456789abcdef0"
    namespace_name     = "hestia-sync-test.internal"
    image              = "123456789012.dkr.ecr.eu-west-1.amazonaws.com/hestia-sync-test-helper:0123abc"
    subnet_ids         = ["subnet-0a", "subnet-0b"]
    security_group_id  = "sg-0helper"
    execution_role_arn = "arn:aws:iam::123456789012:role/hestia-sync-test-task-execution"
    task_role_arn      = "arn:aws:iam::123456789012:role/hestia-sync-test-helper-task"
    log_group_name     = "/hestia-sync/test/helper"
    secret_arns = {
      HELPER_API_TOKENS   = "arn:aws:secretsmanager:eu-west-1:123456789012:secret:hestia-sync/test/HELPER_API_TOKENS-a"
      HELPER_DATABASE_URL = "arn:aws:secretsmanager:eu-west-1:123456789012:secret:hestia-sync/test/HELPER_DATABASE_URL-b"
    }
  }

  assert {
    condition     = aws_ecs_service.this.desired_count >= 2 && aws_ecs_service.this.launch_type == "FARGATE"
    error_message = "The helper must run at least two Fargate tasks."
  }

  assert {
    condition     = aws_ecs_service.this.network_configuration[0].assign_public_ip == false
    error_message = "Helper tasks must not get public IPs."
  }

  assert {
    condition     = aws_ecs_service.this.deployment_circuit_breaker[0].enable && aws_ecs_service.this.deployment_circuit_breaker[0].rollback
    error_message = "A failing deployment must roll back by itself."
  }

  assert {
    condition     = aws_ecs_service.this.deployment_minimum_healthy_percent == 100
    error_message = "Deployments must keep every healthy task until the new ones are up."
  }

  assert {
    condition     = one(aws_ecs_service.this.service_registries).registry_arn == aws_service_discovery_service.this.arn
    error_message = "Helper tasks must register in Cloud Map."
  }

  assert {
    condition     = output.url == "http://helper.hestia-sync-test.internal:5000"
    error_message = "The helper must be reachable at http://helper.<namespace>:5000."
  }

  assert {
    condition = (
      jsondecode(aws_ecs_task_definition.this.container_definitions)[0].healthCheck.command[0] == "CMD"
      && contains(jsondecode(aws_ecs_task_definition.this.container_definitions)[0].healthCheck.command, "/app/healthcheck.py")
    )
    error_message = "The helper container must be health-checked by the image's /healthz probe."
  }

  assert {
    condition     = jsondecode(aws_ecs_task_definition.this.container_definitions)[0].stopTimeout >= 30
    error_message = "Gunicorn needs time to finish requests after SIGTERM (graceful stop)."
  }

  assert {
    condition     = toset([for s in jsondecode(aws_ecs_task_definition.this.container_definitions)[0].secrets : s.name]) == toset(["HELPER_API_TOKENS", "HELPER_DATABASE_URL"])
    error_message = "The helper's tokens and database URL must come from Secrets Manager."
  }
}

run "helper_refuses_a_single_task" {
  command = plan

  module {
    source = "./modules/helper"
  }

  variables {
    name               = "hestia-sync-test-helper"
    family             = "hestia-sync-test-helper"
    vpc_id             = "vpc-0123456789abcdef0"
    namespace_name     = "hestia-sync-test.internal"
    image              = "123456789012.dkr.ecr.eu-west-1.amazonaws.com/hestia-sync-test-helper:0123abc"
    desired_count      = 1
    subnet_ids         = ["subnet-0a", "subnet-0b"]
    security_group_id  = "sg-0helper"
    execution_role_arn = "arn:aws:iam::123456789012:role/hestia-sync-test-task-execution"
    task_role_arn      = "arn:aws:iam::123456789012:role/hestia-sync-test-helper-task"
    log_group_name     = "/hestia-sync/test/helper"
    secret_arns = {
      HELPER_API_TOKENS   = "arn:aws:secretsmanager:eu-west-1:123456789012:secret:hestia-sync/test/HELPER_API_TOKENS-a"
      HELPER_DATABASE_URL = "arn:aws:secretsmanager:eu-west-1:123456789012:secret:hestia-sync/test/HELPER_DATABASE_URL-b"
    }
  }

  expect_failures = [var.desired_count]
}

################################################################################
# Network
################################################################################

run "helper_accepts_only_the_jobs_security_group" {
  command = plan

  module {
    source = "./modules/network"
  }

  override_resource {
    target          = aws_security_group.job
    override_during = plan
    values          = { id = "sg-0job" }
  }

  override_resource {
    target          = aws_security_group.helper
    override_during = plan
    values          = { id = "sg-0helper" }
  }

  variables {
    name                        = "hestia-sync-test"
    vpc_id                      = "vpc-0123456789abcdef0"
    database_cidr_blocks        = ["203.0.113.10/32", "203.0.113.11/32"]
    database_ports              = [12691, 12692]
    helper_database_cidr_blocks = ["203.0.113.12/32"]
  }

  assert {
    condition     = aws_vpc_security_group_ingress_rule.helper_from_job.referenced_security_group_id == "sg-0job"
    error_message = "The helper must accept traffic from the job's security group, by reference."
  }

  assert {
    condition     = aws_vpc_security_group_ingress_rule.helper_from_job.cidr_ipv4 == null && aws_vpc_security_group_ingress_rule.helper_from_job.cidr_ipv6 == null
    error_message = "The helper's ingress must not use a CIDR."
  }

  assert {
    condition     = aws_vpc_security_group_ingress_rule.helper_from_job.from_port == 5000 && aws_vpc_security_group_ingress_rule.helper_from_job.to_port == 5000
    error_message = "The helper's ingress must be its port only."
  }

  assert {
    condition     = length(aws_vpc_security_group_egress_rule.job_to_databases) == 4
    error_message = "The job needs one egress rule per database address and port."
  }
}

run "databases_cannot_be_the_whole_internet" {
  command = plan

  module {
    source = "./modules/network"
  }

  variables {
    name                        = "hestia-sync-test"
    vpc_id                      = "vpc-0123456789abcdef0"
    database_cidr_blocks        = ["0.0.0.0/0"]
    database_ports              = [12691]
    helper_database_cidr_blocks = ["203.0.113.12/32"]
  }

  expect_failures = [var.database_cidr_blocks]
}

################################################################################
# IAM
################################################################################

run "execution_role_pulls_reads_and_logs_exactly_what_it_is_given" {
  command = plan

  module {
    source = "./modules/iam"
  }

  variables {
    name            = "hestia-sync-test"
    repository_arns = ["arn:aws:ecr:eu-west-1:123456789012:repository/hestia-sync-test-job", "arn:aws:ecr:eu-west-1:123456789012:repository/hestia-sync-test-helper"]
    secret_arns     = ["arn:aws:secretsmanager:eu-west-1:123456789012:secret:hestia-sync/test/URI_BANCO_1-a"]
    log_group_arns  = ["arn:aws:logs:eu-west-1:123456789012:log-group:/hestia-sync/test/job", "arn:aws:logs:eu-west-1:123456789012:log-group:/hestia-sync/test/helper"]
  }

  assert {
    condition = {
      for s in data.aws_iam_policy_document.execution.statement : s.sid => s.resources
      } == {
      EcrLogin                               = toset(["*"])
      PullTheTwoImages                       = toset(var.repository_arns)
      ReadTheTaskSecrets                     = toset(var.secret_arns)
      DecryptTheSecretsThroughSecretsManager = toset([var.kms_key_arn])
      WriteTheTwoLogGroups                   = toset([for a in var.log_group_arns : "${a}:log-stream:*"])
    }
    error_message = "The execution role's resources must be exactly the repositories, secrets, key and log groups."
  }

  assert {
    condition     = one([for s in data.aws_iam_policy_document.execution.statement : s.actions if s.sid == "EcrLogin"]) == toset(["ecr:GetAuthorizationToken"])
    error_message = "Only ecr:GetAuthorizationToken may have Resource \"*\"."
  }

  assert {
    condition     = one([for s in data.aws_iam_policy_document.execution.statement : s.actions if s.sid == "ReadTheTaskSecrets"]) == toset(["secretsmanager:GetSecretValue"])
    error_message = "The execution role may only read secret values."
  }
}

run "image_tag_latest_is_refused" {
  command = plan

  module {
    source = "./modules/job"
  }

  variables {
    family             = "hestia-sync-test-job"
    image              = "123456789012.dkr.ecr.eu-west-1.amazonaws.com/hestia-sync-test-job"
    execution_role_arn = "arn:aws:iam::123456789012:role/x"
    task_role_arn      = "arn:aws:iam::123456789012:role/y"
    helper_api_url     = "http://helper.hestia-sync-test.internal:5000"
    log_group_name     = "/hestia-sync/test/job"
    secret_arns        = { URI_BANCO_1 = "a", URI_BANCO_2 = "b", HELPER_API_TOKEN = "c" }
  }

  expect_failures = [var.image]
}

################################################################################
# Registry, secrets, observability
################################################################################

run "registry_is_immutable_scanned_and_pruned" {
  command = plan

  module {
    source = "./modules/registry"
  }

  variables {
    name             = "hestia-sync-test-job"
    keep_last_images = 25
  }

  assert {
    condition     = aws_ecr_repository.this.image_tag_mutability == "IMMUTABLE" && aws_ecr_repository.this.image_scanning_configuration[0].scan_on_push
    error_message = "Images must be immutable and scanned on push."
  }

  assert {
    condition     = jsondecode(aws_ecr_lifecycle_policy.this.policy).rules[0].selection.countNumber == 25
    error_message = "The lifecycle policy must keep the last N images."
  }
}

run "secrets_are_created_without_values" {
  command = plan

  module {
    source = "./modules/secrets"
  }

  variables {
    name_prefix  = "hestia-sync/test/"
    secret_names = ["URI_BANCO_1", "URI_BANCO_2", "HELPER_API_TOKEN", "HELPER_API_TOKENS", "HELPER_DATABASE_URL"]
  }

  assert {
    condition     = toset([for s in aws_secretsmanager_secret.this : s.name]) == toset([for n in var.secret_names : "hestia-sync/test/${n}"])
    error_message = "Each secret must be named <prefix><SETTING>."
  }

  assert {
    condition     = alltrue([for s in aws_secretsmanager_secret.this : s.kms_key_id == var.kms_key_arn])
    error_message = "Secrets must be encrypted with the environment's key."
  }
}

run "alarms_notify_the_topic_and_logs_are_retained" {
  command = plan

  module {
    source = "./modules/observability"
  }

  variables {
    name             = "hestia-sync-test"
    log_group_prefix = "/hestia-sync/test/"
    metric_namespace = "HestiaSync/test"
  }

  assert {
    condition     = aws_cloudwatch_log_group.job.retention_in_days > 0 && aws_cloudwatch_log_group.helper.retention_in_days > 0
    error_message = "Both log groups must have a retention."
  }

  assert {
    condition = alltrue([
      for a in [
        aws_cloudwatch_metric_alarm.no_successful_run, aws_cloudwatch_metric_alarm.runs_failed,
        aws_cloudwatch_metric_alarm.rows_rejected, aws_cloudwatch_metric_alarm.rows_deferred,
        aws_cloudwatch_metric_alarm.run_duration, aws_cloudwatch_metric_alarm.helper_5xx,
        aws_cloudwatch_metric_alarm.helper_latency,
      ] : a.alarm_actions == toset([aws_sns_topic.alarms.arn]) && a.ok_actions == toset([aws_sns_topic.alarms.arn])
    ])
    error_message = "Every alarm must notify the SNS topic when it fires and when it clears."
  }

  assert {
    condition = (
      aws_cloudwatch_metric_alarm.no_successful_run.period * aws_cloudwatch_metric_alarm.no_successful_run.evaluation_periods == 1800
      && aws_cloudwatch_metric_alarm.no_successful_run.treat_missing_data == "breaching"
      && aws_cloudwatch_metric_alarm.no_successful_run.comparison_operator == "LessThanThreshold"
    )
    error_message = "No successful run for 30 minutes (including no data at all) must raise the alarm."
  }

  assert {
    condition     = aws_cloudwatch_log_metric_filter.job["runs_succeeded"].pattern == "{ ($.event = \"run_finished\") && ($.command = \"run\") && (($.status = \"ok\") || ($.status = \"partial\")) }"
    error_message = "Successful runs are run_finished lines of the run command with status ok or partial (a hand-run plan is not a sync)."
  }

  assert {
    condition = (
      aws_cloudwatch_log_metric_filter.job["rows_rejected"].metric_transformation[0].value == "$.rejected"
      && aws_cloudwatch_log_metric_filter.job["rows_deferred"].metric_transformation[0].value == "$.deferred"
      && aws_cloudwatch_log_metric_filter.job["run_duration"].metric_transformation[0].value == "$.duration_s"
    )
    error_message = "Rejected, deferred and duration metrics must read the run_finished fields."
  }

  assert {
    condition     = alltrue([for f in aws_cloudwatch_log_metric_filter.flow : f.metric_transformation[0].dimensions == tomap({ Flow = "$.flow" })])
    error_message = "Per-flow metrics must carry the flow name as a dimension."
  }

  assert {
    condition     = aws_cloudwatch_log_metric_filter.helper["server_errors"].pattern == "{ ($.event = \"request\") && ($.status >= 500) }"
    error_message = "The helper's 5xx metric must count request lines with status >= 500."
  }

  assert {
    condition     = length(jsondecode(aws_cloudwatch_dashboard.this.dashboard_body).widgets) >= 8
    error_message = "The dashboard must show runs, durations, rows per flow, rejections and the helper."
  }
}

run "log_retention_must_be_a_cloudwatch_value" {
  command = plan

  module {
    source = "./modules/observability"
  }

  variables {
    name               = "hestia-sync-test"
    log_group_prefix   = "/hestia-sync/test/"
    metric_namespace   = "HestiaSync/test"
    log_retention_days = 0
  }

  expect_failures = [var.log_retention_days]
}

################################################################################
# GitHub deploy role
################################################################################

run "deploy_role_trusts_only_the_repositorys_environment" {
  command = plan

  module {
    source = "./modules/github_oidc"
  }

  variables {
    name                = "hestia-sync-test"
    github_repository   = "example/hestia-sync"
    github_environment  = "test"
    ecr_repository_arns = ["arn:aws:ecr:eu-west-1:123456789012:repository/hestia-sync-test-job"]
    state_bucket_name   = "state-bucket"
    state_key           = "test/terraform.tfstate"
    vpc_id              = "vpc-0123456789abcdef0"
    log_group_prefix    = "/hestia-sync/test/"
    secret_name_prefix  = "hestia-sync/test/"
    project_tag         = "hestia-sync"
    environment_tag     = "test"
  }

  assert {
    condition = (
      [for c in data.aws_iam_policy_document.assume.statement[0].condition : c.values if c.variable == "token.actions.githubusercontent.com:sub"][0] == tolist(["repo:example/hestia-sync:environment:test"])
      && [for c in data.aws_iam_policy_document.assume.statement[0].condition : c.values if c.variable == "token.actions.githubusercontent.com:aud"][0] == tolist(["sts.amazonaws.com"])
    )
    error_message = "Only repo:<org>/<repo>:environment:<env> tokens for sts.amazonaws.com may assume the role."
  }

  assert {
    condition     = length(aws_iam_openid_connect_provider.this) == 1
    error_message = "The OIDC provider is created by default."
  }

  assert {
    condition     = !startswith(aws_iam_role.this.name, "hestia-sync-test-")
    error_message = "The deploy role must sit outside the prefix it may modify, or it could grant itself more."
  }

  assert {
    condition = alltrue(flatten([
      for s in data.aws_iam_policy_document.apply_supporting.statement : [
        for a in s.actions : !contains(["secretsmanager:GetSecretValue", "secretsmanager:PutSecretValue"], a)
      ]
    ]))
    error_message = "The deploy role must never read or write secret values."
  }
}
