# The variables of issue #15 that bring the module level with the ones SREs
# already use (terraform-aws-modules/elasticache, cloudposse
# elasticache-redis), applied against a mocked provider: more ingress
# sources, extra security groups, maintenance settings, token rotation,
# RBAC users for ksqlDB and the exporter, restore from a snapshot, extra
# parameters, a customer KMS key, the transit encryption mode. Rejections
# are in validation.tftest.hcl.

mock_provider "aws" {
  mock_resource "aws_security_group" {
    defaults = {
      id = "sg-0123456789abcdef0"
    }
  }
  mock_resource "aws_elasticache_replication_group" {
    defaults = {
      arn                      = "arn:aws:elasticache:eu-west-1:123456789012:replicationgroup:kafka-platform-prod"
      primary_endpoint_address = "master.kafka-platform-prod.abc123.euw1.cache.amazonaws.com"
    }
  }
}

variables {
  project_name               = "kafka-platform"
  environment                = "prod"
  vpc_id                     = "vpc-0a1b2c3d4e5f60718"
  private_subnet_ids         = ["subnet-0a1b2c3d4e5f60001", "subnet-0a1b2c3d4e5f60002", "subnet-0a1b2c3d4e5f60003"]
  eks_node_security_group_id = "sg-0e1d2c3b4a5f60718"
}

run "network_sources" {
  state_key = "network"

  variables {
    # The EKS cluster security group and a Karpenter node group, pod subnets
    # in IPv4 and IPv6, and a shared security group on the nodes.
    allowed_security_group_ids    = ["sg-0c1d2e3f4a5b60001", "sg-0c1d2e3f4a5b60002"]
    allowed_cidr_blocks           = ["100.64.0.0/16", "2600:1f14:abc::/56"]
    additional_security_group_ids = ["sg-0f0e0d0c0b0a60003"]
  }

  assert {
    condition     = toset([for r in aws_vpc_security_group_ingress_rule.redis_from_security_groups : r.referenced_security_group_id]) == toset(["sg-0c1d2e3f4a5b60001", "sg-0c1d2e3f4a5b60002"])
    error_message = "each allowed_security_group_ids entry must get its own ingress rule"
  }
  assert {
    condition = alltrue([for r in concat(values(aws_vpc_security_group_ingress_rule.redis_from_security_groups), values(aws_vpc_security_group_ingress_rule.redis_from_cidr_blocks)) :
    r.security_group_id == "sg-0123456789abcdef0" && r.ip_protocol == "tcp" && r.from_port == 6379 && r.to_port == 6379])
    error_message = "every extra ingress rule must open tcp/6379 on the module's security group only"
  }
  assert {
    condition     = aws_vpc_security_group_ingress_rule.redis_from_cidr_blocks["100.64.0.0/16"].cidr_ipv4 == "100.64.0.0/16" && aws_vpc_security_group_ingress_rule.redis_from_cidr_blocks["100.64.0.0/16"].cidr_ipv6 == null
    error_message = "an IPv4 block must become cidr_ipv4"
  }
  assert {
    condition     = aws_vpc_security_group_ingress_rule.redis_from_cidr_blocks["2600:1f14:abc::/56"].cidr_ipv6 == "2600:1f14:abc::/56" && aws_vpc_security_group_ingress_rule.redis_from_cidr_blocks["2600:1f14:abc::/56"].cidr_ipv4 == null
    error_message = "an IPv6 block must become cidr_ipv6"
  }
  assert {
    condition     = aws_vpc_security_group_ingress_rule.redis_from_eks_nodes.referenced_security_group_id == "sg-0e1d2c3b4a5f60718"
    error_message = "the EKS node security group keeps its rule"
  }
  assert {
    condition     = aws_elasticache_replication_group.this.security_group_ids == toset(["sg-0123456789abcdef0", "sg-0f0e0d0c0b0a60003"])
    error_message = "additional_security_group_ids must be attached next to the module's security group"
  }
}

