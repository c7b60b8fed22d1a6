################################################################################
# EventBridge Scheduler: starts the job's task on its schedule, no late launches
################################################################################

locals {
  # Any revision of the family: a deploy registers a new revision before the schedule points at it.
  task_definition_family_arn = "arn:${var.partition}:ecs:${var.region}:${var.account_id}:task-definition/${var.task_definition_family}:*"
}

resource "aws_sqs_queue" "dead_letter" {
  name                      = "${var.name}-dlq"
  message_retention_seconds = 1209600
  sqs_managed_sse_enabled   = true
}

resource "aws_scheduler_schedule" "this" {
  #checkov:skip=CKV_AWS_297:A customer managed key would only protect the target input payload, which this schedule does not have (the task reads everything from its definition).
  name                         = var.name
  description                  = "Runs the hestia-sync job (${var.schedule_expression})"
  schedule_expression          = var.schedule_expression
  schedule_expression_timezone = var.timezone
  state                        = var.enabled ? "ENABLED" : "DISABLED"

  flexible_time_window {
    mode = "OFF"
  }

  target {
    arn      = var.cluster_arn
    role_arn = aws_iam_role.this.arn

    ecs_parameters {
      task_definition_arn = var.task_definition_arn
      launch_type         = "FARGATE"
      platform_version    = "LATEST"
      task_count          = 1

      network_configuration {
        subnets          = var.subnet_ids
        security_groups  = var.security_group_ids
        assign_public_ip = false
      }
    }

    # The default retries for 24 hours: a launch that failed could then start hours late, on top of
    # the next scheduled runs. A start that cannot happen soon is dropped to the DLQ instead.
    retry_policy {
      maximum_retry_attempts       = var.maximum_retry_attempts
      maximum_event_age_in_seconds = var.maximum_event_age_seconds
    }

    dead_letter_config {
      arn = aws_sqs_queue.dead_letter.arn
    }
  }
}

################################################################################
# Scheduler role: run exactly the job's family on exactly this cluster, pass exactly its roles
################################################################################

data "aws_iam_policy_document" "assume" {
  statement {
    actions = ["sts:AssumeRole"]

    principals {
      type        = "Service"
      identifiers = ["scheduler.amazonaws.com"]
    }

    condition {
      test     = "StringEquals"
      variable = "aws:SourceAccount"
      values   = [var.account_id]
    }
  }
}

resource "aws_iam_role" "this" {
  name                 = "${var.name}-scheduler"
  description          = "EventBridge Scheduler starting the hestia-sync job task"
  assume_role_policy   = data.aws_iam_policy_document.assume.json
  max_session_duration = 3600
}

resource "aws_iam_role_policy" "this" {
  name   = "run-the-job-task"
  role   = aws_iam_role.this.id
  policy = data.aws_iam_policy_document.permissions.json
}

data "aws_iam_policy_document" "permissions" {
  statement {
    sid       = "RunTheJobTaskOnTheCluster"
    actions   = ["ecs:RunTask"]
    resources = [local.task_definition_family_arn]

    condition {
      test     = "ArnEquals"
      variable = "ecs:cluster"
      values   = [var.cluster_arn]
    }
  }

  statement {
    sid       = "PassTheJobRolesToEcs"
    actions   = ["iam:PassRole"]
    resources = var.pass_role_arns

    condition {
      test     = "StringEquals"
      variable = "iam:PassedToService"
      values   = ["ecs-tasks.amazonaws.com"]
    }
  }

  statement {
    sid       = "RecordFailedStarts"
    actions   = ["sqs:SendMessage"]
    resources = [aws_sqs_queue.dead_letter.arn]
  }
}
