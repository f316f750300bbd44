# The README's resource table and the per-mode topology, against a mocked AWS
# provider: 1 replication group, 1 subnet group, 1 parameter group, 1 security
# group (+ its one ingress rule), 2 log groups, and the five alarm kinds once
# per member node (0 when create_cloudwatch_alarms is false).

mock_provider "aws" {
  mock_resource "aws_elasticache_replication_group" {
    # Sentinels for the sizing attributes AWS computes when they are not set:
    # an attribute the module leaves unset reads back as -1, one it sets
    # reads back as the configured value. This is how the tests tell
    # "num_node_groups not sent" from "num_node_groups sent".
    defaults = {
      num_cache_clusters      = -1
      num_node_groups         = -1
      replicas_per_node_group = -1
    }
  }
  mock_resource "aws_security_group" {
    defaults = {
      id = "sg-0123456789abcdef0"
    }
  }
}

variables {
  project_name               = "kafka-platform"
  environment                = "prod"
  vpc_id                     = "vpc-0a1b2c3d4e5f60718"
  private_subnet_ids         = ["subnet-0a1b2c3d4e5f60001", "subnet-0a1b2c3d4e5f60002", "subnet-0a1b2c3d4e5f60003"]
  eks_node_security_group_id = "sg-0e1d2c3b4a5f60718"
  engine_version             = "7.0"
  alarm_actions              = ["arn:aws:sns:eu-west-1:123456789012:alerts"]
  tags = {
    Terraform   = "true"
    Environment = "prod"
  }
}

