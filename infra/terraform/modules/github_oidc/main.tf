################################################################################
# GitHub Actions deploy role: OIDC trust for one repository's environment, scoped permissions
################################################################################

locals {
  p   = var.partition
  r   = var.region
  a   = var.account_id
  arn = "arn:${var.partition}"

  oidc_host         = "token.actions.githubusercontent.com"
  oidc_provider_arn = var.create_oidc_provider ? aws_iam_openid_connect_provider.this[0].arn : var.oidc_provider_arn

  # The role is deliberately outside the <name>-* prefix it manages: it can read itself but not grant
  # itself more. Changes to this module are applied by an administrator (see docs: Deploying).
  role_name = "github-deploy-${var.name}"

  state_object = "${local.arn}:s3:::${var.state_bucket_name}/${var.state_key}"
  # use_lockfile = true keeps the lock next to the state as <key>.tflock.
  state_lock_object = "${local.state_object}.tflock"

  managed = {
    ecs_cluster  = "${local.arn}:ecs:${local.r}:${local.a}:cluster/${var.name}"
    ecs_services = "${local.arn}:ecs:${local.r}:${local.a}:service/${var.name}/*"
    ecs_taskdefs = "${local.arn}:ecs:${local.r}:${local.a}:task-definition/${var.name}-*:*"
    ecr          = "${local.arn}:ecr:${local.r}:${local.a}:repository/${var.name}-*"
    roles        = "${local.arn}:iam::${local.a}:role/${var.name}-*"
    schedules    = "${local.arn}:scheduler:${local.r}:${local.a}:schedule/default/${var.name}*"
    queues       = "${local.arn}:sqs:${local.r}:${local.a}:${var.name}-*"
    topics       = "${local.arn}:sns:${local.r}:${local.a}:${var.name}-*"
    alarms       = "${local.arn}:cloudwatch:${local.r}:${local.a}:alarm:${var.name}-*"
    dashboard    = "${local.arn}:cloudwatch::${local.a}:dashboard/${var.name}"
    log_groups   = "${local.arn}:logs:${local.r}:${local.a}:log-group:${var.log_group_prefix}*"
    secrets      = "${local.arn}:secretsmanager:${local.r}:${local.a}:secret:${var.secret_name_prefix}*"
    kms_alias    = "${local.arn}:kms:${local.r}:${local.a}:alias/${var.name}"
    kms_keys     = "${local.arn}:kms:${local.r}:${local.a}:key/*"
    cloud_map    = "${local.arn}:servicediscovery:${local.r}:${local.a}:*"
    vpc          = "${local.arn}:ec2:${local.r}:${local.a}:vpc/${var.vpc_id}"
    sgs          = "${local.arn}:ec2:${local.r}:${local.a}:security-group/*"
    sg_rules     = "${local.arn}:ec2:${local.r}:${local.a}:security-group-rule/*"
    hosted_zones = "${local.arn}:route53:::hostedzone/*"
  }
}

resource "aws_iam_openid_connect_provider" "this" {
  count = var.create_oidc_provider ? 1 : 0

  url            = "https://${local.oidc_host}"
  client_id_list = ["sts.amazonaws.com"]
}

data "aws_iam_policy_document" "assume" {
  statement {
    actions = ["sts:AssumeRoleWithWebIdentity"]

    principals {
      type        = "Federated"
      identifiers = [local.oidc_provider_arn]
    }

    condition {
      test     = "StringEquals"
      variable = "${local.oidc_host}:aud"
      values   = ["sts.amazonaws.com"]
    }

    # Only jobs that run in the repository's deployment environment (with its protection rules).
    condition {
      test     = "StringEquals"
      variable = "${local.oidc_host}:sub"
      values   = ["repo:${var.github_repository}:environment:${var.github_environment}"]
    }
  }
}

resource "aws_iam_role" "this" {
  name                 = local.role_name
  description          = "GitHub Actions deploys of ${var.github_repository} (environment ${var.github_environment})"
  assume_role_policy   = data.aws_iam_policy_document.assume.json
  max_session_duration = 3600

  lifecycle {
    precondition {
      condition     = var.create_oidc_provider || var.oidc_provider_arn != null
      error_message = "Set oidc_provider_arn to the account's existing GitHub OIDC provider, or create_oidc_provider = true."
    }
  }
}

