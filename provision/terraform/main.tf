# ElastiCache Redis replication group for ksqlDB state storage, with its
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

  # 7.x -> redis7, 6.x -> redis6.x: the families ElastiCache defines.
  engine_major     = split(".", var.engine_version)[0]
  parameter_family = local.engine_major == "7" ? "redis7" : "redis${local.engine_major}.x"

  parameters = merge(
    {
      "maxmemory-policy" = var.maxmemory_policy
      "timeout"          = tostring(var.timeout)
    },
    # cluster-enabled is fixed per parameter group and decides the mode.
    var.cluster_mode_enabled ? { "cluster-enabled" = "yes" } : {},
  )

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

resource "aws_cloudwatch_log_group" "this" {
  for_each = local.log_groups

  name              = each.value
  retention_in_days = var.log_retention_in_days

  tags = merge(var.tags, { Name = each.value })
}

resource "aws_elasticache_replication_group" "this" {
  replication_group_id = local.name
  description          = "Redis for ${local.name} (ksqlDB state storage)"

  engine               = "redis"
  engine_version       = var.engine_version
  node_type            = var.node_type
  port                 = local.port
  parameter_group_name = aws_elasticache_parameter_group.this.name
  subnet_group_name    = aws_elasticache_subnet_group.this.name
  security_group_ids   = [aws_security_group.this.id]

  # One sizing model per mode; the other stays unset so AWS does not see a
  # contradictory request.
  num_cache_clusters      = var.cluster_mode_enabled ? null : local.num_cache_clusters
  num_node_groups         = var.cluster_mode_enabled ? local.num_node_groups : null
  replicas_per_node_group = var.cluster_mode_enabled ? local.replicas_per_node_group : null

  automatic_failover_enabled = var.automatic_failover_enabled
  multi_az_enabled           = var.multi_az_enabled

  at_rest_encryption_enabled = var.at_rest_encryption_enabled
  transit_encryption_enabled = var.transit_encryption_enabled
  auth_token                 = var.auth_token

  snapshot_retention_limit  = var.snapshot_retention_limit
  snapshot_window           = var.snapshot_window
  final_snapshot_identifier = var.skip_final_snapshot ? null : "${local.name}-final"

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
}
