output "name" {
  description = "Name of the EventBridge Scheduler schedule."
  value       = aws_scheduler_schedule.this.name
}

output "arn" {
  description = "ARN of the schedule."
  value       = aws_scheduler_schedule.this.arn
}

output "role_arn" {
  description = "ARN of the role the scheduler uses to start the task."
  value       = aws_iam_role.this.arn
}

output "dead_letter_queue_url" {
  description = "URL of the queue that receives launches that could not start."
  value       = aws_sqs_queue.dead_letter.url
}

output "dead_letter_queue_arn" {
  description = "ARN of the dead-letter queue."
  value       = aws_sqs_queue.dead_letter.arn
}
