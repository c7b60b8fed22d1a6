# Plans the root configuration with one environment's variable file (mocked AWS provider):
#   terraform test -test-directory=tests/environments -var-file=environments/<env>.tfvars
# The image tags are what the deploy workflow passes on the command line.

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
  job_image_tag    = "0123456789abcdef0123456789abcdef01234567"
  helper_image_tag = "0123456789abcdef0123456789abcdef01234567"
}

run "the_environment_file_plans" {
  command = plan

  assert {
    condition     = output.cluster_name == "hestia-sync-${var.environment}"
    error_message = "The environment's resources must be named after it."
  }

  assert {
    condition     = var.schedule_expression == "rate(10 minutes)"
    error_message = "Both environments run the job every 10 minutes."
  }
}