run "cluster_mode_disabled" {
  variables {
    cluster_mode_enabled = false
    num_cache_nodes      = 3
    snapshot_window      = "03:00-05:00"
  }

  # Replication group: one shard of num_cache_nodes, cluster sizing unset.
  assert {
    condition     = aws_elasticache_replication_group.this.replication_group_id == "kafka-platform-prod"
    error_message = "replication group id must be <project_name>-<environment>"
  }
  assert {
    condition     = aws_elasticache_replication_group.this.num_cache_clusters == 3
    error_message = "cluster mode disabled must send num_cache_clusters = num_cache_nodes (3)"
  }
  assert {
    condition     = aws_elasticache_replication_group.this.num_node_groups == -1 && aws_elasticache_replication_group.this.replicas_per_node_group == -1
    error_message = "cluster mode disabled must leave num_node_groups and replicas_per_node_group unset"
  }
  assert {
    condition     = aws_elasticache_replication_group.this.engine == "redis" && aws_elasticache_replication_group.this.engine_version == "7.0" && aws_elasticache_replication_group.this.port == 6379
    error_message = "replication group must run redis 7.0 on port 6379"
  }
  assert {
    condition     = aws_elasticache_replication_group.this.automatic_failover_enabled && aws_elasticache_replication_group.this.multi_az_enabled
    error_message = "failover and Multi-AZ must pass through"
  }
  assert {
    condition     = aws_elasticache_replication_group.this.final_snapshot_identifier == "kafka-platform-prod-final"
    error_message = "skip_final_snapshot = false must name a final snapshot"
  }
  assert {
    condition     = aws_elasticache_replication_group.this.snapshot_window == "03:00-05:00"
    error_message = "snapshot_window must pass through"
  }
  assert {
    condition     = aws_elasticache_replication_group.this.subnet_group_name == aws_elasticache_subnet_group.this.name && aws_elasticache_replication_group.this.parameter_group_name == aws_elasticache_parameter_group.this.name
    error_message = "replication group must use the module's subnet and parameter groups"
  }
  assert {
    condition     = aws_elasticache_replication_group.this.security_group_ids == toset(["sg-0123456789abcdef0"])
    error_message = "replication group must use only the module's security group"
  }

  # Subnet group.
  assert {
    condition     = aws_elasticache_subnet_group.this.name == "kafka-platform-prod" && length(aws_elasticache_subnet_group.this.subnet_ids) == 3
    error_message = "subnet group must be named <project_name>-<environment> and hold the private subnets"
  }

  # Parameter group: family from the engine version, two parameters, no cluster-enabled.
  assert {
    condition     = aws_elasticache_parameter_group.this.family == "redis7" && aws_elasticache_parameter_group.this.name == "kafka-platform-prod-redis7"
    error_message = "engine 7.0 must use family redis7"
  }
  assert {
    condition     = toset([for p in aws_elasticache_parameter_group.this.parameter : "${p.name}=${p.value}"]) == toset(["maxmemory-policy=allkeys-lru", "timeout=300"])
    error_message = "cluster mode disabled parameters must be exactly maxmemory-policy and timeout"
  }

  # Security group: 6379/tcp from the EKS nodes only.
  assert {
    condition     = aws_security_group.this.name == "kafka-platform-prod-redis" && aws_security_group.this.vpc_id == "vpc-0a1b2c3d4e5f60718"
    error_message = "security group must be <name>-redis in the given VPC"
  }
  assert {
    condition = (
      aws_vpc_security_group_ingress_rule.redis_from_eks_nodes.security_group_id == aws_security_group.this.id &&
      aws_vpc_security_group_ingress_rule.redis_from_eks_nodes.referenced_security_group_id == "sg-0e1d2c3b4a5f60718" &&
      aws_vpc_security_group_ingress_rule.redis_from_eks_nodes.ip_protocol == "tcp" &&
      aws_vpc_security_group_ingress_rule.redis_from_eks_nodes.from_port == 6379 &&
      aws_vpc_security_group_ingress_rule.redis_from_eks_nodes.to_port == 6379 &&
      aws_vpc_security_group_ingress_rule.redis_from_eks_nodes.cidr_ipv4 == null &&
      aws_vpc_security_group_ingress_rule.redis_from_eks_nodes.cidr_ipv6 == null
    )
    error_message = "ingress must be tcp 6379 from eks_node_security_group_id and nothing else"
  }

  # Two log groups with distinct names, both delivered to as JSON.
  assert {
    condition     = length(aws_cloudwatch_log_group.this) == 2
    error_message = "there must be exactly two log groups"
  }
  assert {
    condition     = toset([for g in aws_cloudwatch_log_group.this : g.name]) == toset(["/aws/elasticache/kafka-platform-prod/slow-log", "/aws/elasticache/kafka-platform-prod/engine-log"])
    error_message = "log groups must be /aws/elasticache/<name>/slow-log and /engine-log"
  }
  assert {
    condition     = alltrue([for g in aws_cloudwatch_log_group.this : g.retention_in_days == 30])
    error_message = "log groups must use log_retention_in_days (default 30)"
  }
  assert {
    condition = toset([
      for c in aws_elasticache_replication_group.this.log_delivery_configuration : "${c.log_type}>${c.destination_type}:${c.destination}:${c.log_format}"
      ]) == toset([
      "slow-log>cloudwatch-logs:/aws/elasticache/kafka-platform-prod/slow-log:json",
      "engine-log>cloudwatch-logs:/aws/elasticache/kafka-platform-prod/engine-log:json",
    ])
    error_message = "slow-log and engine-log must each be delivered as json to their own log group"
  }

  # Alarms: five kinds x three members.
  assert {
    condition = [for a in [
      aws_cloudwatch_metric_alarm.high_engine_cpu,
      aws_cloudwatch_metric_alarm.high_memory_usage,
      aws_cloudwatch_metric_alarm.evictions,
      aws_cloudwatch_metric_alarm.replication_lag,
      aws_cloudwatch_metric_alarm.high_connections,
    ] : length(a)] == [3, 3, 3, 3, 3]
    error_message = "each of the five alarms must exist once per member node (3)"
  }
  assert {
    condition     = toset(keys(aws_cloudwatch_metric_alarm.evictions)) == toset(["kafka-platform-prod-001", "kafka-platform-prod-002", "kafka-platform-prod-003"])
    error_message = "members must be <replication-group-id>-001..-003"
  }
  assert {
    condition     = aws_cloudwatch_metric_alarm.high_engine_cpu["kafka-platform-prod-002"].alarm_name == "kafka-platform-prod-002-ElastiCacheHighEngineCPU"
    error_message = "alarm names must be <replication-group-id>-<member>-ElastiCache<Alarm>"
  }
  assert {
    condition     = aws_cloudwatch_metric_alarm.replication_lag["kafka-platform-prod-003"].dimensions == tomap({ CacheClusterId = "kafka-platform-prod-003" })
    error_message = "alarms must watch their member via the CacheClusterId dimension"
  }

  # Tags everywhere.
  assert {
    condition = alltrue([for t in concat(
      [
        aws_elasticache_replication_group.this.tags,
        aws_elasticache_subnet_group.this.tags,
        aws_elasticache_parameter_group.this.tags,
        aws_security_group.this.tags,
        aws_vpc_security_group_ingress_rule.redis_from_eks_nodes.tags,
      ],
      [for g in aws_cloudwatch_log_group.this : g.tags],
      [for a in aws_cloudwatch_metric_alarm.high_connections : a.tags],
    ) : t["Terraform"] == "true" && t["Environment"] == "prod" && t["Name"] != ""])
    error_message = "every resource must carry var.tags plus a Name"
  }
}

