# ElastiCache replication group (Redis OSS or Valkey, var.engine) for ksqlDB
# state storage, with its
# subnet group, parameter group, security group and the two CloudWatch log
# groups its slow log and engine log are delivered to. The alarms live in
# alarms.tf.json (rendered from internal/alarms' definitions).

locals {
  name = "${var.project_name}-${var.environment}"
  port = 6379

  # Effective topology. The sizing variables default to null so that a value
  # given for the other mode is an error (variables.tf) rather than ignored.
  num_cache_clusters      = coalesce(var.num_cache_nodes, 3)
  num_node_groups         = coalesce(var.num_node_groups, 3)
  replicas_per_node_group = coalesce(var.replicas_per_node_group, 2)

  # The families ElastiCache defines: Redis OSS 7.x -> redis7, 6.x ->
  # redis6.x; Valkey 7.2 -> valkey7, 8.x -> valkey8.
  engine_major     = split(".", var.engine_version)[0]
  parameter_family = var.engine == "valkey" ? "valkey${local.engine_major}" : local.engine_major == "7" ? "redis7" : "redis${local.engine_major}.x"

  parameters = merge(
    # var.parameters cannot name these three (variables.tf).
    { for p in var.parameters : p.name => p.value },
    {
      "maxmemory-policy" = var.maxmemory_policy
      "timeout"          = tostring(var.timeout)
    },
    # cluster-enabled is fixed per parameter group and decides the mode.
    var.cluster_mode_enabled ? { "cluster-enabled" = "yes" } : {},
  )

  # The maintenance window as minutes of the week [start, end] (sun 00:00 is
  # 0) and the snapshot window as minutes of the day, for the replication
  # group's preconditions; [0, 0] when unset or malformed (variables.tf
  # reports a malformed one).
  week_days                = ["sun", "mon", "tue", "wed", "thu", "fri", "sat"]
  maintenance_window_valid = can(regex("^(sun|mon|tue|wed|thu|fri|sat):([01][0-9]|2[0-3]):[0-5][0-9]-(sun|mon|tue|wed|thu|fri|sat):([01][0-9]|2[0-3]):[0-5][0-9]$", var.maintenance_window))
  snapshot_window_valid    = can(regex("^([01][0-9]|2[0-3]):[0-5][0-9]-([01][0-9]|2[0-3]):[0-5][0-9]$", var.snapshot_window))
  maintenance_minutes = try([
    for m in regexall("(sun|mon|tue|wed|thu|fri|sat):([0-9]{2}):([0-9]{2})", var.maintenance_window) :
    index(local.week_days, m[0]) * 1440 + tonumber(m[1]) * 60 + tonumber(m[2])
  ], [0, 0])
  snapshot_minutes = try([
    for m in regexall("([0-9]{2}):([0-9]{2})", var.snapshot_window) : tonumber(m[0]) * 60 + tonumber(m[1])
  ], [0, 0])

  # The member cache cluster ids AWS assigns, computed here rather than read
  # from aws_elasticache_replication_group.this.member_clusters: that
  # attribute is unknown until apply, and for_each needs keys known at plan
  # (also under terraform test's mock provider). AWS names the nodes
  #   cluster mode disabled: <replication-group-id>-001 .. -00N
  #   cluster mode enabled:  <replication-group-id>-000S-00R (shard S, node R)
  # Nodes added or replaced outside Terraform can get other numbers; the
  # alarms then follow this list, not the live membership.
  member_cluster_ids = var.cluster_mode_enabled ? flatten([
    for shard in range(1, local.num_node_groups + 1) : [
      for node in range(1, local.replicas_per_node_group + 2) : format("%s-%04d-%03d", local.name, shard, node)
    ]
    ]) : [
    for node in range(1, local.num_cache_clusters + 1) : format("%s-%03d", local.name, node)
  ]

  # Keys are the ElastiCache log types; values the log group names.
  log_groups = {
    "slow-log"   = "/aws/elasticache/${local.name}/slow-log"
    "engine-log" = "/aws/elasticache/${local.name}/engine-log"
  }
}

resource "aws_elasticache_subnet_group" "this" {
  name        = local.name
  description = "Private subnets for ${local.name} Redis"
  subnet_ids  = var.private_subnet_ids

  tags = merge(var.tags, { Name = local.name })
}

