output "task_definition_arn" {
  description = "ARN of the job's task definition, with its revision."
  value       = aws_ecs_task_definition.this.arn
}

output "task_definition_family" {
  description = "Family of the job's task definition (aws ecs run-task --task-definition <family>)."
  value       = aws_ecs_task_definition.this.family
}

output "container_name" {
  description = "Name of the job's container (for command overrides)."
  value       = local.container_name
}
