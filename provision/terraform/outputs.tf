# The README's outputs table, plus the names the exporter and operators need
# to find what the module made. Endpoints a mode does not have are null, not
# "", so a consumer cannot mistake one for a hostname.

locals {
  rg = aws_elasticache_replication_group.this

  # Cluster-aware clients connect through the configuration endpoint; in
  # cluster mode disabled the primary endpoint follows failovers.
  connection_host   = var.cluster_mode_enabled ? local.rg.configuration_endpoint_address : local.rg.primary_endpoint_address
  connection_scheme = var.transit_encryption_enabled ? "rediss" : "redis"
  connection_auth   = var.auth_token == null ? "" : ":${urlencode(var.auth_token)}@"
}

output "primary_endpoint_address" {
  description = "Primary node hostname (read/write) for ksqlDB; null in cluster mode, where clients use configuration_endpoint_address."
  value       = var.cluster_mode_enabled ? null : local.rg.primary_endpoint_address
}

output "reader_endpoint_address" {
  description = "Reader endpoint (read-only, load balanced over the replicas); null in cluster mode."
  value       = var.cluster_mode_enabled ? null : local.rg.reader_endpoint_address
}

output "configuration_endpoint_address" {
  description = "Configuration endpoint for cluster-aware clients; null when cluster mode is disabled."
  value       = var.cluster_mode_enabled ? local.rg.configuration_endpoint_address : null
}

output "redis_connection_string" {
  description = "Connection URL for ksqlDB environment variables: redis[s]://[:<auth_token>@]<endpoint>:6379. Holds the AUTH token when one is set."
  value       = "${local.connection_scheme}://${local.connection_auth}${local.connection_host}:${local.port}"
  sensitive   = true
}

output "security_group_id" {
  description = "Redis security group; add ingress rules (aws_vpc_security_group_ingress_rule) here if other clients need access."
  value       = aws_security_group.this.id
}

output "replication_group_id" {
  description = "Replication group id (<project_name>-<environment>), for the exporter's ElastiCache discovery and for the AWS CLI."
  value       = local.rg.replication_group_id
}

output "member_cluster_ids" {
  description = "Cache cluster ids of the member nodes as the module expects AWS to name them (the CacheClusterId dimension of the alarms)."
  value       = local.member_cluster_ids
}

output "cloudwatch_alarm_names" {
  description = "Names of the CloudWatch alarms created (empty when create_cloudwatch_alarms is false)."
  value = sort(flatten([
    for alarms in [
      aws_cloudwatch_metric_alarm.high_engine_cpu,
      aws_cloudwatch_metric_alarm.high_memory_usage,
      aws_cloudwatch_metric_alarm.evictions,
      aws_cloudwatch_metric_alarm.replication_lag,
      aws_cloudwatch_metric_alarm.high_connections,
    ] : [for alarm in alarms : alarm.alarm_name]
  ]))
}

output "slow_log_group_name" {
  description = "CloudWatch log group receiving the Redis slow log (JSON), for the exporter's log tail."
  value       = aws_cloudwatch_log_group.this["slow-log"].name
}

output "engine_log_group_name" {
  description = "CloudWatch log group receiving the Redis engine log (JSON)."
  value       = aws_cloudwatch_log_group.this["engine-log"].name
}

output "at_rest_encryption_enabled" {
  description = "Whether data at rest is encrypted, as the replication group reports it."
  value       = tobool(local.rg.at_rest_encryption_enabled)
}

output "transit_encryption_enabled" {
  description = "Whether clients must use TLS, as the replication group reports it."
  value       = local.rg.transit_encryption_enabled
}
