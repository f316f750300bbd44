# What the copied usage example refers to outside the module block. module.vpc
# and module.eks are fixed-value stand-ins; the rest are the real resource
# types the platform stack would declare.

terraform {
  required_providers {
    aws = {
      source = "hashicorp/aws"
    }
  }
}

module "vpc" {
  source = "../stubs/vpc"
}

module "eks" {
  source = "../stubs/eks"
}

data "aws_secretsmanager_secret_version" "redis_auth_token" {
  secret_id = "kafka-platform/prod/redis-auth-token"
}

resource "aws_sns_topic" "alerts" {
  name = "kafka-platform-prod-alerts"
}

resource "aws_sns_topic" "elasticache_events" {
  name = "kafka-platform-prod-elasticache-events"
}
