# Usage example "Development Configuration (Cost Optimized)" from the module README,
# copied as it is: only `source` differs, and `terraform fmt` whitespace.
# scripts/terraform-test.sh checks it still matches the README and
# ../../seed_examples.tftest.hcl plans it; stubs.tf supplies what it refers to.

module "elasticache" {
  source = "../../.."

  project_name       = "kafka-platform"
  environment        = "dev"
  vpc_id             = module.vpc.vpc_id
  private_subnet_ids = module.vpc.private_subnet_ids

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

  eks_node_security_group_id = module.eks.node_security_group_id

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
