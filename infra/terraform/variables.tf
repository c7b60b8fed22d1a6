################################################################################
# Environment and release
################################################################################

variable "environment" {
  description = "Deployment environment: names every resource (hestia-sync-<environment>-...)."
  type        = string

  validation {
    condition     = contains(["dev", "prod"], var.environment)
    error_message = "environment must be \"dev\" or \"prod\"."
  }
}

variable "aws_region" {
  description = "AWS region everything is created in."
  type        = string
  default     = "eu-west-1"

  validation {
    condition     = can(regex("^[a-z]{2}(-[a-z]+)+-[0-9]$", var.aws_region))
    error_message = "aws_region must be a region name such as eu-west-1."
  }
}

variable "job_image_tag" {
  description = "Tag of the job image to run: the commit SHA the deploy workflow built and pushed."
  type        = string

  validation {
    condition     = can(regex("^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$", var.job_image_tag)) && var.job_image_tag != "latest"
    error_message = "job_image_tag must be an image tag (the commit SHA), not empty and not \"latest\": the repositories are immutable."
  }
}

variable "helper_image_tag" {
  description = "Tag of the helper image to run: the commit SHA the deploy workflow built and pushed."
  type        = string

  validation {
    condition     = can(regex("^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$", var.helper_image_tag)) && var.helper_image_tag != "latest"
    error_message = "helper_image_tag must be an image tag (the commit SHA), not empty and not \"latest\": the repositories are immutable."
  }
}

variable "tags" {
  description = "Extra tags on every resource (Project, Environment and ManagedBy are always set)."
  type        = map(string)
  default     = {}
}

################################################################################
# Network
################################################################################

variable "vpc_id" {
  description = "ID of the existing VPC to run in."
  type        = string

  validation {
    condition     = can(regex("^vpc-[0-9a-f]+$", var.vpc_id))
    error_message = "vpc_id must look like vpc-0123456789abcdef0."
  }
}

variable "private_subnet_ids" {
  description = "Private subnets of that VPC (at least two, in different zones) with a route to the databases: a NAT gateway or a peering to Aiven."
  type        = list(string)

  validation {
    condition     = length(var.private_subnet_ids) >= 2 && alltrue([for s in var.private_subnet_ids : can(regex("^subnet-[0-9a-f]+$", s))])
    error_message = "private_subnet_ids must hold at least two ids like subnet-0123456789abcdef0."
  }
}

variable "database_cidr_blocks" {
  description = "Addresses of the two Aiven PostgreSQL services (their static IPs as /32, or the peered VPC's CIDR)."
  type        = list(string)

  validation {
    condition     = length(var.database_cidr_blocks) > 0 && alltrue([for c in var.database_cidr_blocks : can(cidrhost(c, 0)) && c != "0.0.0.0/0"])
    error_message = "database_cidr_blocks must be a non-empty list of IPv4 CIDR blocks, none of them 0.0.0.0/0."
  }
}

variable "database_ports" {
  description = "Ports of the two Aiven PostgreSQL services."
  type        = list(number)

  validation {
    condition     = length(var.database_ports) > 0 && alltrue([for p in var.database_ports : p >= 1 && p <= 65535])
    error_message = "database_ports must be a non-empty list of TCP ports."
  }
}

variable "helper_database_cidr_blocks" {
  description = "Addresses of the helper's own PostgreSQL database."
  type        = list(string)

  validation {
    condition     = length(var.helper_database_cidr_blocks) > 0 && alltrue([for c in var.helper_database_cidr_blocks : can(cidrhost(c, 0)) && c != "0.0.0.0/0"])
    error_message = "helper_database_cidr_blocks must be a non-empty list of IPv4 CIDR blocks, none of them 0.0.0.0/0."
  }
}

variable "helper_database_port" {
  description = "Port of the helper's PostgreSQL database."
  type        = number
  default     = 5432

  validation {
    condition     = var.helper_database_port >= 1 && var.helper_database_port <= 65535
    error_message = "helper_database_port must be a TCP port."
  }
}

variable "aws_api_cidr_block" {
  description = "Destination of the tasks' HTTPS egress to AWS APIs: 0.0.0.0/0 through NAT, or the VPC CIDR with interface endpoints."
  type        = string
  default     = "0.0.0.0/0"

  validation {
    condition     = can(cidrhost(var.aws_api_cidr_block, 0))
    error_message = "aws_api_cidr_block must be an IPv4 CIDR block."
  }
}

