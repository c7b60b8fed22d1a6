variable "name" {
  description = "Name of the ECS service (hestia-sync-<environment>-helper)."
  type        = string
}

variable "family" {
  description = "Task definition family of the helper."
  type        = string

  validation {
    condition     = can(regex("^[a-zA-Z0-9_-]{1,255}$", var.family))
    error_message = "family may hold up to 255 letters, digits, '_' and '-'."
  }
}

variable "cluster_arn" {
  description = "ARN of the ECS cluster."
  type        = string
}

variable "vpc_id" {
  description = "VPC whose resolver answers the private Cloud Map names."
  type        = string

  validation {
    condition     = can(regex("^vpc-[0-9a-f]+$", var.vpc_id))
    error_message = "vpc_id must look like vpc-0123456789abcdef0."
  }
}

variable "namespace_name" {
  description = "Private DNS namespace (for example hestia-sync-dev.internal); the helper is helper.<namespace>."
  type        = string

  validation {
    condition     = can(regex("^[a-z0-9]([a-z0-9-]*[a-z0-9])?(\\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)+$", var.namespace_name))
    error_message = "namespace_name must be a lower-case DNS name with at least two labels."
  }
}

variable "image" {
  description = "Full image reference of the helper (<repository url>:<commit sha>)."
  type        = string

  validation {
    condition     = can(regex("^[^:]+:[A-Za-z0-9_.-]{1,128}$", var.image))
    error_message = "image must be <repository>:<tag>; a tag is required because the repositories are immutable."
  }
}

variable "port" {
  description = "Port the helper listens on."
  type        = number
  default     = 5000
}

variable "cpu" {
  description = "Fargate CPU units of one helper task."
  type        = number
  default     = 256

  validation {
    condition     = contains([256, 512, 1024, 2048, 4096], var.cpu)
    error_message = "cpu must be a Fargate size: 256, 512, 1024, 2048 or 4096."
  }
}

variable "memory" {
  description = "Memory of one helper task in MiB."
  type        = number
  default     = 512

  validation {
    condition     = var.memory >= 512 && var.memory <= 30720 && var.memory % 512 == 0
    error_message = "memory must be a multiple of 512 MiB between 512 and 30720."
  }
}

variable "cpu_architecture" {
  description = "CPU architecture the image was built for (X86_64 or ARM64)."
  type        = string
  default     = "X86_64"

  validation {
    condition     = contains(["X86_64", "ARM64"], var.cpu_architecture)
    error_message = "cpu_architecture must be X86_64 or ARM64."
  }
}

variable "desired_count" {
  description = "Number of helper tasks; at least two so that one task or zone can fail."
  type        = number
  default     = 2

  validation {
    condition     = var.desired_count >= 2 && floor(var.desired_count) == var.desired_count
    error_message = "desired_count must be a whole number of at least 2."
  }
}

variable "rate_limit_per_minute" {
  description = "HELPER_RATE_LIMIT_PER_MINUTE: lookups one token may make per minute."
  type        = number
  default     = 600

  validation {
    condition     = var.rate_limit_per_minute >= 1
    error_message = "rate_limit_per_minute must be at least 1."
  }
}

variable "auth_failures_per_minute" {
  description = "HELPER_AUTH_FAILURES_PER_MINUTE: failed authentications one client address may make per minute (per worker) before its lookups get 429."
  type        = number
  default     = 20

  validation {
    condition     = var.auth_failures_per_minute >= 1 && floor(var.auth_failures_per_minute) == var.auth_failures_per_minute
    error_message = "auth_failures_per_minute must be a whole number of at least 1: the limit cannot be turned off in AWS."
  }
}

variable "subnet_ids" {
  description = "Private subnets of the helper tasks (spread over at least two availability zones)."
  type        = list(string)

  validation {
    condition     = length(var.subnet_ids) >= 2
    error_message = "subnet_ids must hold at least two private subnets."
  }
}

variable "security_group_id" {
  description = "Security group of the helper tasks."
  type        = string
}

variable "execution_role_arn" {
  description = "Role the ECS agent uses to pull the image, read the secrets and write the logs."
  type        = string
}

variable "task_role_arn" {
  description = "Role of the helper's container (carries no permissions)."
  type        = string
}

variable "secret_arns" {
  description = "Secrets Manager ARN by environment variable name: HELPER_API_TOKENS and HELPER_DATABASE_URL."
  type        = map(string)

  validation {
    condition     = toset(keys(var.secret_arns)) == toset(["HELPER_API_TOKENS", "HELPER_DATABASE_URL"])
    error_message = "secret_arns must map exactly HELPER_API_TOKENS and HELPER_DATABASE_URL to secret ARNs."
  }
}

variable "log_group_name" {
  description = "CloudWatch log group of the helper."
  type        = string
}

variable "region" {
  description = "AWS region of the log group."
  type        = string
}

variable "stop_timeout_seconds" {
  description = "Seconds between SIGTERM and SIGKILL; longer than gunicorn's graceful timeout."
  type        = number
  default     = 45

  validation {
    condition     = var.stop_timeout_seconds >= 2 && var.stop_timeout_seconds <= 120
    error_message = "stop_timeout_seconds must be between 2 and 120."
  }
}

variable "wait_for_steady_state" {
  description = "Make terraform apply wait until the new helper tasks are healthy (a rolled-back deploy then fails the apply)."
  type        = bool
  default     = true
}
