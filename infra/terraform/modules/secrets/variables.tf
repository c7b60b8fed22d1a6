variable "name_prefix" {
  description = "Prefix of every secret name (for example hestia-sync/dev/): the secret is <prefix><NAME>."
  type        = string

  validation {
    condition     = can(regex("^[a-zA-Z0-9/_+=.@-]+/$", var.name_prefix))
    error_message = "name_prefix must end with '/' and hold only characters allowed in secret names."
  }
}

variable "secret_names" {
  description = "Names of the settings kept as secrets (the environment variable each one becomes)."
  type        = list(string)

  validation {
    condition     = length(var.secret_names) > 0 && alltrue([for n in var.secret_names : can(regex("^[A-Z][A-Z0-9_]*$", n))])
    error_message = "secret_names must be a non-empty list of upper-case environment variable names."
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

variable "recovery_window_in_days" {
  description = "Days a deleted secret can still be restored: 0 deletes at once, otherwise 7 to 30."
  type        = number
  default     = 7

  validation {
    condition     = var.recovery_window_in_days == 0 || (var.recovery_window_in_days >= 7 && var.recovery_window_in_days <= 30)
    error_message = "recovery_window_in_days must be 0 or between 7 and 30."
  }
}
