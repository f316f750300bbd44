# Development, cost optimised: one cache.t3.micro node, no replicas, no
# encryption, no alarms, 7 days of snapshots. The README's third usage
# example, with the VPC and EKS coming in as inputs.

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

module "elasticache" {
  source = "../../"

  project_name       = "kafka-platform"
  environment        = "dev"
  vpc_id             = var.vpc_id
  private_subnet_ids = var.private_subnet_ids

  # Smaller instance for dev
  node_type      = "cache.t3.micro"
  engine_version = "7.0"

  # Single node (no replicas)
  cluster_mode_enabled       = false
  num_cache_nodes            = 1 # Primary only
  automatic_failover_enabled = false
  multi_az_enabled           = false

  # Shorter retention
  snapshot_retention_limit = 7
  skip_final_snapshot      = true

  eks_node_security_group_id = var.eks_node_security_group_id

  # Minimal encryption for dev
  at_rest_encryption_enabled = false
  transit_encryption_enabled = false

  # Minimal monitoring
  create_cloudwatch_alarms = false

  tags = {
    Terraform   = "true"
    Environment = "dev"
  }
}
