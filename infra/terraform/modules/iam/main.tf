################################################################################
# Roles of the ECS tasks: one execution role (pull, secrets, logs) and two empty task roles
################################################################################

data "aws_iam_policy_document" "ecs_tasks_assume" {
  statement {
    actions = ["sts:AssumeRole"]

    principals {
      type        = "Service"
      identifiers = ["ecs-tasks.amazonaws.com"]
    }

    # Confused-deputy guard: only ECS acting for this account may assume the roles.
    condition {
      test     = "StringEquals"
      variable = "aws:SourceAccount"
      values   = [var.account_id]
    }
  }
}

resource "aws_iam_role" "execution" {
  name                 = "${var.name}-task-execution"
  description          = "ECS agent for hestia-sync tasks: pulls the two images, reads their secrets, writes their logs"
  assume_role_policy   = data.aws_iam_policy_document.ecs_tasks_assume.json
  max_session_duration = 3600
}

resource "aws_iam_role_policy" "execution" {
  name   = "pull-images-read-secrets-write-logs"
  role   = aws_iam_role.execution.id
  policy = data.aws_iam_policy_document.execution.json
}

data "aws_iam_policy_document" "execution" {
  # GetAuthorizationToken has no resource-level permissions: AWS only accepts "*" for it.
  statement {
    sid       = "EcrLogin"
    actions   = ["ecr:GetAuthorizationToken"]
    resources = ["*"]
  }

  statement {
    sid       = "PullTheTwoImages"
    actions   = ["ecr:BatchCheckLayerAvailability", "ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer"]
    resources = var.repository_arns
  }

  statement {
    sid       = "ReadTheTaskSecrets"
    actions   = ["secretsmanager:GetSecretValue"]
    resources = var.secret_arns
  }

  statement {
    sid       = "DecryptTheSecretsThroughSecretsManager"
    actions   = ["kms:Decrypt"]
    resources = [var.kms_key_arn]

    condition {
      test     = "StringEquals"
      variable = "kms:ViaService"
      values   = ["secretsmanager.${var.region}.amazonaws.com"]
    }
  }

  statement {
    sid       = "WriteTheTwoLogGroups"
    actions   = ["logs:CreateLogStream", "logs:PutLogEvents"]
    resources = [for arn in var.log_group_arns : "${arn}:log-stream:*"]
  }
}

# The job and the helper call no AWS API themselves: their task roles carry no policy at all.
resource "aws_iam_role" "job_task" {
  name                 = "${var.name}-job-task"
  description          = "hestia-sync job containers (no AWS permissions: the job talks only to PostgreSQL and the helper)"
  assume_role_policy   = data.aws_iam_policy_document.ecs_tasks_assume.json
  max_session_duration = 3600
}

resource "aws_iam_role" "helper_task" {
  name                 = "${var.name}-helper-task"
  description          = "hestia-sync helper containers (no AWS permissions: the helper talks only to PostgreSQL)"
  assume_role_policy   = data.aws_iam_policy_document.ecs_tasks_assume.json
  max_session_duration = 3600
}
