provider "aws" {
  region = var.aws_region

  # Every resource carries these; the deploy role's KMS permissions rely on Project and Environment.
  default_tags {
    tags = merge(var.tags, {
      Project     = local.project
      Environment = var.environment
      ManagedBy   = "terraform"
    })
  }
}