resource "aws_iam_policy" "this" {
  for_each = {
    push-images       = data.aws_iam_policy_document.push_images.json
    terraform-state   = data.aws_iam_policy_document.terraform_state.json
    apply-compute     = data.aws_iam_policy_document.apply_compute.json
    apply-supporting  = data.aws_iam_policy_document.apply_supporting.json
    apply-unscopeable = data.aws_iam_policy_document.apply_unscopeable.json
  }

  name        = "${local.role_name}-${each.key}"
  description = "GitHub deploys of ${var.name}: ${each.key}"
  policy      = each.value
}

resource "aws_iam_role_policy_attachment" "this" {
  for_each = aws_iam_policy.this

  role       = aws_iam_role.this.name
  policy_arn = each.value.arn
}

################################################################################
# Images and Terraform state
################################################################################

data "aws_iam_policy_document" "push_images" {
  statement {
    sid       = "EcrLogin"
    actions   = ["ecr:GetAuthorizationToken"]
    resources = ["*"]
  }

  statement {
    sid = "PushTheTwoImages"
    actions = [
      "ecr:BatchCheckLayerAvailability", "ecr:BatchGetImage", "ecr:CompleteLayerUpload", "ecr:DescribeImages",
      "ecr:GetDownloadUrlForLayer", "ecr:InitiateLayerUpload", "ecr:PutImage", "ecr:UploadLayerPart",
    ]
    resources = var.ecr_repository_arns
  }
}

data "aws_iam_policy_document" "terraform_state" {
  statement {
    sid       = "ListTheStateBucket"
    actions   = ["s3:ListBucket"]
    resources = ["${local.arn}:s3:::${var.state_bucket_name}"]
  }

  statement {
    sid       = "ReadWriteTheState"
    actions   = ["s3:GetObject", "s3:PutObject"]
    resources = [local.state_object]
  }

  statement {
    sid       = "TakeAndReleaseTheLock"
    actions   = ["s3:GetObject", "s3:PutObject", "s3:DeleteObject"]
    resources = [local.state_lock_object]
  }
}

################################################################################
# terraform apply: what this configuration manages, by name prefix
################################################################################