variable "service_discovery_namespace" {
  description = "Private DNS namespace of the helper (default hestia-sync-<environment>.internal)."
  type        = string
  default     = null
}

################################################################################
# The job and its schedule
################################################################################

variable "schedule_expression" {
  description = "When the job runs (EventBridge Scheduler rate() or cron() expression)."
  type        = string
  default     = "rate(10 minutes)"

  validation {
    condition     = can(regex("^(rate\\([1-9][0-9]* (minute|minutes|hour|hours|day|days)\\)|cron\\(.+\\))$", var.schedule_expression))
    error_message = "schedule_expression must be rate(N minutes|hours|days) or cron(...)."
  }
}

variable "schedule_timezone" {
  description = "Time zone of a cron() schedule (IANA name)."
  type        = string
  default     = "UTC"
}

variable "schedule_enabled" {
  description = "false pauses the job (the schedule stays, starting nothing)."
  type        = bool
  default     = true
}

variable "schedule_maximum_retry_attempts" {
  description = "Retries of a task launch that failed, within the maximum event age."
  type        = number
  default     = 2

  validation {
    condition     = var.schedule_maximum_retry_attempts >= 0 && var.schedule_maximum_retry_attempts <= 185
    error_message = "schedule_maximum_retry_attempts must be between 0 and 185."
  }
}

variable "schedule_maximum_event_age_seconds" {
  description = "A launch not started after this many seconds goes to the dead-letter queue (keep it below the interval)."
  type        = number
  default     = 300

  validation {
    condition     = var.schedule_maximum_event_age_seconds >= 60 && var.schedule_maximum_event_age_seconds <= 86400
    error_message = "schedule_maximum_event_age_seconds must be between 60 and 86400."
  }
}

variable "job_cpu" {
  description = "Fargate CPU units of the job task."
  type        = number
  default     = 256

  validation {
    condition     = contains([256, 512, 1024, 2048, 4096], var.job_cpu)
    error_message = "job_cpu must be 256, 512, 1024, 2048 or 4096."
  }
}

variable "job_memory" {
  description = "Memory of the job task in MiB (a Fargate size for job_cpu)."
  type        = number
  default     = 512

  validation {
    condition     = var.job_memory >= 512 && var.job_memory <= 30720 && var.job_memory % 512 == 0
    error_message = "job_memory must be a multiple of 512 MiB between 512 and 30720."
  }
}

################################################################################
# The helper
################################################################################

variable "helper_cpu" {
  description = "Fargate CPU units of one helper task."
  type        = number
  default     = 256

  validation {
    condition     = contains([256, 512, 1024, 2048, 4096], var.helper_cpu)
    error_message = "helper_cpu must be 256, 512, 1024, 2048 or 4096."
  }
}

variable "helper_memory" {
  description = "Memory of one helper task in MiB."
  type        = number
  default     = 512

  validation {
    condition     = var.helper_memory >= 512 && var.helper_memory <= 30720 && var.helper_memory % 512 == 0
    error_message = "helper_memory must be a multiple of 512 MiB between 512 and 30720."
  }
}

variable "helper_desired_count" {
  description = "Number of helper tasks (at least two)."
  type        = number
  default     = 2

  validation {
    condition     = var.helper_desired_count >= 2 && floor(var.helper_desired_count) == var.helper_desired_count
    error_message = "helper_desired_count must be a whole number of at least 2."
  }
}

variable "helper_rate_limit_per_minute" {
  description = "HELPER_RATE_LIMIT_PER_MINUTE of the helper."
  type        = number
  default     = 600

  validation {
    condition     = var.helper_rate_limit_per_minute >= 1
    error_message = "helper_rate_limit_per_minute must be at least 1."
  }
}

variable "helper_wait_for_steady_state" {
  description = "terraform apply waits for the helper's new tasks to be healthy, and fails if the deployment rolls back."
  type        = bool
  default     = true
}

################################################################################
# Images, secrets, logs and alarms
################################################################################

variable "ecr_keep_last_images" {
  description = "Images kept per repository; rollback can go back this many builds."
  type        = number
  default     = 30

  validation {
    condition     = var.ecr_keep_last_images >= 1 && var.ecr_keep_last_images <= 1000
    error_message = "ecr_keep_last_images must be between 1 and 1000."
  }
}

variable "ecr_force_delete" {
  description = "Let terraform destroy delete repositories that still hold images (throwaway environments only)."
  type        = bool
  default     = false
}

