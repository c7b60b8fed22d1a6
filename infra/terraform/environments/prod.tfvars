# Production environment. Image tags are not set here: the deploy passes
# -var job_image_tag=<sha> -var helper_image_tag=<sha>.
environment = "prod"
aws_region  = "eu-west-1"

# Placeholders: replace with the real ids before the first deploy.
vpc_id             = "vpc-0f00000000000ad00"
private_subnet_ids = ["subnet-0f0000000000ad00a", "subnet-0f0000000000ad00b", "subnet-0f0000000000ad00c"]

database_cidr_blocks        = ["198.51.100.10/32", "198.51.100.11/32"]
database_ports              = [22691, 22692]
helper_database_cidr_blocks = ["198.51.100.12/32"]
helper_database_port        = 22693

job_cpu              = 512
job_memory           = 1024
helper_desired_count = 3
log_retention_days   = 365

alarm_email_addresses = ["ops@example.com"]

github_repository = "hestia-housing/hestia-sync"
# dev already created the account's GitHub OIDC provider (one per account); use a separate
# account per environment and set this to true there.
github_create_oidc_provider = false
github_oidc_provider_arn    = "arn:aws:iam::111111111111:oidc-provider/token.actions.githubusercontent.com"
state_bucket_name           = "hestia-sync-terraform-state"
state_key                   = "prod/terraform.tfstate"
