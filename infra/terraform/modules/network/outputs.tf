output "job_security_group_id" {
  description = "Security group of the job tasks (also the only source the helper accepts)."
  value       = aws_security_group.job.id
}

output "helper_security_group_id" {
  description = "Security group of the helper tasks."
  value       = aws_security_group.helper.id
}
