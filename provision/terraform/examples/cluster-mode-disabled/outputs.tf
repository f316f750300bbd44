# Everything the module exports, passed through so `terraform output` (and the
# module's tests) can read it.

output "primary_endpoint_address" {
  description = "Primary node hostname (read/write); null in cluster mode."
  value       = module.elasticache.primary_endpoint_address
}

output "reader_endpoint_address" {
  description = "Reader endpoint (read-only); null in cluster mode."
  value       = module.elasticache.reader_endpoint_address
}

output "configuration_endpoint_address" {
  description = "Configuration endpoint for cluster-aware clients; null when cluster mode is disabled."
  value       = module.elasticache.configuration_endpoint_address
}

output "redis_connection_string" {
  description = "Connection URL for ksqlDB and the exporter (no token: that stays in its secret)."
  value       = module.elasticache.redis_connection_string
}

output "port" {
  description = "Port of every node and endpoint (6379)."
  value       = module.elasticache.port
}

output "replication_group_arn" {
  description = "Replication group ARN, for IAM policies scoped to this group."
  value       = module.elasticache.replication_group_arn
}

output "security_group_id" {
  description = "Redis security group."
  value       = module.elasticache.security_group_id
}

output "replication_group_id" {
  description = "Replication group id, for the exporter's discovery."
  value       = module.elasticache.replication_group_id
}

output "member_cluster_ids" {
  description = "Member cache cluster ids."
  value       = module.elasticache.member_cluster_ids
}

output "cloudwatch_alarm_names" {
  description = "CloudWatch alarms created."
  value       = module.elasticache.cloudwatch_alarm_names
}

output "slow_log_group_name" {
  description = "Slow log group, for the exporter's log tail."
  value       = module.elasticache.slow_log_group_name
}

output "at_rest_encryption_enabled" {
  description = "Whether data at rest is encrypted."
  value       = module.elasticache.at_rest_encryption_enabled
}

output "transit_encryption_enabled" {
  description = "Whether clients must use TLS."
  value       = module.elasticache.transit_encryption_enabled
}