run "no_extra_sources_by_default" {
  command = plan

  assert {
    condition     = length(aws_vpc_security_group_ingress_rule.redis_from_security_groups) == 0 && length(aws_vpc_security_group_ingress_rule.redis_from_cidr_blocks) == 0
    error_message = "without allowed_* the EKS node security group stays the only source"
  }
  assert {
    condition     = aws_elasticache_replication_group.this.apply_immediately == false && aws_elasticache_replication_group.this.auto_minor_version_upgrade == "true"
    error_message = "defaults: changes wait for the maintenance window, minor upgrades on"
  }
  assert {
    condition     = aws_elasticache_replication_group.this.user_group_ids == null && length(aws_elasticache_user.this) == 0 && length(aws_elasticache_user_group.this) == 0
    error_message = "no RBAC users unless create_user_group"
  }
}

run "maintenance" {
  command = plan

  variables {
    apply_immediately          = true
    snapshot_window            = "03:00-05:00"
    maintenance_window         = "sun:05:00-sun:06:00"
    auto_minor_version_upgrade = false
  }

  assert {
    condition     = aws_elasticache_replication_group.this.apply_immediately == true
    error_message = "apply_immediately must pass through"
  }
  assert {
    condition     = aws_elasticache_replication_group.this.maintenance_window == "sun:05:00-sun:06:00"
    error_message = "maintenance_window must pass through"
  }
  assert {
    condition     = aws_elasticache_replication_group.this.auto_minor_version_upgrade == "false"
    error_message = "auto_minor_version_upgrade must pass through"
  }
}

run "token_rotation" {
  command = plan

  variables {
    auth_token                 = "new-token-0123456789abcdef"
    auth_token_update_strategy = "ROTATE"
  }

  assert {
    condition     = aws_elasticache_replication_group.this.auth_token_update_strategy == "ROTATE"
    error_message = "auth_token_update_strategy must pass through"
  }
}

run "rbac_users" {
  state_key = "rbac"

  variables {
    create_user_group       = true
    ksqldb_user_passwords   = ["ksqldb-password-0123456789"]
    exporter_user_passwords = ["exporter-password-0123456789", "exporter-password-next-0123"]
  }

  assert {
    condition     = toset(keys(aws_elasticache_user.this)) == toset(["default", "ksqldb", "exporter"])
    error_message = "a user group needs its default user, ksqlDB's and the exporter's"
  }
  assert {
    condition     = aws_elasticache_user.this["default"].user_name == "default" && startswith(aws_elasticache_user.this["default"].access_string, "off ") && aws_elasticache_user.this["default"].authentication_mode[0].type == "no-password-required"
    error_message = "the group's default user must be switched off"
  }
  assert {
    condition     = aws_elasticache_user.this["ksqldb"].user_name == "ksqldb" && aws_elasticache_user.this["ksqldb"].access_string == "on ~* &* +@all" && aws_elasticache_user.this["ksqldb"].authentication_mode[0].type == "password"
    error_message = "ksqlDB's user must have ksqldb_access_string and a password"
  }
  assert {
    condition     = aws_elasticache_user.this["exporter"].user_name == "elasticache-exporter" && aws_elasticache_user.this["exporter"].access_string == output.exporter_access_string
    error_message = "the exporter's user must have the generated access string"
  }
  assert {
    # The generated rules: on, nothing but what the exporter sends; never
    # a write, a key pattern or a category grant.
    condition = startswith(output.exporter_access_string, "on -@all +info ") && alltrue([
      for rule in split(" ", output.exporter_access_string) : contains(["on", "-@all"], rule) || can(regex("^\\+(info|ping|cluster\\|(info|shards|nodes)|latency\\|(histogram|latest)|slowlog\\|(get|len)|client\\|setname)$", rule))
    ])
    error_message = "the exporter's access string must allow only INFO, PING, CLUSTER INFO/SHARDS/NODES, LATENCY HISTOGRAM/LATEST, SLOWLOG GET/LEN and CLIENT SETNAME"
  }
  assert {
    condition     = length(nonsensitive(aws_elasticache_user.this["exporter"].authentication_mode[0].passwords)) == 2
    error_message = "two exporter passwords (a rotation) must both be set"
  }
  assert {
    condition     = aws_elasticache_user_group.this[0].user_group_id == "kafka-platform-prod" && aws_elasticache_user_group.this[0].user_ids == toset(["kafka-platform-prod-default", "kafka-platform-prod-ksqldb", "kafka-platform-prod-exporter"])
    error_message = "the user group must hold the three users"
  }
  assert {
    condition     = aws_elasticache_replication_group.this.user_group_ids == toset(["kafka-platform-prod"]) && aws_elasticache_replication_group.this.auth_token == null
    error_message = "the replication group must use the user group instead of an AUTH token"
  }
  assert {
    condition     = output.user_group_id == "kafka-platform-prod" && output.exporter_user_name == "elasticache-exporter" && output.ksqldb_user_name == "ksqldb"
    error_message = "the RBAC outputs must name the group and users"
  }
}

