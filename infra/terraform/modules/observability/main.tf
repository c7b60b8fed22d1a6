################################################################################
# Logs, metrics from the JSON log lines, alarms to one SNS topic, and a dashboard
################################################################################

locals {
  run_finished  = "$.event = \"run_finished\""
  flow_finished = "$.event = \"flow_finished\""
  request       = "$.event = \"request\""

  # From the job's last line per run ({"event":"run_finished","status":...}).
  job_metrics = {
    runs_succeeded = { metric = "RunsSucceeded", value = "1", unit = "Count", pattern = "{ (${local.run_finished}) && ($.command = \"run\") && (($.status = \"ok\") || ($.status = \"partial\")) }" }
    runs_failed    = { metric = "RunsFailed", value = "1", unit = "Count", pattern = "{ (${local.run_finished}) && ($.status = \"failed\") }" }
    runs_skipped   = { metric = "RunsSkipped", value = "1", unit = "Count", pattern = "{ (${local.run_finished}) && ($.status = \"skipped\") }" }
    rows_rejected  = { metric = "RowsRejected", value = "$.rejected", unit = "Count", pattern = "{ ${local.run_finished} }" }
    rows_deferred  = { metric = "RowsDeferred", value = "$.deferred", unit = "Count", pattern = "{ ${local.run_finished} }" }
    run_duration   = { metric = "RunDuration", value = "$.duration_s", unit = "Seconds", pattern = "{ ${local.run_finished} }" }
  }

  # From each flow's line ({"event":"flow_finished","flow":"plans",...}), one series per flow.
  flow_metrics = {
    flow_inserted = { metric = "FlowRowsInserted", value = "$.inserted", unit = "Count" }
    flow_updated  = { metric = "FlowRowsUpdated", value = "$.updated", unit = "Count" }
    flow_rejected = { metric = "FlowRowsRejected", value = "$.rejected", unit = "Count" }
    flow_deferred = { metric = "FlowRowsDeferred", value = "$.deferred", unit = "Count" }
    flow_duration = { metric = "FlowDuration", value = "$.duration_s", unit = "Seconds" }
  }

  # From the helper's request log ({"event":"request","method":...,"status":...,"duration_ms":...}).
  helper_metrics = {
    requests      = { metric = "HelperRequests", value = "1", unit = "Count", pattern = "{ ${local.request} }" }
    latency       = { metric = "HelperLatency", value = "$.duration_ms", unit = "Milliseconds", pattern = "{ ${local.request} }" }
    server_errors = { metric = "Helper5xx", value = "1", unit = "Count", pattern = "{ (${local.request}) && ($.status >= 500) }" }
  }
}

resource "aws_cloudwatch_log_group" "job" {
  name              = "${var.log_group_prefix}job"
  retention_in_days = var.log_retention_days
  kms_key_id        = var.kms_key_arn
}

resource "aws_cloudwatch_log_group" "helper" {
  name              = "${var.log_group_prefix}helper"
  retention_in_days = var.log_retention_days
  kms_key_id        = var.kms_key_arn
}

resource "aws_sns_topic" "alarms" {
  name              = "${var.name}-alarms"
  kms_master_key_id = var.kms_key_arn
}

resource "aws_sns_topic_subscription" "email" {
  for_each = toset(var.alarm_email_addresses)

  topic_arn = aws_sns_topic.alarms.arn
  protocol  = "email"
  endpoint  = each.value
}

################################################################################
# Metric filters
################################################################################

resource "aws_cloudwatch_log_metric_filter" "job" {
  for_each = local.job_metrics

  name           = "${var.name}-${replace(each.key, "_", "-")}"
  log_group_name = aws_cloudwatch_log_group.job.name
  pattern        = each.value.pattern

  metric_transformation {
    name      = each.value.metric
    namespace = var.metric_namespace
    value     = each.value.value
    unit      = each.value.unit
  }
}

resource "aws_cloudwatch_log_metric_filter" "flow" {
  for_each = local.flow_metrics

  name           = "${var.name}-${replace(each.key, "_", "-")}"
  log_group_name = aws_cloudwatch_log_group.job.name
  pattern        = "{ ${local.flow_finished} }"

  metric_transformation {
    name       = each.value.metric
    namespace  = var.metric_namespace
    value      = each.value.value
    unit       = each.value.unit
    dimensions = { Flow = "$.flow" }
  }
}

