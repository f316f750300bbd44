# Usage example "Production Configuration (Cluster Mode Disabled)" from the module README,
# copied as it is: only `source` differs, and `terraform fmt` whitespace.
# scripts/terraform-test.sh checks it still matches the README and
# ../../seed_examples.tftest.hcl plans it; stubs.tf supplies what it refers to.

module "elasticache" {
  source = "../../.."

  project_name       = "kafka-platform"
  environment        = "prod"
  vpc_id             = module.vpc.vpc_id
  private_subnet_ids = module.vpc.private_subnet_ids

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
  eks_node_security_group_id = module.eks.node_security_group_id
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