variable "secret_recovery_window_days" {
  description = "Days a destroyed secret can be restored (0 deletes at once, else 7-30)."
  type        = number
  default     = 7

  validation {
    condition     = var.secret_recovery_window_days == 0 || (var.secret_recovery_window_days >= 7 && var.secret_recovery_window_days <= 30)
    error_message = "secret_recovery_window_days must be 0 or between 7 and 30."
  }
}

variable "log_retention_days" {
  description = "Days CloudWatch keeps the job's and the helper's logs."
  type        = number
  default     = 365

  validation {
    condition     = contains([1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653], var.log_retention_days)
    error_message = "log_retention_days must be a CloudWatch retention value (for example 30, 90, 365)."
  }
}

variable "alarm_email_addresses" {
  description = "E-mail addresses subscribed to the alarm topic."
  type        = list(string)
  default     = []

  validation {
    condition     = alltrue([for a in var.alarm_email_addresses : can(regex("^[^@\\s]+@[^@\\s]+\\.[^@\\s]+$", a))])
    error_message = "alarm_email_addresses must hold e-mail addresses."
  }
}

variable "no_success_alarm_minutes" {
  description = "Minutes without a successful run (status ok or partial) before the alarm fires."
  type        = number
  default     = 30

  validation {
    condition     = var.no_success_alarm_minutes >= 10 && var.no_success_alarm_minutes <= 1440
    error_message = "no_success_alarm_minutes must be between 10 and 1440."
  }
}

variable "run_duration_alarm_seconds" {
  description = "A run lasting this long raises an alarm."
  type        = number
  default     = 480

  validation {
    condition     = var.run_duration_alarm_seconds > 0
    error_message = "run_duration_alarm_seconds must be positive."
  }
}

variable "rejected_rows_alarm_threshold" {
  description = "Rejected rows in 10 minutes that raise an alarm."
  type        = number
  default     = 1

  validation {
    condition     = var.rejected_rows_alarm_threshold >= 1
    error_message = "rejected_rows_alarm_threshold must be at least 1."
  }
}

variable "deferred_rows_alarm_threshold" {
  description = "Deferred rows per 10 minutes that, three periods running, raise an alarm."
  type        = number
  default     = 1

  validation {
    condition     = var.deferred_rows_alarm_threshold >= 1
    error_message = "deferred_rows_alarm_threshold must be at least 1."
  }
}

variable "helper_5xx_alarm_threshold" {
  description = "Helper 5xx answers in 5 minutes that raise an alarm."
  type        = number
  default     = 5

  validation {
    condition     = var.helper_5xx_alarm_threshold >= 1
    error_message = "helper_5xx_alarm_threshold must be at least 1."
  }
}

variable "helper_latency_p99_alarm_ms" {
  description = "Helper p99 latency (ms) that, for 15 minutes, raises an alarm."
  type        = number
  default     = 1000

  validation {
    condition     = var.helper_latency_p99_alarm_ms > 0
    error_message = "helper_latency_p99_alarm_ms must be positive."
  }
}

################################################################################
# GitHub Actions deploys
################################################################################

variable "github_repository" {
  description = "Repository whose workflow deploys, as <owner>/<repository>."
  type        = string

  validation {
    condition     = can(regex("^[A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+$", var.github_repository))
    error_message = "github_repository must be <owner>/<repository>."
  }
}

variable "github_environment" {
  description = "GitHub deployment environment allowed to assume the deploy role (default: the environment name)."
  type        = string
  default     = null
}

variable "github_create_oidc_provider" {
  description = "Create the account's GitHub OIDC provider (false if another stack already did: one per account)."
  type        = bool
  default     = true
}

variable "github_oidc_provider_arn" {
  description = "ARN of the existing GitHub OIDC provider when github_create_oidc_provider is false."
  type        = string
  default     = null
}

variable "state_bucket_name" {
  description = "S3 bucket of the Terraform state (the same as in the .s3.tfbackend): the deploy role may use it."
  type        = string

  validation {
    condition     = can(regex("^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$", var.state_bucket_name))
    error_message = "state_bucket_name must be a valid S3 bucket name."
  }
}

variable "state_key" {
  description = "Key of the Terraform state in that bucket (the same as in the .s3.tfbackend)."
  type        = string

  validation {
    condition     = length(var.state_key) > 0
    error_message = "state_key must not be empty."
  }
}