resource "aws_cloudwatch_log_metric_filter" "helper" {
  for_each = local.helper_metrics

  name           = "${var.name}-helper-${replace(each.key, "_", "-")}"
  log_group_name = aws_cloudwatch_log_group.helper.name
  pattern        = each.value.pattern

  metric_transformation {
    name      = each.value.metric
    namespace = var.metric_namespace
    value     = each.value.value
    unit      = each.value.unit
  }
}

################################################################################
# Alarms: every one notifies the topic when it fires and when it clears
################################################################################

resource "aws_cloudwatch_metric_alarm" "no_successful_run" {
  alarm_name          = "${var.name}-no-successful-run"
  alarm_description   = "No run finished ok or partial for ${var.no_success_window_minutes} minutes: the job is failing, skipped, or not starting."
  namespace           = var.metric_namespace
  metric_name         = aws_cloudwatch_log_metric_filter.job["runs_succeeded"].metric_transformation[0].name
  statistic           = "Sum"
  period              = var.no_success_window_minutes * 60
  evaluation_periods  = 1
  comparison_operator = "LessThanThreshold"
  threshold           = 1
  # No data means no successful run: exactly what this alarm is for.
  treat_missing_data = "breaching"
  alarm_actions      = [aws_sns_topic.alarms.arn]
  ok_actions         = [aws_sns_topic.alarms.arn]
}

resource "aws_cloudwatch_metric_alarm" "runs_failed" {
  alarm_name          = "${var.name}-runs-failed"
  alarm_description   = "A job run ended with status failed (exit code 1). See the job log group."
  namespace           = var.metric_namespace
  metric_name         = aws_cloudwatch_log_metric_filter.job["runs_failed"].metric_transformation[0].name
  statistic           = "Sum"
  period              = var.alarm_period_seconds
  evaluation_periods  = 1
  comparison_operator = "GreaterThanOrEqualToThreshold"
  threshold           = 1
  treat_missing_data  = "notBreaching"
  alarm_actions       = [aws_sns_topic.alarms.arn]
  ok_actions          = [aws_sns_topic.alarms.arn]
}

resource "aws_cloudwatch_metric_alarm" "rows_rejected" {
  alarm_name          = "${var.name}-rows-rejected"
  alarm_description   = "Rows were rejected (invalid for the target schema). They are recorded; look at the run's log."
  namespace           = var.metric_namespace
  metric_name         = aws_cloudwatch_log_metric_filter.job["rows_rejected"].metric_transformation[0].name
  statistic           = "Sum"
  period              = var.alarm_period_seconds
  evaluation_periods  = 1
  comparison_operator = "GreaterThanOrEqualToThreshold"
  threshold           = var.rejected_rows_threshold
  treat_missing_data  = "notBreaching"
  alarm_actions       = [aws_sns_topic.alarms.arn]
  ok_actions          = [aws_sns_topic.alarms.arn]
}

resource "aws_cloudwatch_metric_alarm" "rows_deferred" {
  alarm_name          = "${var.name}-rows-deferred"
  alarm_description   = "Rows stayed deferred over ${var.deferred_rows_evaluation_periods} periods in a row (usually the helper API is unreachable)."
  namespace           = var.metric_namespace
  metric_name         = aws_cloudwatch_log_metric_filter.job["rows_deferred"].metric_transformation[0].name
  statistic           = "Sum"
  period              = var.alarm_period_seconds
  evaluation_periods  = var.deferred_rows_evaluation_periods
  datapoints_to_alarm = var.deferred_rows_evaluation_periods
  comparison_operator = "GreaterThanOrEqualToThreshold"
  threshold           = var.deferred_rows_threshold
  treat_missing_data  = "notBreaching"
  alarm_actions       = [aws_sns_topic.alarms.arn]
  ok_actions          = [aws_sns_topic.alarms.arn]
}

resource "aws_cloudwatch_metric_alarm" "run_duration" {
  alarm_name          = "${var.name}-run-duration"
  alarm_description   = "A run took ${var.run_duration_threshold_seconds} s or more: close to the schedule interval, runs will start to skip."
  namespace           = var.metric_namespace
  metric_name         = aws_cloudwatch_log_metric_filter.job["run_duration"].metric_transformation[0].name
  statistic           = "Maximum"
  period              = var.alarm_period_seconds
  evaluation_periods  = 1
  comparison_operator = "GreaterThanOrEqualToThreshold"
  threshold           = var.run_duration_threshold_seconds
  treat_missing_data  = "notBreaching"
  alarm_actions       = [aws_sns_topic.alarms.arn]
  ok_actions          = [aws_sns_topic.alarms.arn]
}