run "restore_from_s3" {
  command = plan

  variables {
    snapshot_arns = ["arn:aws:s3:::kafka-platform-backups/ksqldb-state.rdb"]
  }

  assert {
    condition     = aws_elasticache_replication_group.this.snapshot_arns == toset(["arn:aws:s3:::kafka-platform-backups/ksqldb-state.rdb"]) && aws_elasticache_replication_group.this.snapshot_name == null
    error_message = "snapshot_arns must pass through"
  }
}

run "restore_from_snapshot" {
  command = plan

  variables {
    snapshot_name = "kafka-platform-prod-final"
  }

  assert {
    condition     = aws_elasticache_replication_group.this.snapshot_name == "kafka-platform-prod-final" && aws_elasticache_replication_group.this.snapshot_arns == null
    error_message = "snapshot_name must pass through"
  }
}

run "parameters_kms_transit_mode" {
  command = plan

  variables {
    cluster_mode_enabled    = true
    maxmemory_policy        = "volatile-lfu"
    parameters              = [{ name = "reserved-memory-percent", value = "25" }, { name = "notify-keyspace-events", value = "" }]
    kms_key_arn             = "arn:aws:kms:eu-west-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab"
    transit_encryption_mode = "preferred"
  }

  assert {
    condition = toset([for p in aws_elasticache_parameter_group.this.parameter : "${p.name}=${p.value}"]) == toset([
      "maxmemory-policy=volatile-lfu", "timeout=300", "cluster-enabled=yes", "reserved-memory-percent=25", "notify-keyspace-events=",
    ])
    error_message = "parameters must be merged with maxmemory-policy, timeout and cluster-enabled"
  }
  assert {
    condition     = aws_elasticache_replication_group.this.kms_key_id == "arn:aws:kms:eu-west-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab"
    error_message = "kms_key_arn must reach kms_key_id"
  }
  assert {
    condition     = aws_elasticache_replication_group.this.transit_encryption_mode == "preferred"
    error_message = "transit_encryption_mode must pass through"
  }
}

run "every_maxmemory_policy" {
  # The two AWS accepts that the seed's table leaves out (volatile-lfu is
  # in the run above).
  command = plan

  variables {
    maxmemory_policy = "volatile-random"
  }

  assert {
    condition     = contains([for p in aws_elasticache_parameter_group.this.parameter : "${p.name}=${p.value}"], "maxmemory-policy=volatile-random")
    error_message = "volatile-random must reach the parameter group"
  }
}

run "outputs_without_credentials" {
  state_key = "outputs"

  variables {
    auth_token = "s3cret+token#with$chars"
  }

  assert {
    condition     = output.redis_connection_string == "rediss://master.kafka-platform-prod.abc123.euw1.cache.amazonaws.com:6379"
    error_message = "redis_connection_string must be scheme, host and port only"
  }
  assert {
    condition     = !strcontains(output.redis_connection_string, "s3cret") && !strcontains(output.redis_connection_string, "@")
    error_message = "redis_connection_string must never hold the AUTH token"
  }
  assert {
    condition     = output.replication_group_arn == "arn:aws:elasticache:eu-west-1:123456789012:replicationgroup:kafka-platform-prod" && output.port == 6379
    error_message = "replication_group_arn and port must be exported"
  }
}
