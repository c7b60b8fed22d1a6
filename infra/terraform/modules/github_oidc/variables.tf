variable "name" {
  description = "Name prefix of the resources the role may manage (hestia-sync-<environment>)."
  type        = string

  validation {
    condition     = can(regex("^[a-zA-Z0-9_-]{1,40}$", var.name))
    error_message = "name must be 1-40 letters, digits, '_' or '-'."
  }
}

variable "create_oidc_provider" {
  description = "Create the account's GitHub OIDC provider; false when it already exists (one per account)."
  type        = bool
  default     = true
}

variable "oidc_provider_arn" {
  description = "ARN of the existing GitHub OIDC provider, when create_oidc_provider is false."
  type        = string
  default     = null

  validation {
    condition     = var.oidc_provider_arn == null || can(regex("^arn:[a-z-]+:iam::[0-9]{12}:oidc-provider/token\\.actions\\.githubusercontent\\.com$", var.oidc_provider_arn))
    error_message = "oidc_provider_arn must be the ARN of the token.actions.githubusercontent.com OIDC provider."
  }
}

variable "github_repository" {
  description = "GitHub repository allowed to deploy, as <owner>/<repository>."
  type        = string

  validation {
    condition     = can(regex("^[A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+$", var.github_repository))
    error_message = "github_repository must be <owner>/<repository>."
  }
}

variable "github_environment" {
  description = "GitHub deployment environment whose jobs may assume the role (its protection rules apply)."
  type        = string

  validation {
    condition     = can(regex("^[A-Za-z0-9_.-]+$", var.github_environment))
    error_message = "github_environment must be a GitHub environment name without spaces or wildcards."
  }
}

variable "ecr_repository_arns" {
  description = "ARNs of the two repositories the workflow pushes images to."
  type        = list(string)

  validation {
    condition     = length(var.ecr_repository_arns) > 0 && alltrue([for a in var.ecr_repository_arns : can(regex("^arn:[a-z-]+:ecr:", a))])
    error_message = "ecr_repository_arns must be a non-empty list of ECR repository ARNs."
  }
}

variable "state_bucket_name" {
  description = "S3 bucket holding the Terraform state (from the environment's .s3.tfbackend)."
  type        = string

  validation {
    condition     = can(regex("^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$", var.state_bucket_name))
    error_message = "state_bucket_name must be a valid S3 bucket name."
  }
}

variable "state_key" {
  description = "Object key of the Terraform state in that bucket."
  type        = string

  validation {
    condition     = length(var.state_key) > 0 && !strcontains(var.state_key, "*")
    error_message = "state_key must be a non-empty key without wildcards."
  }
}

variable "vpc_id" {
  description = "VPC whose security groups the role may manage."
  type        = string

  validation {
    condition     = can(regex("^vpc-[0-9a-f]+$", var.vpc_id))
    error_message = "vpc_id must look like vpc-0123456789abcdef0."
  }
}

variable "log_group_prefix" {
  description = "Prefix of the log groups the role may manage (for example /hestia-sync/dev/)."
  type        = string

  validation {
    condition     = startswith(var.log_group_prefix, "/") && endswith(var.log_group_prefix, "/")
    error_message = "log_group_prefix must start and end with '/'."
  }
}

variable "secret_name_prefix" {
  description = "Prefix of the secrets the role may manage (containers only, never values)."
  type        = string

  validation {
    condition     = endswith(var.secret_name_prefix, "/")
    error_message = "secret_name_prefix must end with '/'."
  }
}

variable "project_tag" {
  description = "Value of the Project tag that marks this project's KMS keys."
  type        = string
}

variable "environment_tag" {
  description = "Value of the Environment tag that marks this environment's KMS keys."
  type        = string
}

variable "account_id" {
  description = "AWS account id."
  type        = string

  validation {
    condition     = can(regex("^[0-9]{12}$", var.account_id))
    error_message = "account_id must be a 12-digit AWS account id."
  }
}

variable "region" {
  description = "AWS region of the managed resources."
  type        = string
}

variable "partition" {
  description = "AWS partition (aws, aws-cn, aws-us-gov)."
  type        = string
  default     = "aws"
}
