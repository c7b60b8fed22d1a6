output "url" {
  description = "Private URL of the helper API (the job's HELPER_API_URL)."
  value       = local.url
}

output "service_name" {
  description = "Name of the helper's ECS service."
  value       = aws_ecs_service.this.name
}

output "task_definition_arn" {
  description = "ARN of the helper's task definition, with its revision."
  value       = aws_ecs_task_definition.this.arn
}

output "task_definition_family" {
  description = "Family of the helper's task definition (for one-off commands such as migrate)."
  value       = aws_ecs_task_definition.this.family
}

output "namespace_id" {
  description = "ID of the Cloud Map private DNS namespace."
  value       = aws_service_discovery_private_dns_namespace.this.id
}
