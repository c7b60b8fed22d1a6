variable "name" {
  description = "Name prefix of the security groups (hestia-sync-<environment>)."
  type        = string
}

variable "vpc_id" {
  description = "ID of the existing VPC the tasks run in."
  type        = string

  validation {
    condition     = can(regex("^vpc-[0-9a-f]+$", var.vpc_id))
    error_message = "vpc_id must look like vpc-0123456789abcdef0."
  }
}

variable "helper_port" {
  description = "TCP port the helper API listens on."
  type        = number
  default     = 5000

  validation {
    condition     = var.helper_port >= 1 && var.helper_port <= 65535
    error_message = "helper_port must be a TCP port (1-65535)."
  }
}

variable "database_cidr_blocks" {
  description = "CIDR blocks of the two Aiven PostgreSQL services the job writes to (their public IPs as /32, or the peered range)."
  type        = list(string)

  validation {
    condition     = length(var.database_cidr_blocks) > 0 && alltrue([for c in var.database_cidr_blocks : can(cidrhost(c, 0)) && c != "0.0.0.0/0"])
    error_message = "database_cidr_blocks must be a non-empty list of IPv4 CIDR blocks, none of them 0.0.0.0/0."
  }
}

variable "database_ports" {
  description = "TCP ports of the Aiven PostgreSQL services (Aiven assigns one per service)."
  type        = list(number)

  validation {
    condition     = length(var.database_ports) > 0 && alltrue([for p in var.database_ports : p >= 1 && p <= 65535])
    error_message = "database_ports must be a non-empty list of TCP ports."
  }
}

variable "helper_database_cidr_blocks" {
  description = "CIDR blocks of the helper's own PostgreSQL database."
  type        = list(string)

  validation {
    condition     = length(var.helper_database_cidr_blocks) > 0 && alltrue([for c in var.helper_database_cidr_blocks : can(cidrhost(c, 0)) && c != "0.0.0.0/0"])
    error_message = "helper_database_cidr_blocks must be a non-empty list of IPv4 CIDR blocks, none of them 0.0.0.0/0."
  }
}

variable "helper_database_port" {
  description = "TCP port of the helper's PostgreSQL database."
  type        = number
  default     = 5432

  validation {
    condition     = var.helper_database_port >= 1 && var.helper_database_port <= 65535
    error_message = "helper_database_port must be a TCP port (1-65535)."
  }
}

variable "aws_api_cidr_block" {
  description = "Where HTTPS to AWS APIs may go: 0.0.0.0/0 through a NAT gateway, or the VPC's CIDR when VPC endpoints serve ECR, Secrets Manager and Logs."
  type        = string
  default     = "0.0.0.0/0"

  validation {
    condition     = can(cidrhost(var.aws_api_cidr_block, 0))
    error_message = "aws_api_cidr_block must be an IPv4 CIDR block."
  }
}
