output "execution_role_arn" {
  description = "ARN of the task execution role shared by the job and the helper task definitions."
  value       = aws_iam_role.execution.arn
}

output "job_task_role_arn" {
  description = "ARN of the job's task role (no permissions)."
  value       = aws_iam_role.job_task.arn
}

output "helper_task_role_arn" {
  description = "ARN of the helper's task role (no permissions)."
  value       = aws_iam_role.helper_task.arn
}
