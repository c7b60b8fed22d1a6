################################################################################
# Customer managed key for the environment's secrets, logs, alarms topic and images
################################################################################

locals {
  account_root = "arn:${var.partition}:iam::${var.account_id}:root"
}

resource "aws_kms_key" "this" {
  description             = "${var.name}: secrets, logs, alarm topic and container images"
  enable_key_rotation     = true
  deletion_window_in_days = var.deletion_window_in_days
  policy                  = data.aws_iam_policy_document.key.json
}

resource "aws_kms_alias" "this" {
  name          = "alias/${var.name}"
  target_key_id = aws_kms_key.this.key_id
}

data "aws_iam_policy_document" "key" {
  #checkov:skip=CKV_AWS_111:This is a key policy: its Resource "*" means this key only, and the account root statement is what lets IAM policies grant use of it.
  #checkov:skip=CKV_AWS_356:This is a key policy: its Resource "*" means this key only.
  #checkov:skip=CKV_AWS_109:This is a key policy: its Resource "*" means this key only, and only the account root may administer it.
  # Without this statement IAM policies could not grant use of the key and the account could lock itself out.
  statement {
    sid       = "AccountAdministersKeyThroughIam"
    actions   = ["kms:*"]
    resources = ["*"]

    principals {
      type        = "AWS"
      identifiers = [local.account_root]
    }
  }

  statement {
    sid       = "LogsEncryptTheEnvironmentsLogGroups"
    actions   = ["kms:Encrypt", "kms:Decrypt", "kms:ReEncrypt*", "kms:GenerateDataKey*", "kms:DescribeKey"]
    resources = ["*"]

    principals {
      type        = "Service"
      identifiers = ["logs.${var.region}.amazonaws.com"]
    }

    condition {
      test     = "ArnLike"
      variable = "kms:EncryptionContext:aws:logs:arn"
      values   = ["arn:${var.partition}:logs:${var.region}:${var.account_id}:log-group:${var.log_group_prefix}*"]
    }
  }

  # CloudWatch alarms publish to the encrypted SNS topic and need the data key to do it.
  statement {
    sid       = "CloudWatchAlarmsPublishToTheEncryptedTopic"
    actions   = ["kms:Decrypt", "kms:GenerateDataKey*"]
    resources = ["*"]

    principals {
      type        = "Service"
      identifiers = ["cloudwatch.amazonaws.com"]
    }

    condition {
      test     = "StringEquals"
      variable = "aws:SourceAccount"
      values   = [var.account_id]
    }
  }
}
