################################################################################
# hestia-sync on AWS: the job as a scheduled Fargate task, the helper as a private Fargate service
################################################################################

data "aws_caller_identity" "current" {}
data "aws_partition" "current" {}

locals {
  project    = "hestia-sync"
  name       = "${local.project}-${var.environment}"
  account_id = data.aws_caller_identity.current.account_id
  partition  = data.aws_partition.current.partition

  log_group_prefix   = "/${local.project}/${var.environment}/"
  secret_name_prefix = "${local.project}/${var.environment}/"
  namespace_name     = coalesce(var.service_discovery_namespace, "${local.name}.internal")

  job_secrets    = ["URI_BANCO_1", "URI_BANCO_2", "HELPER_API_TOKEN"]
  helper_secrets = ["HELPER_API_TOKENS", "HELPER_DATABASE_URL"]
}

module "kms" {
  source = "./modules/kms"

  name             = local.name
  account_id       = local.account_id
  region           = var.aws_region
  partition        = local.partition
  log_group_prefix = local.log_group_prefix
}

module "registry" {
  source   = "./modules/registry"
  for_each = toset(["job", "helper"])

  name             = "${local.name}-${each.key}"
  kms_key_arn      = module.kms.key_arn
  keep_last_images = var.ecr_keep_last_images
  force_delete     = var.ecr_force_delete
}

module "secrets" {
  source = "./modules/secrets"

  name_prefix             = local.secret_name_prefix
  secret_names            = concat(local.job_secrets, local.helper_secrets)
  kms_key_arn             = module.kms.key_arn
  recovery_window_in_days = var.secret_recovery_window_days
}

module "observability" {
  source = "./modules/observability"

  name                            = local.name
  region                          = var.aws_region
  log_group_prefix                = local.log_group_prefix
  metric_namespace                = "HestiaSync/${var.environment}"
  kms_key_arn                     = module.kms.key_arn
  log_retention_days              = var.log_retention_days
  alarm_email_addresses           = var.alarm_email_addresses
  no_success_window_minutes       = var.no_success_alarm_minutes
  run_duration_threshold_seconds  = var.run_duration_alarm_seconds
  rejected_rows_threshold         = var.rejected_rows_alarm_threshold
  deferred_rows_threshold         = var.deferred_rows_alarm_threshold
  helper_5xx_threshold            = var.helper_5xx_alarm_threshold
  helper_latency_p99_threshold_ms = var.helper_latency_p99_alarm_ms
}

module "network" {
  source = "./modules/network"

  name                        = local.name
  vpc_id                      = var.vpc_id
  database_cidr_blocks        = var.database_cidr_blocks
  database_ports              = var.database_ports
  helper_database_cidr_blocks = var.helper_database_cidr_blocks
  helper_database_port        = var.helper_database_port
  aws_api_cidr_block          = var.aws_api_cidr_block
}

module "cluster" {
  source = "./modules/cluster"

  name = local.name
}

module "iam" {
  source = "./modules/iam"

  name            = local.name
  account_id      = local.account_id
  region          = var.aws_region
  repository_arns = [for r in module.registry : r.repository_arn]
  secret_arns     = values(module.secrets.arns)
  kms_key_arn     = module.kms.key_arn
  log_group_arns  = [module.observability.job_log_group_arn, module.observability.helper_log_group_arn]
}

module "helper" {
  source = "./modules/helper"

  name                  = "${local.name}-helper"
  family                = "${local.name}-helper"
  cluster_arn           = module.cluster.arn
  vpc_id                = var.vpc_id
  namespace_name        = local.namespace_name
  image                 = "${module.registry["helper"].repository_url}:${var.helper_image_tag}"
  cpu                   = var.helper_cpu
  memory                = var.helper_memory
  desired_count         = var.helper_desired_count
  rate_limit_per_minute = var.helper_rate_limit_per_minute
  subnet_ids            = var.private_subnet_ids
  security_group_id     = module.network.helper_security_group_id
  execution_role_arn    = module.iam.execution_role_arn
  task_role_arn         = module.iam.helper_task_role_arn
  secret_arns           = { for n in local.helper_secrets : n => module.secrets.arns[n] }
  log_group_name        = module.observability.helper_log_group_name
  region                = var.aws_region
  wait_for_steady_state = var.helper_wait_for_steady_state
}

module "job" {
  source = "./modules/job"

  family             = "${local.name}-job"
  image              = "${module.registry["job"].repository_url}:${var.job_image_tag}"
  cpu                = var.job_cpu
  memory             = var.job_memory
  execution_role_arn = module.iam.execution_role_arn
  task_role_arn      = module.iam.job_task_role_arn
  secret_arns        = { for n in local.job_secrets : n => module.secrets.arns[n] }
  helper_api_url     = module.helper.url
  log_group_name     = module.observability.job_log_group_name
  region             = var.aws_region
}

module "schedule" {
  source = "./modules/schedule"

  name                      = "${local.name}-job"
  schedule_expression       = var.schedule_expression
  timezone                  = var.schedule_timezone
  enabled                   = var.schedule_enabled
  cluster_arn               = module.cluster.arn
  task_definition_arn       = module.job.task_definition_arn
  task_definition_family    = module.job.task_definition_family
  pass_role_arns            = [module.iam.execution_role_arn, module.iam.job_task_role_arn]
  subnet_ids                = var.private_subnet_ids
  security_group_ids        = [module.network.job_security_group_id]
  maximum_retry_attempts    = var.schedule_maximum_retry_attempts
  maximum_event_age_seconds = var.schedule_maximum_event_age_seconds
  account_id                = local.account_id
  region                    = var.aws_region
  partition                 = local.partition
}

module "github_oidc" {
  source = "./modules/github_oidc"

  name                 = local.name
  create_oidc_provider = var.github_create_oidc_provider
  oidc_provider_arn    = var.github_oidc_provider_arn
  github_repository    = var.github_repository
  github_environment   = coalesce(var.github_environment, var.environment)
  ecr_repository_arns  = [for r in module.registry : r.repository_arn]
  state_bucket_name    = var.state_bucket_name
  state_key            = var.state_key
  vpc_id               = var.vpc_id
  log_group_prefix     = local.log_group_prefix
  secret_name_prefix   = local.secret_name_prefix
  project_tag          = local.project
  environment_tag      = var.environment
  account_id           = local.account_id
  region               = var.aws_region
  partition            = local.partition
}
