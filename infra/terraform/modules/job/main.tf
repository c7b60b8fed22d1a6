################################################################################
# Task definition of the sync job: one container, secrets from Secrets Manager, read-only root
################################################################################

locals {
  container_name = "job"

  # Secrets are injected by the ECS agent from Secrets Manager: the task definition only holds ARNs.
  secrets = [for name in sort(keys(var.secret_arns)) : { name = name, valueFrom = var.secret_arns[name] }]

  environment = [
    { name = "HELPER_API_URL", value = var.helper_api_url },
    # CloudWatch is not a terminal: one JSON object per line is what the metric filters parse.
    { name = "JOB_LOG_FORMAT", value = "json" },
  ]
}

resource "aws_ecs_task_definition" "this" {
  family                   = var.family
  requires_compatibilities = ["FARGATE"]
  network_mode             = "awsvpc"
  cpu                      = var.cpu
  memory                   = var.memory
  execution_role_arn       = var.execution_role_arn
  task_role_arn            = var.task_role_arn

  runtime_platform {
    operating_system_family = "LINUX"
    cpu_architecture        = var.cpu_architecture
  }

  # The root filesystem is read-only; Python and libpq may still need a scratch directory.
  volume {
    name = "tmp"
  }

  container_definitions = jsonencode([{
    name                   = local.container_name
    image                  = var.image
    essential              = true
    readonlyRootFilesystem = true
    command                = var.command
    environment            = local.environment
    secrets                = local.secrets
    mountPoints            = [{ sourceVolume = "tmp", containerPath = "/tmp", readOnly = false }]
    # SIGTERM first: the job finishes or abandons its transaction before the SIGKILL.
    stopTimeout = var.stop_timeout_seconds
    logConfiguration = {
      logDriver = "awslogs"
      options = {
        awslogs-group         = var.log_group_name
        awslogs-region        = var.region
        awslogs-stream-prefix = "job"
      }
    }
  }])
}
