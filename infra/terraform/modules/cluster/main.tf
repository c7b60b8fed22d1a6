################################################################################
# ECS cluster shared by the scheduled job and the helper service
################################################################################

resource "aws_ecs_cluster" "this" {
  name = var.name

  setting {
    name  = "containerInsights"
    value = "enabled"
  }
}
