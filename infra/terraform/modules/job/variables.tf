variable "family" {
  description = "Task definition family (hestia-sync-<environment>-job)."
  type        = string

  validation {
    condition     = can(regex("^[a-zA-Z0-9_-]{1,255}$", var.family))
    error_message = "family may hold up to 255 letters, digits, '_' and '-'."
  }
}

variable "image" {
  description = "Full image reference of the job (<repository url>:<commit sha>)."
  type        = string

  validation {
    condition     = can(regex("^[^:]+:[A-Za-z0-9_.-]{1,128}$", var.image))
    error_message = "image must be <repository>:<tag>; a tag is required because the repositories are immutable."
  }
}

variable "command" {
  description = "Arguments after the image's `python -m job` entrypoint (run by default; plan, check or status by hand)."
  type        = list(string)
  default     = ["run"]

  validation {
    condition     = length(var.command) > 0 && contains(["run", "plan", "check", "status"], var.command[0])
    error_message = "command must start with one of run, plan, check, status."
  }
}

variable "cpu" {
  description = "Fargate CPU units of the job task (256 = 0.25 vCPU)."
  type        = number
  default     = 256

  validation {
    condition     = contains([256, 512, 1024, 2048, 4096], var.cpu)
    error_message = "cpu must be a Fargate size: 256, 512, 1024, 2048 or 4096."
  }
}

variable "memory" {
  description = "Memory of the job task in MiB (must suit the CPU size under Fargate's rules)."
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

variable "execution_role_arn" {
  description = "Role the ECS agent uses to pull the image, read the secrets and write the logs."
  type        = string
}

variable "task_role_arn" {
  description = "Role of the job's container (carries no permissions)."
  type        = string
}

variable "secret_arns" {
  description = "Secrets Manager ARN by environment variable name: URI_BANCO_1, URI_BANCO_2 and HELPER_API_TOKEN."
  type        = map(string)

  validation {
    condition     = toset(keys(var.secret_arns)) == toset(["URI_BANCO_1", "URI_BANCO_2", "HELPER_API_TOKEN"])
    error_message = "secret_arns must map exactly URI_BANCO_1, URI_BANCO_2 and HELPER_API_TOKEN to secret ARNs."
  }
}

variable "helper_api_url" {
  description = "Private URL of the helper API (the Cloud Map name), passed as HELPER_API_URL."
  type        = string

  validation {
    condition     = can(regex("^https?://[^/]+", var.helper_api_url))
    error_message = "helper_api_url must be an http(s) URL."
  }
}

variable "log_group_name" {
  description = "CloudWatch log group of the job."
  type        = string
}

variable "region" {
  description = "AWS region of the log group."
  type        = string
}

variable "stop_timeout_seconds" {
  description = "Seconds between SIGTERM and SIGKILL when the task is stopped (Fargate allows up to 120)."
  type        = number
  default     = 60

  validation {
    condition     = var.stop_timeout_seconds >= 2 && var.stop_timeout_seconds <= 120
    error_message = "stop_timeout_seconds must be between 2 and 120."
  }
}
