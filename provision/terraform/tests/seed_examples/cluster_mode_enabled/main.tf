# Usage example "Production Configuration (Cluster Mode Enabled)" from the module README,
# copied as it is: only `source` differs, and `terraform fmt` whitespace.
# scripts/terraform-test.sh checks it still matches the README and
# ../../seed_examples.tftest.hcl plans it; stubs.tf supplies what it refers to.

module "elasticache" {
  source = "../../.."

  project_name       = "kafka-platform"
  environment        = "prod"
  vpc_id             = module.vpc.vpc_id
  private_subnet_ids = module.vpc.private_subnet_ids

  node_type      = "cache.r6g.xlarge"
  engine_version = "7.0"

  # Cluster mode (horizontal scaling)
  cluster_mode_enabled    = true
  num_node_groups         = 3 # 3 shards
  replicas_per_node_group = 2 # 2 replicas per shard
  # Total nodes: 3 shards × (1 primary + 2 replicas) = 9 nodes

  automatic_failover_enabled = true
  multi_az_enabled           = true

  snapshot_retention_limit   = 30
  eks_node_security_group_id = module.eks.node_security_group_id
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