run "cluster_mode_enabled" {
  # Own state: an update from the previous run would keep its computed sizes.
  state_key = "cluster_mode_enabled"

  variables {
    cluster_mode_enabled    = true
    num_node_groups         = 3
    replicas_per_node_group = 2
  }

  assert {
    condition     = aws_elasticache_replication_group.this.num_node_groups == 3 && aws_elasticache_replication_group.this.replicas_per_node_group == 2
    error_message = "cluster mode must send num_node_groups and replicas_per_node_group"
  }
  assert {
    condition     = aws_elasticache_replication_group.this.num_cache_clusters == -1
    error_message = "cluster mode must leave num_cache_clusters unset"
  }
  assert {
    condition     = contains([for p in aws_elasticache_parameter_group.this.parameter : "${p.name}=${p.value}"], "cluster-enabled=yes")
    error_message = "cluster mode must set cluster-enabled yes in the parameter group"
  }
  assert {
    condition = [for a in [
      aws_cloudwatch_metric_alarm.high_engine_cpu,
      aws_cloudwatch_metric_alarm.high_memory_usage,
      aws_cloudwatch_metric_alarm.evictions,
      aws_cloudwatch_metric_alarm.replication_lag,
      aws_cloudwatch_metric_alarm.high_connections,
    ] : length(a)] == [9, 9, 9, 9, 9]
    error_message = "3 shards x 3 nodes must give 9 of each alarm"
  }
  assert {
    condition = toset(keys(aws_cloudwatch_metric_alarm.high_memory_usage)) == toset([
      "kafka-platform-prod-0001-001", "kafka-platform-prod-0001-002", "kafka-platform-prod-0001-003",
      "kafka-platform-prod-0002-001", "kafka-platform-prod-0002-002", "kafka-platform-prod-0002-003",
      "kafka-platform-prod-0003-001", "kafka-platform-prod-0003-002", "kafka-platform-prod-0003-003",
    ])
    error_message = "cluster mode members must be <replication-group-id>-000S-00R"
  }
  assert {
    condition     = length(aws_cloudwatch_log_group.this) == 2
    error_message = "cluster mode must still create the two log groups"
  }
}

run "cluster_mode_defaults" {
  state_key = "cluster_mode_defaults"

  # null sizing in cluster mode means 3 shards x 2 replicas.
  variables {
    cluster_mode_enabled = true
  }

  assert {
    condition     = aws_elasticache_replication_group.this.num_node_groups == 3 && aws_elasticache_replication_group.this.replicas_per_node_group == 2
    error_message = "null num_node_groups/replicas_per_node_group must default to 3 and 2"
  }
}

