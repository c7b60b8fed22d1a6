output "cluster_name" {
  description = "ECS cluster of the job and the helper."
  value       = module.cluster.name
}

output "cluster_arn" {
  description = "ARN of the ECS cluster."
  value       = module.cluster.arn
}

output "job_task_definition_arn" {
  description = "Job task definition the schedule runs (with revision)."
  value       = module.job.task_definition_arn
}

output "job_task_definition_family" {
  description = "Job task definition family, for aws ecs run-task."
  value       = module.job.task_definition_family
}

output "job_container_name" {
  description = "Container name to use in run-task command overrides."
  value       = module.job.container_name
}

output "job_network_configuration" {
  description = "Value for aws ecs run-task --network-configuration (private subnets, the job's security group, no public IP)."
  value = jsonencode({
    awsvpcConfiguration = {
      subnets        = var.private_subnet_ids
      securityGroups = [module.network.job_security_group_id]
      assignPublicIp = "DISABLED"
    }
  })
}

output "helper_network_configuration" {
  description = "Value for aws ecs run-task --network-configuration of one-off helper commands (migrate)."
  value = jsonencode({
    awsvpcConfiguration = {
      subnets        = var.private_subnet_ids
      securityGroups = [module.network.helper_security_group_id]
      assignPublicIp = "DISABLED"
    }
  })
}

output "schedule_name" {
  description = "EventBridge Scheduler schedule of the job."
  value       = module.schedule.name
}

output "schedule_arn" {
  description = "ARN of the schedule."
  value       = module.schedule.arn
}

output "schedule_dead_letter_queue_url" {
  description = "Queue holding the launches the scheduler could not start."
  value       = module.schedule.dead_letter_queue_url
}

output "helper_service_name" {
  description = "ECS service of the helper."
  value       = module.helper.service_name
}

output "helper_task_definition_family" {
  description = "Helper task definition family (one-off commands such as migrate)."
  value       = module.helper.task_definition_family
}

output "helper_api_url" {
  description = "Private URL of the helper (the job's HELPER_API_URL)."
  value       = module.helper.url
}

output "job_repository_url" {
  description = "ECR repository the workflow pushes the job image to."
  value       = module.registry["job"].repository_url
}

output "helper_repository_url" {
  description = "ECR repository the workflow pushes the helper image to."
  value       = module.registry["helper"].repository_url
}

output "job_log_group_name" {
  description = "CloudWatch log group of the job."
  value       = module.observability.job_log_group_name
}

output "helper_log_group_name" {
  description = "CloudWatch log group of the helper."
  value       = module.observability.helper_log_group_name
}

output "alarm_topic_arn" {
  description = "SNS topic of every alarm."
  value       = module.observability.alarm_topic_arn
}

output "dashboard_url" {
  description = "Console URL of the CloudWatch dashboard."
  value       = module.observability.dashboard_url
}

output "secret_names" {
  description = "Secrets Manager names to fill out of band, by setting."
  value       = module.secrets.names
}

output "deploy_role_arn" {
  description = "Role GitHub Actions assumes through OIDC to push images and apply (aws-actions/configure-aws-credentials role-to-assume)."
  value       = module.github_oidc.role_arn
}
