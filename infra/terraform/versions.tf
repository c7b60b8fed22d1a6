terraform {
  required_version = ">= 1.11"

  required_providers {
    aws = {
      source  = "hashicorp/aws"
      version = "~> 5.100"
    }
  }

  # Configured per environment: terraform init -backend-config=environments/<env>.s3.tfbackend
  backend "s3" {}
}