data "aws_iam_policy_document" "apply_compute" {
  statement {
    sid = "EcsClusterServicesTaskDefinitions"
    actions = [
      "ecs:CreateCluster", "ecs:DeleteCluster", "ecs:DescribeClusters", "ecs:UpdateCluster", "ecs:UpdateClusterSettings",
      "ecs:CreateService", "ecs:DeleteService", "ecs:DescribeServices", "ecs:UpdateService",
      "ecs:ListTagsForResource", "ecs:TagResource", "ecs:UntagResource",
    ]
    resources = [local.managed.ecs_cluster, local.managed.ecs_services, local.managed.ecs_taskdefs]
  }

  statement {
    sid = "EcrRepositories"
    actions = [
      "ecr:CreateRepository", "ecr:DeleteRepository", "ecr:DescribeRepositories", "ecr:DeleteLifecyclePolicy",
      "ecr:GetLifecyclePolicy", "ecr:PutLifecyclePolicy", "ecr:PutImageScanningConfiguration",
      "ecr:PutImageTagMutability", "ecr:ListTagsForResource", "ecr:TagResource", "ecr:UntagResource",
    ]
    resources = [local.managed.ecr]
  }

  statement {
    sid       = "ScheduleAndDeadLetterQueue"
    actions   = ["scheduler:CreateSchedule", "scheduler:DeleteSchedule", "scheduler:GetSchedule", "scheduler:UpdateSchedule"]
    resources = [local.managed.schedules]
  }

  statement {
    sid = "DeadLetterQueue"
    actions = [
      "sqs:CreateQueue", "sqs:DeleteQueue", "sqs:GetQueueAttributes", "sqs:SetQueueAttributes",
      "sqs:ListQueueTags", "sqs:TagQueue", "sqs:UntagQueue",
    ]
    resources = [local.managed.queues]
  }

  statement {
    sid = "RolesOfTheTasksAndScheduler"
    actions = [
      "iam:CreateRole", "iam:DeleteRole", "iam:GetRole", "iam:UpdateRole", "iam:UpdateRoleDescription",
      "iam:UpdateAssumeRolePolicy", "iam:DeleteRolePolicy", "iam:GetRolePolicy", "iam:PutRolePolicy",
      "iam:ListRolePolicies", "iam:ListAttachedRolePolicies", "iam:ListInstanceProfilesForRole",
      "iam:TagRole", "iam:UntagRole",
    ]
    resources = [local.managed.roles]
  }

  statement {
    sid       = "PassThoseRolesToEcsAndScheduler"
    actions   = ["iam:PassRole"]
    resources = [local.managed.roles]

    condition {
      test     = "StringEquals"
      variable = "iam:PassedToService"
      values   = ["ecs-tasks.amazonaws.com", "scheduler.amazonaws.com"]
    }
  }

  statement {
    sid = "ReadThisDeployRoleAndItsProvider"
    actions = [
      "iam:GetRole", "iam:ListRolePolicies", "iam:ListAttachedRolePolicies", "iam:GetPolicy", "iam:GetPolicyVersion",
      "iam:ListPolicyVersions", "iam:GetOpenIDConnectProvider",
    ]
    resources = [
      "${local.arn}:iam::${local.a}:role/${local.role_name}",
      "${local.arn}:iam::${local.a}:policy/${local.role_name}-*",
      "${local.arn}:iam::${local.a}:oidc-provider/${local.oidc_host}",
    ]
  }

  statement {
    sid = "SecurityGroupsInTheVpc"
    actions = [
      "ec2:CreateSecurityGroup", "ec2:DeleteSecurityGroup", "ec2:AuthorizeSecurityGroupEgress",
      "ec2:AuthorizeSecurityGroupIngress", "ec2:RevokeSecurityGroupEgress", "ec2:RevokeSecurityGroupIngress",
      "ec2:ModifySecurityGroupRules", "ec2:UpdateSecurityGroupRuleDescriptionsEgress",
      "ec2:UpdateSecurityGroupRuleDescriptionsIngress", "ec2:CreateTags", "ec2:DeleteTags",
    ]
    resources = [local.managed.sgs, local.managed.vpc]

    condition {
      test     = "ArnEquals"
      variable = "ec2:Vpc"
      values   = [local.managed.vpc]
    }
  }

  statement {
    sid       = "TagSecurityGroupRules"
    actions   = ["ec2:CreateTags", "ec2:DeleteTags"]
    resources = [local.managed.sg_rules]
  }

  # The deploy ends by running the job once with `check` and reading its exit code and log.
  statement {
    sid       = "RunTheJobOnceToCheckTheDeploy"
    actions   = ["ecs:RunTask"]
    resources = ["${local.arn}:ecs:${local.r}:${local.a}:task-definition/${var.name}-job:*"]

    condition {
      test     = "ArnEquals"
      variable = "ecs:cluster"
      values   = [local.managed.ecs_cluster]
    }
  }

  statement {
    sid       = "FollowThatCheckRun"
    actions   = ["ecs:DescribeTasks"]
    resources = ["${local.arn}:ecs:${local.r}:${local.a}:task/${var.name}/*"]
  }

  statement {
    sid       = "ReadTheCheckRunsLog"
    actions   = ["logs:GetLogEvents"]
    resources = ["${local.managed.log_groups}:log-stream:*"]
  }

  statement {
    sid = "CloudMapNamespaceAndService"
    actions = [
      "servicediscovery:CreateService", "servicediscovery:DeleteService", "servicediscovery:GetService",
      "servicediscovery:UpdateService", "servicediscovery:DeleteNamespace", "servicediscovery:GetNamespace",
      "servicediscovery:ListTagsForResource", "servicediscovery:TagResource", "servicediscovery:UntagResource",
    ]
    resources = [local.managed.cloud_map]
  }

  statement {
    sid = "CloudMapHostedZone"
    actions = [
      "route53:AssociateVPCWithHostedZone", "route53:ChangeResourceRecordSets", "route53:DeleteHostedZone",
      "route53:GetHostedZone", "route53:ListResourceRecordSets",
    ]
    resources = [local.managed.hosted_zones]
  }
}