resource "aws_cloudwatch_metric_alarm" "helper_5xx" {
  alarm_name          = "${var.name}-helper-5xx"
  alarm_description   = "The helper API answered ${var.helper_5xx_threshold} or more 5xx in 5 minutes."
  namespace           = var.metric_namespace
  metric_name         = aws_cloudwatch_log_metric_filter.helper["server_errors"].metric_transformation[0].name
  statistic           = "Sum"
  period              = 300
  evaluation_periods  = 1
  comparison_operator = "GreaterThanOrEqualToThreshold"
  threshold           = var.helper_5xx_threshold
  treat_missing_data  = "notBreaching"
  alarm_actions       = [aws_sns_topic.alarms.arn]
  ok_actions          = [aws_sns_topic.alarms.arn]
}

resource "aws_cloudwatch_metric_alarm" "helper_latency" {
  alarm_name          = "${var.name}-helper-latency-p99"
  alarm_description   = "The helper API's p99 latency stayed at ${var.helper_latency_p99_threshold_ms} ms or more for 15 minutes."
  namespace           = var.metric_namespace
  metric_name         = aws_cloudwatch_log_metric_filter.helper["latency"].metric_transformation[0].name
  extended_statistic  = "p99"
  period              = 300
  evaluation_periods  = 3
  comparison_operator = "GreaterThanOrEqualToThreshold"
  threshold           = var.helper_latency_p99_threshold_ms
  treat_missing_data  = "notBreaching"
  alarm_actions       = [aws_sns_topic.alarms.arn]
  ok_actions          = [aws_sns_topic.alarms.arn]
}

################################################################################
# Dashboard
################################################################################

locals {
  ns = var.metric_namespace

  per_flow = { for key, m in local.flow_metrics : key => [for flow in var.flows : [local.ns, m.metric, "Flow", flow]] }

  widgets = [
    { title = "Runs", stat = "Sum", period = var.alarm_period_seconds, metrics = [
      [local.ns, "RunsSucceeded"], [local.ns, "RunsFailed"], [local.ns, "RunsSkipped"],
    ] },
    { title = "Run duration (s)", stat = "Maximum", period = var.alarm_period_seconds, metrics = [
      [local.ns, "RunDuration"], [local.ns, "RunDuration", { stat = "Average" }],
    ] },
    { title = "Rows inserted per flow", stat = "Sum", period = var.alarm_period_seconds, metrics = local.per_flow["flow_inserted"] },
    { title = "Rows updated per flow", stat = "Sum", period = var.alarm_period_seconds, metrics = local.per_flow["flow_updated"] },
    { title = "Rejected and deferred rows", stat = "Sum", period = var.alarm_period_seconds, metrics = concat(
      [[local.ns, "RowsRejected"], [local.ns, "RowsDeferred"]], local.per_flow["flow_rejected"],
    ) },
    { title = "Flow duration (s)", stat = "Maximum", period = var.alarm_period_seconds, metrics = local.per_flow["flow_duration"] },
    { title = "Helper latency (ms)", stat = "p99", period = 300, metrics = [
      [local.ns, "HelperLatency"], [local.ns, "HelperLatency", { stat = "p50" }],
    ] },
    { title = "Helper requests and 5xx", stat = "Sum", period = 300, metrics = [
      [local.ns, "HelperRequests"], [local.ns, "Helper5xx"],
    ] },
  ]
}

resource "aws_cloudwatch_dashboard" "this" {
  dashboard_name = var.name

  dashboard_body = jsonencode({
    widgets = concat(
      [for i, w in local.widgets : {
        type   = "metric"
        x      = (i % 2) * 12
        y      = floor(i / 2) * 6
        width  = 12
        height = 6
        properties = {
          title   = w.title
          region  = var.region
          stat    = w.stat
          period  = w.period
          view    = "timeSeries"
          metrics = w.metrics
        }
      }],
      [{
        type   = "alarm"
        x      = 0
        y      = ceil(length(local.widgets) / 2) * 6
        width  = 24
        height = 4
        properties = {
          title = "Alarms"
          alarms = [
            aws_cloudwatch_metric_alarm.no_successful_run.arn,
            aws_cloudwatch_metric_alarm.runs_failed.arn,
            aws_cloudwatch_metric_alarm.rows_rejected.arn,
            aws_cloudwatch_metric_alarm.rows_deferred.arn,
            aws_cloudwatch_metric_alarm.run_duration.arn,
            aws_cloudwatch_metric_alarm.helper_5xx.arn,
            aws_cloudwatch_metric_alarm.helper_latency.arn,
          ]
        }
      }],
    )
  })
}
