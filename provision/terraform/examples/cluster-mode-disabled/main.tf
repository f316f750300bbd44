# Production, cluster mode disabled: one shard of 3 nodes (1 primary + 2
# replicas) across availability zones, TLS + AUTH, 30 days of snapshots and
# the five alarms. The README's first usage example, with the VPC, EKS and
# secret coming in as inputs.

terraform {
  required_version = ">= 1.9"

  required_providers {
    aws = {
      source  = "hashicorp/aws"
      version = ">= 5.0, < 6.0"
    }
  }
}

provider "aws" {
  region = var.region
}

data "aws_secretsmanager_secret_version" "redis_auth_token" {
  secret_id = var.auth_token_secret_id
}

resource "aws_sns_topic" "alerts" {
  name = "kafka-platform-prod-alerts"
}

resource "aws_sns_topic" "elasticache_events" {
  name = "kafka-platform-prod-elasticache-events"
}

module "elasticache" {
  source = "../../"

  project_name       = "kafka-platform"
  environment        = "prod"
  vpc_id             = var.vpc_id
  private_subnet_ids = var.private_subnet_ids

  # Node Configuration
  node_type      = "cache.r6g.xlarge"
  engine_version = "7.0"

  # High Availability (cluster mode disabled)
  cluster_mode_enabled       = false
  num_cache_nodes            = 3 # 1 primary + 2 replicas
  automatic_failover_enabled = true
  multi_az_enabled           = true

  # Persistence
  snapshot_retention_limit = 30
  snapshot_window          = "03:00-05:00"
  skip_final_snapshot      = false

  # Security
  eks_node_security_group_id = var.eks_node_security_group_id
  at_rest_encryption_enabled = true
  transit_encryption_enabled = true
  auth_token                 = data.aws_secretsmanager_secret_version.redis_auth_token.secret_string

  # Parameter Group
  maxmemory_policy = "allkeys-lru"
  timeout          = 300

  # Monitoring
  create_cloudwatch_alarms = true
  alarm_actions            = [aws_sns_topic.alerts.arn]
  notification_topic_arn   = aws_sns_topic.elasticache_events.arn

  tags = {
    Terraform   = "true"
    Environment = "prod"
  }
}