run "alarm_definitions" {
  command = plan

  variables {
    num_cache_nodes = 2
  }

  assert {
    condition = [for a in [
      aws_cloudwatch_metric_alarm.high_engine_cpu["kafka-platform-prod-001"],
      aws_cloudwatch_metric_alarm.high_memory_usage["kafka-platform-prod-001"],
      aws_cloudwatch_metric_alarm.evictions["kafka-platform-prod-001"],
      aws_cloudwatch_metric_alarm.replication_lag["kafka-platform-prod-001"],
      aws_cloudwatch_metric_alarm.high_connections["kafka-platform-prod-001"],
      ] : join(" ", [a.alarm_name, a.namespace, a.metric_name, a.statistic, a.period, a.evaluation_periods, a.comparison_operator, a.threshold])] == [
      "kafka-platform-prod-001-ElastiCacheHighEngineCPU AWS/ElastiCache EngineCPUUtilization Average 60 5 GreaterThanThreshold 90",
      "kafka-platform-prod-001-ElastiCacheHighMemoryUsage AWS/ElastiCache DatabaseMemoryUsagePercentage Average 60 5 GreaterThanThreshold 80",
      "kafka-platform-prod-001-ElastiCacheEvictions AWS/ElastiCache Evictions Sum 300 1 GreaterThanThreshold 0",
      "kafka-platform-prod-001-ElastiCacheReplicationLag AWS/ElastiCache ReplicationLag Average 60 5 GreaterThanThreshold 10",
      "kafka-platform-prod-001-ElastiCacheHighConnections AWS/ElastiCache CurrConnections Average 60 5 GreaterThanThreshold 1000",
    ]
    error_message = "the five alarm definitions must match the README's (metric, statistic, period x evaluations, threshold)"
  }
  assert {
    condition = alltrue([for a in concat(
      values(aws_cloudwatch_metric_alarm.high_engine_cpu),
      values(aws_cloudwatch_metric_alarm.high_memory_usage),
      values(aws_cloudwatch_metric_alarm.evictions),
      values(aws_cloudwatch_metric_alarm.replication_lag),
      values(aws_cloudwatch_metric_alarm.high_connections),
    ) : a.alarm_actions == toset(["arn:aws:sns:eu-west-1:123456789012:alerts"]) && a.ok_actions == a.alarm_actions])
    error_message = "every alarm must notify alarm_actions on ALARM and on OK"
  }
  assert {
    condition     = aws_cloudwatch_metric_alarm.replication_lag["kafka-platform-prod-001"].treat_missing_data == "notBreaching"
    error_message = "ReplicationLag must treat missing data (primaries) as not breaching"
  }
}

run "alarms_off" {
  command = plan

  variables {
    create_cloudwatch_alarms = false
  }

  assert {
    condition = [for a in [
      aws_cloudwatch_metric_alarm.high_engine_cpu,
      aws_cloudwatch_metric_alarm.high_memory_usage,
      aws_cloudwatch_metric_alarm.evictions,
      aws_cloudwatch_metric_alarm.replication_lag,
      aws_cloudwatch_metric_alarm.high_connections,
    ] : length(a)] == [0, 0, 0, 0, 0]
    error_message = "create_cloudwatch_alarms = false must create no alarm"
  }
}

run "defaults" {
  # Only the required inputs: cluster mode disabled, 3 nodes, encrypted.
  command = plan

  variables {
    engine_version = null
    alarm_actions  = null
    tags           = null
  }

  assert {
    condition     = aws_elasticache_replication_group.this.num_cache_clusters == 3 && aws_elasticache_replication_group.this.engine_version == "7.1"
    error_message = "defaults must be 3 nodes of Redis 7.1"
  }
  assert {
    condition     = aws_elasticache_replication_group.this.at_rest_encryption_enabled == "true" && aws_elasticache_replication_group.this.transit_encryption_enabled
    error_message = "encryption must be on by default"
  }
  assert {
    condition     = toset([for p in aws_elasticache_parameter_group.this.parameter : "${p.name}=${p.value}"]) == toset(["maxmemory-policy=allkeys-lru", "timeout=300"])
    error_message = "default parameters must be allkeys-lru and timeout 300"
  }
}

run "engine_6_2_and_options" {
  command = plan

  variables {
    engine_version        = "6.2"
    maxmemory_policy      = "volatile-ttl"
    timeout               = 0
    skip_final_snapshot   = true
    log_retention_in_days = 7
  }

  assert {
    condition     = aws_elasticache_parameter_group.this.family == "redis6.x" && aws_elasticache_parameter_group.this.name == "kafka-platform-prod-redis6-x"
    error_message = "engine 6.2 must use family redis6.x"
  }
  assert {
    condition     = toset([for p in aws_elasticache_parameter_group.this.parameter : "${p.name}=${p.value}"]) == toset(["maxmemory-policy=volatile-ttl", "timeout=0"])
    error_message = "maxmemory_policy and timeout must reach the parameter group"
  }
  assert {
    condition     = aws_elasticache_replication_group.this.final_snapshot_identifier == null
    error_message = "skip_final_snapshot = true must not request a final snapshot"
  }
  assert {
    condition     = alltrue([for g in aws_cloudwatch_log_group.this : g.retention_in_days == 7])
    error_message = "log_retention_in_days must reach both log groups"
  }
}
