variable "name" {
  description = "Name of the ECS cluster."
  type        = string

  validation {
    condition     = can(regex("^[a-zA-Z0-9_-]{1,255}$", var.name))
    error_message = "name may hold up to 255 letters, digits, '_' and '-'."
  }
}
