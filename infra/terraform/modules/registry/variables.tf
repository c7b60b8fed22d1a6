variable "name" {
  description = "Repository name (for example hestia-sync-dev-job)."
  type        = string

  validation {
    condition     = can(regex("^[a-z0-9]+([._/-][a-z0-9]+)*$", var.name))
    error_message = "name must be a valid ECR repository name: lower-case letters, digits and . _ - / separators."
  }
}

variable "kms_key_arn" {
  description = "ARN of the KMS key that encrypts the images."
  type        = string

  validation {
    condition     = can(regex("^arn:[a-z-]+:kms:", var.kms_key_arn))
    error_message = "kms_key_arn must be a KMS key ARN."
  }
}

variable "keep_last_images" {
  description = "How many images the lifecycle policy keeps; older ones expire (rollback can only go back this far)."
  type        = number
  default     = 30

  validation {
    condition     = var.keep_last_images >= 1 && var.keep_last_images <= 1000 && floor(var.keep_last_images) == var.keep_last_images
    error_message = "keep_last_images must be a whole number from 1 to 1000."
  }
}

variable "force_delete" {
  description = "Let terraform destroy delete the repository even when it still holds images."
  type        = bool
  default     = false
}
