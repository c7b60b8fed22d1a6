# Plans the whole root configuration with a mocked AWS provider: the modules are wired together as intended
# and the root variables refuse bad values. Module properties are asserted in modules.tftest.hcl.

mock_provider "aws" {
  override_during = plan

  mock_data "aws_caller_identity" {
    defaults = { account_id = "123456789012" }
  }
  mock_data "aws_partition" {
    defaults = { partition = "aws" }
  }
  mock_data "aws_iam_policy_document" {
    defaults = { json = "{\"Version\":\"2012-10-17\",\"Statement\":[]}" }
  }
  mock_resource "aws_kms_key" {
    defaults = { arn = "arn:aws:kms:eu-west-1:123456789012:key/00000000-0000-0000-0000-000000000000" }
  }
  mock_resource "aws_ecr_repository" {
    defaults = {
      arn            = "arn:aws:ecr:eu-west-1:123456789012:repository/mocked"
      repository_url = "123456789012.dkr.ecr.eu-west-1.amazonaws.com/mocked"
    }
  }
  mock_resource "aws_secretsmanager_secret" {
    defaults = { arn = "arn:aws:secretsmanager:eu-west-1:123456789012:secret:mocked-AbCdEf" }
  }
  mock_resource "aws_cloudwatch_log_group" {
    defaults = { arn = "arn:aws:logs:eu-west-1:123456789012:log-group:/mocked" }
  }
  mock_resource "aws_iam_role" {
    defaults = { arn = "arn:aws:iam::123456789012:role/mocked" }
  }
  mock_resource "aws_iam_openid_connect_provider" {
    defaults = { arn = "arn:aws:iam::123456789012:oidc-provider/token.actions.githubusercontent.com" }
  }
  mock_resource "aws_ecs_cluster" {
    defaults = { arn = "arn:aws:ecs:eu-west-1:123456789012:cluster/mocked" }
  }
  mock_resource "aws_ecs_task_definition" {
    defaults = { arn = "arn:aws:ecs:eu-west-1:123456789012:task-definition/mocked:1" }
  }
  mock_resource "aws_security_group" {
    defaults = { id = "sg-0mocked" }
  }
}

variables {
  environment                 = "dev"
  aws_region                  = "eu-west-1"
  job_image_tag               = "0123456789abcdef0123456789abcdef01234567"
  helper_image_tag            = "0123456789abcdef0123456789abcdef01234567"
  vpc_id                      = "vpc-0123456789abcdef0"
  private_subnet_ids          = ["subnet-0123456789abcdef0", "subnet-0123456789abcdef1"]
  database_cidr_blocks        = ["203.0.113.10/32", "203.0.113.11/32"]
  database_ports              = [12691, 12692]
  helper_database_cidr_blocks = ["203.0.113.12/32"]
  github_repository           = "example/hestia-sync"
  state_bucket_name           = "state-bucket"
  state_key                   = "dev/terraform.tfstate"
}

run "the_job_finds_the_helper_by_its_private_name" {
  command = plan

  assert {
    condition     = output.helper_api_url == "http://helper.hestia-sync-dev.internal:5000"
    error_message = "The job's HELPER_API_URL must be the helper's Cloud Map name."
  }
}

run "the_job_runs_by_hand_without_a_public_ip" {
  command = plan

  assert {
    condition = (
      jsondecode(output.job_network_configuration).awsvpcConfiguration.assignPublicIp == "DISABLED"
      && tolist(jsondecode(output.job_network_configuration).awsvpcConfiguration.subnets) == var.private_subnet_ids
      && tolist(jsondecode(output.job_network_configuration).awsvpcConfiguration.securityGroups) == tolist(["sg-0mocked"])
    )
    error_message = "The run-task network configuration must be the private subnets, the job's group and no public IP."
  }
}

run "operators_get_names_for_everything_they_use" {
  command = plan

  assert {
    condition = (
      output.cluster_name == "hestia-sync-dev"
      && output.schedule_name == "hestia-sync-dev-job"
      && output.job_task_definition_family == "hestia-sync-dev-job"
      && output.job_log_group_name == "/hestia-sync/dev/job"
      && output.helper_log_group_name == "/hestia-sync/dev/helper"
      && endswith(output.dashboard_url, "#dashboards:name=hestia-sync-dev")
    )
    error_message = "The outputs must name the cluster, schedule, task family, log groups and dashboard."
  }

  assert {
    condition = output.secret_names == {
      URI_BANCO_1         = "hestia-sync/dev/URI_BANCO_1"
      URI_BANCO_2         = "hestia-sync/dev/URI_BANCO_2"
      HELPER_API_TOKEN    = "hestia-sync/dev/HELPER_API_TOKEN"
      HELPER_API_TOKENS   = "hestia-sync/dev/HELPER_API_TOKENS"
      HELPER_DATABASE_URL = "hestia-sync/dev/HELPER_DATABASE_URL"
    }
    error_message = "The five secrets must be named hestia-sync/<environment>/<SETTING>."
  }
}

run "an_unknown_environment_is_refused" {
  command = plan

  variables {
    environment = "staging"
  }

  expect_failures = [var.environment]
}

run "the_latest_tag_is_refused" {
  command = plan

  variables {
    job_image_tag = "latest"
  }

  expect_failures = [var.job_image_tag]
}

run "a_single_private_subnet_is_refused" {
  command = plan

  variables {
    private_subnet_ids = ["subnet-0123456789abcdef0"]
  }

  expect_failures = [var.private_subnet_ids]
}
