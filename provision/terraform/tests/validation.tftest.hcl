# Every validation rule in variables.tf rejects the combination it exists
# for. A run may break rules of several variables at once (each run costs a
# provider schema load): Terraform evaluates every variable's validations and
# fails the run unless each variable in expect_failures failed and nothing
# else did. Where a variable has several rules, a run breaks only one of them,
# and a cross-variable rule is never combined with a failure of the variable
# it refers to (Terraform then skips the rule).

mock_provider "aws" {}

variables {
  project_name               = "kafka-platform"
  environment                = "prod"
  vpc_id                     = "vpc-0a1b2c3d4e5f60718"
  private_subnet_ids         = ["subnet-0a1b2c3d4e5f60001", "subnet-0a1b2c3d4e5f60002"]
  eks_node_security_group_id = "sg-0e1d2c3b4a5f60718"
}

run "valid_edges" {
  # The smallest valid group and the shortest valid token.
  command = plan
  variables {
    num_cache_nodes            = 1
    automatic_failover_enabled = false
    multi_az_enabled           = false
    private_subnet_ids         = ["subnet-0a1b2c3d4e5f60001"]
    auth_token                 = "0123456789abcdef"
    snapshot_window            = "23:00-00:30"
    timeout                    = 0
    snapshot_retention_limit   = 35
  }
}

run "malformed_values" {
  command = plan
  variables {
    engine_version           = "7.x"
    snapshot_window          = "3:00-5:00"
    snapshot_retention_limit = 36
    maxmemory_policy         = "lru"
    project_name             = "Kafka-Platform"
    log_retention_in_days    = 10
    alarm_actions            = ["alerts"]
    timeout                  = -1
    num_cache_nodes          = 7
    replicas_per_node_group  = 2 # without cluster mode
  }
  expect_failures = [
    var.engine_version,
    var.snapshot_window,
    var.snapshot_retention_limit,
    var.maxmemory_policy,
    var.project_name,
    var.log_retention_in_days,
    var.alarm_actions,
    var.timeout,
    var.num_cache_nodes,
    var.replicas_per_node_group,
  ]
}

run "malformed_values_2" {
  command = plan
  variables {
    engine_version   = "7.0.7"
    snapshot_window  = "23:00-24:00"
    maxmemory_policy = "allkeys-ttl" # no such policy: ttl is volatile only
    auth_token       = "0123456789abcdef@host"
    environment      = "production-with-a-long-suffix"
    # multi_az_enabled (default true) needs two subnets.
    private_subnet_ids = ["subnet-0a1b2c3d4e5f60001"]
  }
  expect_failures = [
    var.engine_version,
    var.snapshot_window,
    var.maxmemory_policy,
    var.auth_token,
    var.environment,
    var.private_subnet_ids,
  ]
}

run "multi_az_needs_failover_and_token_needs_tls" {
  command = plan
  variables {
    num_cache_nodes            = 2
    automatic_failover_enabled = false
    multi_az_enabled           = true
    transit_encryption_enabled = false
    auth_token                 = "0123456789abcdef"
  }
  expect_failures = [var.multi_az_enabled, var.auth_token]
}

run "failover_needs_two_nodes_and_shards_need_cluster_mode" {
  command = plan
  variables {
    num_cache_nodes            = 1
    automatic_failover_enabled = true
    multi_az_enabled           = false
    num_node_groups            = 3
  }
  expect_failures = [var.automatic_failover_enabled, var.num_node_groups]
}

run "cluster_failover_needs_replicas" {
  command = plan
  variables {
    cluster_mode_enabled    = true
    replicas_per_node_group = 0
  }
  expect_failures = [var.automatic_failover_enabled]
}

run "cluster_mode_needs_failover" {
  command = plan
  variables {
    cluster_mode_enabled       = true
    automatic_failover_enabled = false
    multi_az_enabled           = false
  }
  expect_failures = [var.automatic_failover_enabled]
}

run "cluster_mode_rejects_num_cache_nodes_and_short_token" {
  command = plan
  variables {
    cluster_mode_enabled = true
    num_cache_nodes      = 3
    auth_token           = "0123456789abcde"
  }
  expect_failures = [var.num_cache_nodes, var.auth_token]
}

# ----------------------------------------------------- issue #15 variables ----

run "valid_parity_edges" {
  # Every new variable at a valid value, and a maintenance window across the
  # week's end next to a snapshot window: plans.
  command = plan
  variables {
    allowed_security_group_ids    = ["sg-0c1d2e3f4a5b60001"]
    allowed_cidr_blocks           = ["10.0.32.0/19", "2600:1f14:abc::/56"]
    additional_security_group_ids = ["sg-0c1d2e3f4a5b60002"]
    apply_immediately             = true
    snapshot_window               = "03:00-05:00"
    maintenance_window            = "sat:23:30-sun:00:30"
    auto_minor_version_upgrade    = false
    auth_token                    = "0123456789abcdef"
    auth_token_update_strategy    = "SET"
    kms_key_arn                   = "arn:aws:kms:eu-west-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab"
    transit_encryption_mode       = "required"
    snapshot_name                 = "kafka-platform-prod-final"
    maxmemory_policy              = "volatile-random"
    parameters                    = [{ name = "reserved-memory-percent", value = "25" }]
  }
}

