variable "name" {
  description = "Name of the environment's resources (hestia-sync-<environment>); the key alias is alias/<name>."
  type        = string

  validation {
    condition     = can(regex("^[a-zA-Z0-9/_-]{1,200}$", var.name))
    error_message = "name may only hold letters, digits, '/', '_' and '-'."
  }
}

variable "account_id" {
  description = "AWS account that owns the key."
  type        = string

  validation {
    condition     = can(regex("^[0-9]{12}$", var.account_id))
    error_message = "account_id must be a 12-digit AWS account id."
  }
}

variable "region" {
  description = "Region of the key and of the log groups that use it."
  type        = string
}

variable "partition" {
  description = "AWS partition (aws, aws-cn, aws-us-gov)."
  type        = string
  default     = "aws"
}

variable "log_group_prefix" {
  description = "Name prefix of the log groups allowed to use the key (for example /hestia-sync/dev/)."
  type        = string

  validation {
    condition     = startswith(var.log_group_prefix, "/")
    error_message = "log_group_prefix must start with '/'."
  }
}

variable "deletion_window_in_days" {
  description = "Days a destroyed key waits before AWS deletes it (7 to 30)."
  type        = number
  default     = 30

  validation {
    condition     = var.deletion_window_in_days >= 7 && var.deletion_window_in_days <= 30
    error_message = "deletion_window_in_days must be between 7 and 30."
  }
}
