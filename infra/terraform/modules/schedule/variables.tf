variable "name" {
  description = "Name of the schedule; the queue and role are named after it."
  type        = string

  validation {
    condition     = can(regex("^[0-9a-zA-Z_.-]{1,54}$", var.name))
    error_message = "name must be 1-54 letters, digits, '.', '_' or '-' (the role name adds a suffix)."
  }
}

variable "schedule_expression" {
  description = "When the job runs: rate(...) or cron(...)."
  type        = string
  default     = "rate(10 minutes)"

  validation {
    condition     = can(regex("^(rate\\([1-9][0-9]* (minute|minutes|hour|hours|day|days)\\)|cron\\(.+\\))$", var.schedule_expression))
    error_message = "schedule_expression must be rate(N minutes|hours|days) or cron(...)."
  }
}

variable "timezone" {
  description = "Time zone of cron expressions (IANA name)."
  type        = string
  default     = "UTC"
}

variable "enabled" {
  description = "Whether the schedule starts tasks (false pauses the job without destroying anything)."
  type        = bool
  default     = true
}

variable "cluster_arn" {
  description = "ARN of the ECS cluster the job runs on."
  type        = string

  validation {
    condition     = can(regex("^arn:[a-z-]+:ecs:[^:]+:[0-9]{12}:cluster/.+$", var.cluster_arn))
    error_message = "cluster_arn must be an ECS cluster ARN."
  }
}

variable "task_definition_arn" {
  description = "ARN (with revision) of the job task definition the schedule starts."
  type        = string
}

variable "task_definition_family" {
  description = "Family of that task definition: the only one the scheduler role may run."
  type        = string
}

variable "pass_role_arns" {
  description = "Exactly the roles of the job's task definition (execution role and task role)."
  type        = list(string)

  validation {
    condition     = length(var.pass_role_arns) > 0 && alltrue([for a in var.pass_role_arns : can(regex("^arn:[a-z-]+:iam::[0-9]{12}:role/.+$", a))])
    error_message = "pass_role_arns must be a non-empty list of IAM role ARNs."
  }
}

variable "subnet_ids" {
  description = "Private subnets the job's task runs in."
  type        = list(string)

  validation {
    condition     = length(var.subnet_ids) > 0
    error_message = "subnet_ids must hold at least one subnet."
  }
}

variable "security_group_ids" {
  description = "Security groups of the job's task."
  type        = list(string)
}

variable "maximum_retry_attempts" {
  description = "Retries of a launch that failed (0-185); the next scheduled run comes soon anyway."
  type        = number
  default     = 2

  validation {
    condition     = var.maximum_retry_attempts >= 0 && var.maximum_retry_attempts <= 185
    error_message = "maximum_retry_attempts must be between 0 and 185."
  }
}

variable "maximum_event_age_seconds" {
  description = "How long a launch may be retried before it goes to the dead-letter queue (60-86400 s)."
  type        = number
  default     = 300

  validation {
    condition     = var.maximum_event_age_seconds >= 60 && var.maximum_event_age_seconds <= 86400
    error_message = "maximum_event_age_seconds must be between 60 and 86400."
  }
}

variable "account_id" {
  description = "AWS account id."
  type        = string
}

variable "region" {
  description = "AWS region of the cluster."
  type        = string
}

variable "partition" {
  description = "AWS partition (aws, aws-cn, aws-us-gov)."
  type        = string
  default     = "aws"
}