run "malformed_parity_values" {
  command = plan
  variables {
    allowed_security_group_ids    = ["sg-NOTHEX"]
    allowed_cidr_blocks           = ["10.0.1.7/16"] # host bits set
    additional_security_group_ids = ["default"]
    maintenance_window            = "Sun:05:00-Sun:06:00"
    snapshot_arns                 = ["s3://my-bucket/ksqldb-state.rdb"]
    kms_key_arn                   = "arn:aws:kms:eu-west-1:123456789012:alias/redis"
    transit_encryption_mode       = "optional"
    auth_token_update_strategy    = "rotate"
    parameters                    = [{ name = "Reserved_Memory_Percent", value = "25" }]
    ksqldb_user_name              = "ksql db"
    ksqldb_access_string          = "on ~* +@all >inline-password"
    maxmemory_policy              = "allkeys-ttl"
  }
  expect_failures = [
    var.allowed_security_group_ids,
    var.allowed_cidr_blocks,
    var.additional_security_group_ids,
    var.maintenance_window,
    var.snapshot_arns,
    var.kms_key_arn,
    var.transit_encryption_mode,
    var.auth_token_update_strategy,
    var.parameters,
    var.ksqldb_user_name,
    var.ksqldb_access_string,
    var.maxmemory_policy,
  ]
}

run "parity_rules_2" {
  command = plan
  variables {
    # The node security group is allowed already: a second rule would be a duplicate.
    allowed_security_group_ids = ["sg-0e1d2c3b4a5f60718"]
    allowed_cidr_blocks        = ["0.0.0.0/0"]
    parameters                 = [{ name = "maxmemory-policy", value = "noeviction" }]
    snapshot_arns              = ["arn:aws:s3:::my-bucket/ksqldb-state.rdb"]
    snapshot_name              = "kafka-platform-prod-final"
    exporter_user_name         = "ksqldb"
    ksqldb_access_string       = "on ~* +@all nopass"
  }
  expect_failures = [
    var.allowed_security_group_ids,
    var.allowed_cidr_blocks,
    var.parameters,
    var.snapshot_arns,
    var.exporter_user_name,
    var.ksqldb_access_string,
  ]
}

run "parity_rules_3" {
  command = plan
  variables {
    allowed_cidr_blocks = ["10.0.32.0/19", "10.0.32.0/19"]
    parameters = [
      { name = "reserved-memory-percent", value = "25" },
      { name = "reserved-memory-percent", value = "30" },
    ]
    # Encryption settings without the encryption they configure.
    at_rest_encryption_enabled = false
    kms_key_arn                = "arn:aws:kms:eu-west-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab"
    engine_version             = "6.2"
    transit_encryption_mode    = "required"
    # ROTATE changes a token: there is none.
    auth_token_update_strategy = "ROTATE"
    # Passwords without the user group they belong to.
    exporter_user_passwords = ["exporter-password-0123456789"]
    snapshot_name           = "1-starts-with-a-digit"
  }
  expect_failures = [
    var.snapshot_name,
    var.allowed_cidr_blocks,
    var.parameters,
    var.kms_key_arn,
    var.transit_encryption_mode,
    var.auth_token_update_strategy,
    var.exporter_user_passwords,
  ]
}

run "user_group_needs_tls_without_token" {
  command = plan
  variables {
    create_user_group       = true
    auth_token              = "0123456789abcdef"
    ksqldb_user_passwords   = ["ksqldb-password-0123456789"]
    exporter_user_passwords = ["exporter-password-0123456789"]
  }
  expect_failures = [var.create_user_group]
}

run "user_group_needs_good_passwords" {
  command = plan
  variables {
    create_user_group       = true
    ksqldb_user_passwords   = []
    exporter_user_passwords = ["too-short"]
  }
  expect_failures = [var.ksqldb_user_passwords, var.exporter_user_passwords]
}

run "delete_strategy_needs_user_group" {
  command = plan
  variables {
    auth_token_update_strategy = "DELETE"
  }
  expect_failures = [var.auth_token_update_strategy]
}

run "maintenance_overlaps_snapshots" {
  # 04:00-05:00 every day is inside the 03:00-05:00 snapshot window.
  command = plan
  variables {
    snapshot_window    = "03:00-05:00"
    maintenance_window = "wed:04:00-wed:05:00"
  }
  expect_failures = [aws_elasticache_replication_group.this]
}

run "maintenance_overlaps_snapshots_across_the_week" {
  # Saturday 23:00 to Sunday 04:00 reaches into Sunday's snapshot window.
  command = plan
  variables {
    snapshot_window    = "03:00-05:00"
    maintenance_window = "sat:23:00-sun:04:00"
  }
  expect_failures = [aws_elasticache_replication_group.this]
}

run "maintenance_too_short" {
  command = plan
  variables {
    maintenance_window = "sun:05:00-sun:05:30"
  }
  expect_failures = [aws_elasticache_replication_group.this]
}
