variable "name" {
  description = "Name prefix of the topic, alarms, filters and dashboard (hestia-sync-<environment>)."
  type        = string
}

variable "region" {
  description = "AWS region shown by the dashboard."
  type        = string
}

variable "log_group_prefix" {
  description = "Prefix of the two log groups: <prefix>job and <prefix>helper."
  type        = string

  validation {
    condition     = startswith(var.log_group_prefix, "/") && endswith(var.log_group_prefix, "/")
    error_message = "log_group_prefix must start and end with '/' (for example /hestia-sync/dev/)."
  }
}

variable "metric_namespace" {
  description = "CloudWatch namespace of the metrics taken from the logs."
  type        = string

  validation {
    condition     = length(var.metric_namespace) > 0 && !startswith(var.metric_namespace, "AWS/")
    error_message = "metric_namespace must be non-empty and must not start with AWS/."
  }
}

variable "kms_key_arn" {
  description = "ARN of the KMS key that encrypts the log groups and the alarm topic."
  type        = string

  validation {
    condition     = can(regex("^arn:[a-z-]+:kms:", var.kms_key_arn))
    error_message = "kms_key_arn must be a KMS key ARN."
  }
}

variable "log_retention_days" {
  description = "Days CloudWatch keeps the logs."
  type        = number
  default     = 365

  validation {
    condition     = contains([1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653], var.log_retention_days)
    error_message = "log_retention_days must be one of CloudWatch's retention values (1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653)."
  }
}

variable "alarm_email_addresses" {
  description = "Addresses subscribed to the alarm topic (each must confirm the subscription e-mail)."
  type        = list(string)
  default     = []

  validation {
    condition     = alltrue([for a in var.alarm_email_addresses : can(regex("^[^@\\s]+@[^@\\s]+\\.[^@\\s]+$", a))])
    error_message = "alarm_email_addresses must hold e-mail addresses."
  }
}

variable "flows" {
  description = "Flow names the dashboard shows one series for (the job's flows)."
  type        = list(string)
  default     = ["plans", "plan_benefits", "students", "advertisers", "payments"]

  validation {
    condition     = length(var.flows) > 0
    error_message = "flows must name at least one flow."
  }
}

variable "alarm_period_seconds" {
  description = "Period of the per-run alarms and graphs; the schedule's interval suits it."
  type        = number
  default     = 600

  validation {
    condition     = var.alarm_period_seconds >= 60 && var.alarm_period_seconds % 60 == 0
    error_message = "alarm_period_seconds must be a multiple of 60 of at least 60."
  }
}

variable "no_success_window_minutes" {
  description = "Minutes without a run that finished ok or partial before the alarm fires."
  type        = number
  default     = 30

  validation {
    condition     = var.no_success_window_minutes >= 10 && var.no_success_window_minutes <= 1440 && floor(var.no_success_window_minutes) == var.no_success_window_minutes
    error_message = "no_success_window_minutes must be a whole number from 10 to 1440."
  }
}

variable "rejected_rows_threshold" {
  description = "Rejected rows in one period that raise the alarm."
  type        = number
  default     = 1

  validation {
    condition     = var.rejected_rows_threshold >= 1
    error_message = "rejected_rows_threshold must be at least 1."
  }
}

variable "deferred_rows_threshold" {
  description = "Deferred rows per period that, over deferred_rows_evaluation_periods periods in a row, raise the alarm."
  type        = number
  default     = 1

  validation {
    condition     = var.deferred_rows_threshold >= 1
    error_message = "deferred_rows_threshold must be at least 1."
  }
}

variable "deferred_rows_evaluation_periods" {
  description = "Consecutive periods with deferred rows before the alarm fires (deferrals clear themselves when the helper is back)."
  type        = number
  default     = 3

  validation {
    condition     = var.deferred_rows_evaluation_periods >= 1 && var.deferred_rows_evaluation_periods <= 24
    error_message = "deferred_rows_evaluation_periods must be between 1 and 24."
  }
}

variable "run_duration_threshold_seconds" {
  description = "Run duration that raises the alarm (keep it under the schedule's interval)."
  type        = number
  default     = 480

  validation {
    condition     = var.run_duration_threshold_seconds > 0
    error_message = "run_duration_threshold_seconds must be positive."
  }
}

variable "helper_5xx_threshold" {
  description = "5xx answers of the helper in 5 minutes that raise the alarm."
  type        = number
  default     = 5

  validation {
    condition     = var.helper_5xx_threshold >= 1
    error_message = "helper_5xx_threshold must be at least 1."
  }
}

variable "helper_latency_p99_threshold_ms" {
  description = "p99 latency of the helper (ms) that, held for 15 minutes, raises the alarm."
  type        = number
  default     = 1000

  validation {
    condition     = var.helper_latency_p99_threshold_ms > 0
    error_message = "helper_latency_p99_threshold_ms must be positive."
  }
}
