# Outputs for ../../seed_examples.tftest.hcl, which can read a root's outputs
# but not the resources inside module.elasticache.

output "replication_group_id" {
  value = module.elasticache.replication_group_id
}

output "member_cluster_ids" {
  value = module.elasticache.member_cluster_ids
}

output "cloudwatch_alarm_names" {
  value = module.elasticache.cloudwatch_alarm_names
}

output "at_rest_encryption_enabled" {
  value = module.elasticache.at_rest_encryption_enabled
}

output "transit_encryption_enabled" {
  value = module.elasticache.transit_encryption_enabled
}

output "primary_endpoint_address" {
  value = module.elasticache.primary_endpoint_address
}

output "configuration_endpoint_address" {
  value = module.elasticache.configuration_endpoint_address
}
