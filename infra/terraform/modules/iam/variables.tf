variable "name" {
  description = "Name prefix of the roles (hestia-sync-<environment>)."
  type        = string
}

variable "account_id" {
  description = "AWS account id, used to restrict who may assume the roles."
  type        = string

  validation {
    condition     = can(regex("^[0-9]{12}$", var.account_id))
    error_message = "account_id must be a 12-digit AWS account id."
  }
}

variable "region" {
  description = "AWS region of the secrets (the execution role decrypts only through Secrets Manager there)."
  type        = string
}

variable "repository_arns" {
  description = "ARNs of the ECR repositories the execution role may pull from (the job's and the helper's)."
  type        = list(string)

  validation {
    condition     = length(var.repository_arns) > 0 && alltrue([for a in var.repository_arns : can(regex("^arn:[a-z-]+:ecr:", a))])
    error_message = "repository_arns must be a non-empty list of ECR repository ARNs."
  }
}

variable "secret_arns" {
  description = "ARNs of exactly the Secrets Manager secrets the task definitions inject."
  type        = list(string)

  validation {
    condition     = length(var.secret_arns) > 0 && alltrue([for a in var.secret_arns : can(regex("^arn:[a-z-]+:secretsmanager:", a))])
    error_message = "secret_arns must be a non-empty list of Secrets Manager secret ARNs."
  }
}

variable "kms_key_arn" {
  description = "ARN of the KMS key that encrypts the secrets."
  type        = string

  validation {
    condition     = can(regex("^arn:[a-z-]+:kms:", var.kms_key_arn))
    error_message = "kms_key_arn must be a KMS key ARN."
  }
}

variable "log_group_arns" {
  description = "ARNs of the log groups the containers write to (without the trailing :*)."
  type        = list(string)

  validation {
    condition     = length(var.log_group_arns) > 0 && alltrue([for a in var.log_group_arns : can(regex("^arn:[a-z-]+:logs:.*:log-group:[^*]+$", a))])
    error_message = "log_group_arns must be a non-empty list of log group ARNs without wildcards."
  }
}
