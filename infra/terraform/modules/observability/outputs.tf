output "job_log_group_name" {
  description = "Log group of the job."
  value       = aws_cloudwatch_log_group.job.name
}

output "job_log_group_arn" {
  description = "ARN of the job's log group."
  value       = aws_cloudwatch_log_group.job.arn
}

output "helper_log_group_name" {
  description = "Log group of the helper."
  value       = aws_cloudwatch_log_group.helper.name
}

output "helper_log_group_arn" {
  description = "ARN of the helper's log group."
  value       = aws_cloudwatch_log_group.helper.arn
}

output "alarm_topic_arn" {
  description = "SNS topic every alarm notifies."
  value       = aws_sns_topic.alarms.arn
}

output "alarm_names" {
  description = "Names of the alarms."
  value = [
    aws_cloudwatch_metric_alarm.no_successful_run.alarm_name,
    aws_cloudwatch_metric_alarm.runs_failed.alarm_name,
    aws_cloudwatch_metric_alarm.rows_rejected.alarm_name,
    aws_cloudwatch_metric_alarm.rows_deferred.alarm_name,
    aws_cloudwatch_metric_alarm.run_duration.alarm_name,
    aws_cloudwatch_metric_alarm.helper_5xx.alarm_name,
    aws_cloudwatch_metric_alarm.helper_latency.alarm_name,
  ]
}

output "dashboard_name" {
  description = "Name of the CloudWatch dashboard."
  value       = aws_cloudwatch_dashboard.this.dashboard_name
}

output "dashboard_url" {
  description = "Console URL of the dashboard."
  value       = "https://${var.region}.console.aws.amazon.com/cloudwatch/home?region=${var.region}#dashboards:name=${aws_cloudwatch_dashboard.this.dashboard_name}"
}
