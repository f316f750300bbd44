# Production, cluster mode enabled: 3 shards x (1 primary + 2 replicas) = 9
# nodes, TLS + AUTH and the five alarms per node. The README's second usage
# example, with the VPC, EKS and secret coming in as inputs.

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

module "elasticache" {
  source = "../../"

  project_name       = "kafka-platform"
  environment        = "prod"
  vpc_id             = var.vpc_id
  private_subnet_ids = var.private_subnet_ids

  node_type      = "cache.r6g.xlarge"
  engine_version = "7.0"

  # Cluster mode (horizontal scaling)
  cluster_mode_enabled    = true
  num_node_groups         = 3 # 3 shards
  replicas_per_node_group = 2 # 2 replicas per shard
  # Total nodes: 3 shards x (1 primary + 2 replicas) = 9 nodes

  automatic_failover_enabled = true
  multi_az_enabled           = true

  snapshot_retention_limit   = 30
  eks_node_security_group_id = var.eks_node_security_group_id
  at_rest_encryption_enabled = true
  transit_encryption_enabled = true
  auth_token                 = data.aws_secretsmanager_secret_version.redis_auth_token.secret_string

  maxmemory_policy = "allkeys-lru"

  create_cloudwatch_alarms = true
  alarm_actions            = [aws_sns_topic.alerts.arn]

  tags = {
    Terraform   = "true"
    Environment = "prod"
  }
}
