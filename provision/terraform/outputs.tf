# The README's outputs table, plus the names the exporter and operators need
# to find what the module made. Endpoints a mode does not have are null, not
# "", so a consumer cannot mistake one for a hostname.

locals {
  rg = aws_elasticache_replication_group.this

  # Cluster-aware clients connect through the configuration endpoint; in
  # cluster mode disabled the primary endpoint follows failovers.
  connection_host   = var.cluster_mode_enabled ? local.rg.configuration_endpoint_address : local.rg.primary_endpoint_address
  connection_scheme = var.transit_encryption_enabled ? "rediss" : "redis"
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
  description = "Connection URL for ksqlDB and the exporter: redis[s]://<endpoint>:6379 (rediss with transit encryption). It never holds a credential: the AUTH token or RBAC password comes from its secret, so the URL can go into environment variables and logs."
  value       = "${local.connection_scheme}://${local.connection_host}:${local.port}"
}

output "port" {
  description = "Port every node and endpoint listens on."
  value       = local.port
}

output "replication_group_arn" {
  description = "ARN of the replication group, for IAM policies (e.g. the exporter's elasticache:Describe* on this group only)."
  value       = local.rg.arn
}

output "engine" {
  description = "Engine of the replication group: \"redis\" (Redis OSS) or \"valkey\"."
  value       = local.rg.engine
}

output "parameter_group_name" {
  description = "Parameter group of the replication group, <project_name>-<environment>-<family> (family redis6-x, redis7, valkey7 or valkey8)."
  value       = aws_elasticache_parameter_group.this.name
}

output "user_group_id" {
  description = "RBAC user group attached to the replication group; null unless create_user_group."
  value       = var.create_user_group ? aws_elasticache_user_group.this[0].user_group_id : null
}

output "ksqldb_user_name" {
  description = "User name ksqlDB authenticates with (with its password from ksqldb_user_passwords); null unless create_user_group."
  value       = var.create_user_group ? aws_elasticache_user.this["ksqldb"].user_name : null
}

output "exporter_user_name" {
  description = "User name for the exporter's redis.username (its password file holds one of exporter_user_passwords); null unless create_user_group."
  value       = var.create_user_group ? aws_elasticache_user.this["exporter"].user_name : null
}

output "exporter_access_string" {
  description = "Redis ACL rules of the exporter's user: only the commands elasticache-exporter sends (generated from internal/redisacl)."
  value       = local.exporter_access_string
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
