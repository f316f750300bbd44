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
    maxmemory_policy = "volatile-lfu" # a Redis policy, but not one the README offers
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
