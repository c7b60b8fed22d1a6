# Development environment. Image tags are not set here: the deploy passes
# -var job_image_tag=<sha> -var helper_image_tag=<sha>.
environment = "dev"
aws_region  = "eu-west-1"

# The existing VPC and its private subnets (route to Aiven through the NAT gateway).
# Placeholders: replace with the real ids before the first deploy.
vpc_id             = "vpc-0d000000000000de0"
private_subnet_ids = ["subnet-0d00000000000de0a", "subnet-0d00000000000de0b"]

# Static IPs of the Aiven services (Aiven console: service > Overview > static IP addresses).
database_cidr_blocks        = ["203.0.113.10/32", "203.0.113.11/32"]
database_ports              = [12691, 12692]
helper_database_cidr_blocks = ["203.0.113.12/32"]
helper_database_port        = 12693

log_retention_days    = 30
alarm_email_addresses = []

github_repository = "hestia-housing/hestia-sync"
state_bucket_name = "hestia-sync-terraform-state"
state_key         = "dev/terraform.tfstate"
