################################################################################
# Security groups: the job may reach the helper; nothing else may. No ingress from CIDRs at all.
################################################################################

locals {
  # One rule per (CIDR, port) pair: the two Aiven services may listen on different ports.
  job_database_rules = {
    for pair in setproduct(var.database_cidr_blocks, var.database_ports) :
    "${pair[0]}:${pair[1]}" => { cidr = pair[0], port = pair[1] }
  }
  helper_database_rules = {
    for cidr in var.helper_database_cidr_blocks : "${cidr}:${var.helper_database_port}" => {
      cidr = cidr, port = var.helper_database_port
    }
  }
}

resource "aws_security_group" "job" {
  #checkov:skip=CKV2_AWS_5:Attached to the job's task by the schedule module through this module's output; checkov's graph does not follow module outputs.
  name        = "${var.name}-job"
  description = "hestia-sync job tasks: egress to the helper, the databases and AWS APIs; no ingress"
  vpc_id      = var.vpc_id

  lifecycle {
    create_before_destroy = true
  }
}

resource "aws_security_group" "helper" {
  #checkov:skip=CKV2_AWS_5:Attached to the helper's ECS service by the helper module through this module's output; checkov's graph does not follow module outputs.
  name        = "${var.name}-helper"
  description = "hestia-sync helper API tasks: ingress only from the job's security group"
  vpc_id      = var.vpc_id

  lifecycle {
    create_before_destroy = true
  }
}

################################################################################
# Helper ingress: from the job's security group only, on the helper's port
################################################################################

resource "aws_vpc_security_group_ingress_rule" "helper_from_job" {
  security_group_id            = aws_security_group.helper.id
  description                  = "helper API from the job tasks"
  referenced_security_group_id = aws_security_group.job.id
  ip_protocol                  = "tcp"
  from_port                    = var.helper_port
  to_port                      = var.helper_port
}

################################################################################
# Job egress
################################################################################

resource "aws_vpc_security_group_egress_rule" "job_to_helper" {
  security_group_id            = aws_security_group.job.id
  description                  = "helper API"
  referenced_security_group_id = aws_security_group.helper.id
  ip_protocol                  = "tcp"
  from_port                    = var.helper_port
  to_port                      = var.helper_port
}

resource "aws_vpc_security_group_egress_rule" "job_to_databases" {
  for_each = local.job_database_rules

  security_group_id = aws_security_group.job.id
  description       = "PostgreSQL on Aiven (DB1, DB2)"
  cidr_ipv4         = each.value.cidr
  ip_protocol       = "tcp"
  from_port         = each.value.port
  to_port           = each.value.port
}

# ECR, Secrets Manager and CloudWatch Logs are reached over HTTPS, through the NAT gateway or VPC endpoints.
resource "aws_vpc_security_group_egress_rule" "job_to_aws_apis" {
  security_group_id = aws_security_group.job.id
  description       = "HTTPS to AWS APIs (ECR, Secrets Manager, CloudWatch Logs)"
  cidr_ipv4         = var.aws_api_cidr_block
  ip_protocol       = "tcp"
  from_port         = 443
  to_port           = 443
}

################################################################################
# Helper egress
################################################################################

resource "aws_vpc_security_group_egress_rule" "helper_to_database" {
  for_each = local.helper_database_rules

  security_group_id = aws_security_group.helper.id
  description       = "the helper's PostgreSQL database"
  cidr_ipv4         = each.value.cidr
  ip_protocol       = "tcp"
  from_port         = each.value.port
  to_port           = each.value.port
}

resource "aws_vpc_security_group_egress_rule" "helper_to_aws_apis" {
  security_group_id = aws_security_group.helper.id
  description       = "HTTPS to AWS APIs (ECR, Secrets Manager, CloudWatch Logs)"
  cidr_ipv4         = var.aws_api_cidr_block
  ip_protocol       = "tcp"
  from_port         = 443
  to_port           = 443
}