resource "aws_elasticache_parameter_group" "this" {
  # The family is part of the name: a version change that moves the family
  # creates a new group before the old one is released.
  name        = "${local.name}-${replace(local.parameter_family, ".", "-")}"
  family      = local.parameter_family
  description = "Redis parameters for ${local.name}"

  dynamic "parameter" {
    for_each = local.parameters
    content {
      name  = parameter.key
      value = parameter.value
    }
  }

  tags = merge(var.tags, { Name = "${local.name}-${replace(local.parameter_family, ".", "-")}" })

  lifecycle {
    create_before_destroy = true
  }
}

resource "aws_security_group" "this" {
  name        = "${local.name}-redis"
  description = "Redis ${local.name}: port ${local.port} from the EKS nodes only"
  vpc_id      = var.vpc_id

  # No egress rule: ElastiCache nodes never open connections to clients.
  # Rules are separate resources so callers can add their own to
  # security_group_id without fighting inline rules.

  tags = merge(var.tags, { Name = "${local.name}-redis" })
}

resource "aws_vpc_security_group_ingress_rule" "redis_from_eks_nodes" {
  security_group_id            = aws_security_group.this.id
  description                  = "Redis from EKS nodes (ksqlDB)"
  referenced_security_group_id = var.eks_node_security_group_id
  ip_protocol                  = "tcp"
  from_port                    = local.port
  to_port                      = local.port

  tags = merge(var.tags, { Name = "${local.name}-redis-from-eks-nodes" })
}

# The sources EKS setups other than one node group need: the cluster
# security group (managed node groups), Karpenter's nodes, security groups
# for pods. One rule per source, keyed by it, so adding one leaves the
# others alone.
resource "aws_vpc_security_group_ingress_rule" "redis_from_security_groups" {
  for_each = toset(var.allowed_security_group_ids)

  security_group_id            = aws_security_group.this.id
  description                  = "Redis from ${each.value}"
  referenced_security_group_id = each.value
  ip_protocol                  = "tcp"
  from_port                    = local.port
  to_port                      = local.port

  tags = merge(var.tags, { Name = "${local.name}-redis-from-${each.value}" })
}

resource "aws_vpc_security_group_ingress_rule" "redis_from_cidr_blocks" {
  for_each = toset(var.allowed_cidr_blocks)

  security_group_id = aws_security_group.this.id
  description       = "Redis from ${each.value}"
  cidr_ipv4         = strcontains(each.value, ":") ? null : each.value
  cidr_ipv6         = strcontains(each.value, ":") ? each.value : null
  ip_protocol       = "tcp"
  from_port         = local.port
  to_port           = local.port

  tags = merge(var.tags, { Name = "${local.name}-redis-from-${replace(each.value, "/", "-")}" })
}

resource "aws_cloudwatch_log_group" "this" {
  for_each = local.log_groups

  name              = each.value
  retention_in_days = var.log_retention_in_days

  tags = merge(var.tags, { Name = each.value })
}