data "aws_iam_policy_document" "apply_supporting" {
  statement {
    sid = "LogGroupsAndMetricFilters"
    actions = [
      "logs:CreateLogGroup", "logs:DeleteLogGroup", "logs:PutRetentionPolicy", "logs:DeleteRetentionPolicy",
      "logs:AssociateKmsKey", "logs:DisassociateKmsKey", "logs:PutMetricFilter", "logs:DeleteMetricFilter",
      "logs:DescribeMetricFilters", "logs:ListTagsForResource", "logs:ListTagsLogGroup", "logs:TagResource",
      "logs:UntagResource", "logs:TagLogGroup", "logs:UntagLogGroup",
    ]
    resources = [local.managed.log_groups, "${local.managed.log_groups}:*"]
  }

  statement {
    sid = "AlarmsAndDashboard"
    actions = [
      "cloudwatch:DeleteAlarms", "cloudwatch:DescribeAlarms", "cloudwatch:PutMetricAlarm",
      "cloudwatch:ListTagsForResource", "cloudwatch:TagResource", "cloudwatch:UntagResource",
      "cloudwatch:DeleteDashboards", "cloudwatch:GetDashboard", "cloudwatch:PutDashboard",
    ]
    resources = [local.managed.alarms, local.managed.dashboard]
  }

  statement {
    sid = "AlarmTopic"
    actions = [
      "sns:CreateTopic", "sns:DeleteTopic", "sns:GetTopicAttributes", "sns:SetTopicAttributes",
      "sns:Subscribe", "sns:Unsubscribe", "sns:GetSubscriptionAttributes", "sns:SetSubscriptionAttributes",
      "sns:ListTagsForResource", "sns:TagResource", "sns:UntagResource",
    ]
    resources = [local.managed.topics]
  }

  # Containers only: no GetSecretValue or PutSecretValue, the values never pass through the deploy.
  statement {
    sid = "SecretContainers"
    actions = [
      "secretsmanager:CreateSecret", "secretsmanager:DeleteSecret", "secretsmanager:DescribeSecret",
      "secretsmanager:UpdateSecret", "secretsmanager:GetResourcePolicy", "secretsmanager:TagResource",
      "secretsmanager:UntagResource",
    ]
    resources = [local.managed.secrets]
  }

  statement {
    sid = "TheEnvironmentsKey"
    actions = [
      "kms:DescribeKey", "kms:GetKeyPolicy", "kms:GetKeyRotationStatus", "kms:ListResourceTags", "kms:PutKeyPolicy",
      "kms:EnableKeyRotation", "kms:ScheduleKeyDeletion", "kms:TagResource", "kms:UntagResource",
      "kms:CreateGrant", "kms:CreateAlias", "kms:DeleteAlias", "kms:UpdateAlias",
    ]
    resources = [local.managed.kms_keys]

    # Keys are named by id only: the tags written by the provider's default_tags say which are ours.
    condition {
      test     = "StringEquals"
      variable = "aws:ResourceTag/Project"
      values   = [var.project_tag]
    }

    condition {
      test     = "StringEquals"
      variable = "aws:ResourceTag/Environment"
      values   = [var.environment_tag]
    }
  }

  statement {
    sid       = "TheEnvironmentsKeyAlias"
    actions   = ["kms:CreateAlias", "kms:DeleteAlias", "kms:UpdateAlias"]
    resources = [local.managed.kms_alias]
  }
}

# These actions have no resource-level permissions in IAM: "*" is the only resource AWS accepts.
data "aws_iam_policy_document" "apply_unscopeable" {
  statement {
    sid = "ReadOnlyDescribes"
    actions = [
      "ec2:DescribeSecurityGroups", "ec2:DescribeSecurityGroupRules", "ec2:DescribeVpcs",
      "ec2:DescribeSubnets", "ec2:DescribeNetworkInterfaces", "ecs:DescribeTaskDefinition", "kms:ListAliases",
      "logs:DescribeLogGroups", "servicediscovery:GetOperation", "servicediscovery:ListNamespaces",
      "route53:ListHostedZonesByName",
    ]
    resources = ["*"]
  }

  statement {
    sid       = "CreateTaggedKey"
    actions   = ["kms:CreateKey"]
    resources = ["*"]

    condition {
      test     = "StringEquals"
      variable = "aws:RequestTag/Project"
      values   = [var.project_tag]
    }

    condition {
      test     = "StringEquals"
      variable = "aws:RequestTag/Environment"
      values   = [var.environment_tag]
    }
  }

  statement {
    sid = "RegisterTaskDefinitionsAndNamespace"
    actions = [
      "ecs:RegisterTaskDefinition", "ecs:DeregisterTaskDefinition", "servicediscovery:CreatePrivateDnsNamespace",
      "route53:CreateHostedZone",
    ]
    resources = ["*"]
  }
}
