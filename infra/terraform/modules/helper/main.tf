################################################################################
# The helper API: a Fargate service in private subnets, found by the job through Cloud Map DNS
################################################################################

locals {
  container_name = "helper"
  # ECS Service Connect does not serve standalone (scheduled) tasks, so the job resolves a plain DNS name.
  url = "http://${aws_service_discovery_service.this.name}.${aws_service_discovery_private_dns_namespace.this.name}:${var.port}"

  # Secrets are injected by the ECS agent from Secrets Manager: the task definition only holds ARNs.
  secrets = [for name in sort(keys(var.secret_arns)) : { name = name, valueFrom = var.secret_arns[name] }]

  environment = [
    # Inside the task the helper must listen on the task's interface, not only on loopback.
    { name = "HELPER_BIND", value = "0.0.0.0:${var.port}" },
    { name = "HELPER_RATE_LIMIT_PER_MINUTE", value = tostring(var.rate_limit_per_minute) },
    # Counted by the TCP peer's address: the job reaches the task directly, with no proxy in between.
    { name = "HELPER_AUTH_FAILURES_PER_MINUTE", value = tostring(var.auth_failures_per_minute) },
  ]
}

resource "aws_service_discovery_private_dns_namespace" "this" {
  name        = var.namespace_name
  description = "Private names of hestia-sync services"
  vpc         = var.vpc_id
}

resource "aws_service_discovery_service" "this" {
  name = "helper"

  dns_config {
    namespace_id   = aws_service_discovery_private_dns_namespace.this.id
    routing_policy = "MULTIVALUE"

    dns_records {
      type = "A"
      ttl  = 10
    }
  }

  # ECS reports each task's container health to Cloud Map: unhealthy tasks leave the DNS answers.
  health_check_custom_config {
    failure_threshold = 1
  }
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

  # Gunicorn keeps worker heartbeat files in a temporary directory; the root filesystem is read-only.
  volume {
    name = "tmp"
  }

  container_definitions = jsonencode([{
    name                   = local.container_name
    image                  = var.image
    essential              = true
    readonlyRootFilesystem = true
    portMappings           = [{ containerPort = var.port, protocol = "tcp" }]
    environment            = local.environment
    secrets                = local.secrets
    mountPoints            = [{ sourceVolume = "tmp", containerPath = "/tmp", readOnly = false }]
    # The image's own probe (GET /healthz on the port of HELPER_BIND): the image has no curl.
    healthCheck = {
      command     = ["CMD", "python", "/app/healthcheck.py"]
      interval    = 15
      timeout     = 5
      retries     = 3
      startPeriod = 20
    }
    # SIGTERM lets gunicorn finish in-flight requests before the SIGKILL.
    stopTimeout = var.stop_timeout_seconds
    logConfiguration = {
      logDriver = "awslogs"
      options = {
        awslogs-group         = var.log_group_name
        awslogs-region        = var.region
        awslogs-stream-prefix = "helper"
      }
    }
  }])
}

resource "aws_ecs_service" "this" {
  name                               = var.name
  cluster                            = var.cluster_arn
  task_definition                    = aws_ecs_task_definition.this.arn
  desired_count                      = var.desired_count
  launch_type                        = "FARGATE"
  platform_version                   = "LATEST"
  deployment_minimum_healthy_percent = 100
  deployment_maximum_percent         = 200
  enable_ecs_managed_tags            = true
  propagate_tags                     = "SERVICE"
  wait_for_steady_state              = var.wait_for_steady_state

  deployment_circuit_breaker {
    enable   = true
    rollback = true
  }

  network_configuration {
    subnets          = var.subnet_ids
    security_groups  = [var.security_group_id]
    assign_public_ip = false
  }

  service_registries {
    registry_arn   = aws_service_discovery_service.this.arn
    container_name = local.container_name
  }

  lifecycle {
    # After a circuit-breaker rollback the service is steady again, on the old revision, and the
    # provider reports success: this check turns the rollback into a failed apply.
    postcondition {
      condition     = !var.wait_for_steady_state || self.task_definition == aws_ecs_task_definition.this.arn
      error_message = "The helper's new tasks never became healthy and ECS rolled the service back to its previous task definition: read the stopped tasks' reasons (aws ecs describe-tasks) and the helper's log group, then fix and deploy again."
    }
  }
}