resource "aws_elasticache_replication_group" "this" {
  replication_group_id = local.name
  description          = "Redis for ${local.name} (ksqlDB state storage)"

  engine               = var.engine
  engine_version       = var.engine_version
  node_type            = var.node_type
  port                 = local.port
  parameter_group_name = aws_elasticache_parameter_group.this.name
  subnet_group_name    = aws_elasticache_subnet_group.this.name
  security_group_ids   = concat([aws_security_group.this.id], var.additional_security_group_ids)

  # One sizing model per mode; the other stays unset so AWS does not see a
  # contradictory request.
  num_cache_clusters      = var.cluster_mode_enabled ? null : local.num_cache_clusters
  num_node_groups         = var.cluster_mode_enabled ? local.num_node_groups : null
  replicas_per_node_group = var.cluster_mode_enabled ? local.replicas_per_node_group : null

  automatic_failover_enabled = var.automatic_failover_enabled
  multi_az_enabled           = var.multi_az_enabled

  at_rest_encryption_enabled = var.at_rest_encryption_enabled
  kms_key_id                 = var.kms_key_arn
  transit_encryption_enabled = var.transit_encryption_enabled
  transit_encryption_mode    = var.transit_encryption_mode
  auth_token                 = var.auth_token
  auth_token_update_strategy = var.auth_token_update_strategy
  user_group_ids             = var.create_user_group ? [aws_elasticache_user_group.this[0].user_group_id] : null

  snapshot_retention_limit  = var.snapshot_retention_limit
  snapshot_window           = var.snapshot_window
  final_snapshot_identifier = var.skip_final_snapshot ? null : "${local.name}-final"
  snapshot_arns             = length(var.snapshot_arns) > 0 ? var.snapshot_arns : null
  snapshot_name             = var.snapshot_name

  apply_immediately          = var.apply_immediately
  maintenance_window         = var.maintenance_window
  auto_minor_version_upgrade = var.auto_minor_version_upgrade

  notification_topic_arn = var.notification_topic_arn

  dynamic "log_delivery_configuration" {
    for_each = aws_cloudwatch_log_group.this
    content {
      destination      = log_delivery_configuration.value.name
      destination_type = "cloudwatch-logs"
      log_format       = "json"
      log_type         = log_delivery_configuration.key
    }
  }

  tags = merge(var.tags, { Name = local.name })

  lifecycle {
    # Rules over maintenance_window that need its parsed form (local.*); a
    # variable's own validation cannot refer to a local derived from it.
    # Both skip a malformed window, which variables.tf reports.
    precondition {
      condition     = var.maintenance_window == null || !local.maintenance_window_valid ? true : (local.maintenance_minutes[1] - local.maintenance_minutes[0] + 10080) % 10080 >= 60
      error_message = "maintenance_window must last at least 60 minutes (ElastiCache's minimum); widen it, e.g. \"sun:05:00-sun:06:00\"."
    }
    precondition {
      # Both windows in minutes of the week; the daily snapshot window is
      # checked on each of the seven days. Two ranges on a ring overlap when
      # either starts inside the other.
      condition = var.maintenance_window == null || var.snapshot_window == null || !local.maintenance_window_valid || !local.snapshot_window_valid ? true : !anytrue([
        for day in range(7) : (
          (local.maintenance_minutes[0] - (day * 1440 + local.snapshot_minutes[0]) + 10080) % 10080 < (local.snapshot_minutes[1] - local.snapshot_minutes[0] + 1440) % 1440 ||
          ((day * 1440 + local.snapshot_minutes[0]) - local.maintenance_minutes[0] + 10080) % 10080 < (local.maintenance_minutes[1] - local.maintenance_minutes[0] + 10080) % 10080
        )
      ])
      error_message = "maintenance_window overlaps snapshot_window on some day, which ElastiCache refuses; move one of them (e.g. snapshot_window = \"03:00-05:00\" and maintenance_window = \"sun:05:00-sun:06:00\")."
    }
  }
}

# RBAC (create_user_group): a user group of three users replaces the AUTH
# token. ElastiCache requires a user named "default" in every group; this
# one is switched off, so a connection that does not authenticate as
# ksqlDB or the exporter can do nothing. The exporter's access string is
# generated from the commands the exporter sends (exporter_acl.tf,
# from internal/redisacl), so it reads INFO, CLUSTER SHARDS/NODES/INFO and
# SLOWLOG and can write nothing.
#
# Users and group carry var.engine. ElastiCache refuses no-password-required
# for a Valkey user (a Valkey user group holds only users with a password or
# IAM), so with Valkey the switched-off default user gets a password no one
# holds: a SHA-256 of the other users' passwords. It is never output, and it
# opens nothing: the user is "off", which refuses AUTH whatever the password.
locals {
  rbac_user_names = {
    default  = "default"
    ksqldb   = var.ksqldb_user_name
    exporter = var.exporter_user_name
  }
  rbac_access_strings = {
    default  = "off -@all"
    ksqldb   = var.ksqldb_access_string
    exporter = local.exporter_access_string
  }
  default_user_password = sha256(join("\n", concat(["elasticache-exporter: disabled default user"], var.ksqldb_user_passwords, var.exporter_user_passwords)))
}

resource "aws_elasticache_user" "this" {
  for_each = var.create_user_group ? toset(["default", "ksqldb", "exporter"]) : toset([])

  user_id       = "${local.name}-${each.key}"
  user_name     = local.rbac_user_names[each.key]
  engine        = var.engine
  access_string = local.rbac_access_strings[each.key]

  authentication_mode {
    type      = each.key == "default" && var.engine == "redis" ? "no-password-required" : "password"
    passwords = each.key == "ksqldb" ? var.ksqldb_user_passwords : each.key == "exporter" ? var.exporter_user_passwords : var.engine == "redis" ? null : [local.default_user_password]
  }

  tags = merge(var.tags, { Name = "${local.name}-${each.key}" })
}

resource "aws_elasticache_user_group" "this" {
  count = var.create_user_group ? 1 : 0

  user_group_id = local.name
  engine        = var.engine
  user_ids      = [for k in ["default", "ksqldb", "exporter"] : aws_elasticache_user.this[k].user_id]

  tags = merge(var.tags, { Name = local.name })
}
