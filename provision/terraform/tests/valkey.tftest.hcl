# engine = "valkey" (issue #12): the replication group, its parameter group
# family and the RBAC users carry the engine, applied against a mocked
# provider; engine/version combinations ElastiCache does not offer are
# refused at plan. The three README examples with Valkey are checked by
# scripts/terraform-test.sh (it rewrites copies of them; the seed's files
# stay as they are).

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

run "valkey_8_0_group" {
  variables {
    engine                  = "valkey"
    engine_version          = "8.0"
    auth_token              = "0123456789abcdef-valkey"
    transit_encryption_mode = "preferred" # not only Redis OSS 7
    parameters              = [{ name = "reserved-memory-percent", value = "25" }]
  }

  assert {
    condition     = aws_elasticache_replication_group.this.engine == "valkey" && aws_elasticache_replication_group.this.engine_version == "8.0"
    error_message = "engine and engine_version must reach the replication group"
  }
  assert {
    condition     = aws_elasticache_parameter_group.this.family == "valkey8" && aws_elasticache_parameter_group.this.name == "kafka-platform-prod-valkey8"
    error_message = "Valkey 8.0 must use parameter group family valkey8"
  }
  assert {
    condition     = aws_elasticache_replication_group.this.parameter_group_name == aws_elasticache_parameter_group.this.name
    error_message = "the group must use the valkey8 parameter group"
  }
  assert {
    condition     = toset([for p in aws_elasticache_parameter_group.this.parameter : "${p.name}=${p.value}"]) == toset(["maxmemory-policy=allkeys-lru", "timeout=300", "reserved-memory-percent=25"])
    error_message = "the parameters are the same on Valkey"
  }
  assert {
    condition     = aws_elasticache_replication_group.this.transit_encryption_mode == "preferred"
    error_message = "transit_encryption_mode must pass through with Valkey"
  }
  assert {
    condition     = length(aws_cloudwatch_metric_alarm.high_engine_cpu) == 3 && length(aws_cloudwatch_metric_alarm.replication_lag) == 3 && length(output.cloudwatch_alarm_names) == 15
    error_message = "the five alarms apply per node to Valkey as to Redis OSS"
  }
  assert {
    condition     = output.engine == "valkey" && output.parameter_group_name == "kafka-platform-prod-valkey8"
    error_message = "the engine and parameter group outputs must say valkey8"
  }
  assert {
    condition     = output.redis_connection_string == "rediss://master.kafka-platform-prod.abc123.euw1.cache.amazonaws.com:6379" && output.port == 6379
    error_message = "Valkey speaks the same protocol: rediss://host:6379, no token"
  }
}

run "valkey_7_2_family" {
  command = plan

  variables {
    engine         = "valkey"
    engine_version = "7.2"
  }

  assert {
    condition     = aws_elasticache_parameter_group.this.family == "valkey7" && aws_elasticache_parameter_group.this.name == "kafka-platform-prod-valkey7" && aws_elasticache_replication_group.this.engine_version == "7.2"
    error_message = "Valkey 7.2 must use parameter group family valkey7"
  }
}

run "valkey_8_1_cluster_mode" {
  command = plan

  variables {
    engine               = "valkey"
    engine_version       = "8.1"
    cluster_mode_enabled = true
  }

  assert {
    condition     = aws_elasticache_parameter_group.this.family == "valkey8" && contains([for p in aws_elasticache_parameter_group.this.parameter : "${p.name}=${p.value}"], "cluster-enabled=yes")
    error_message = "Valkey 8.1 in cluster mode must use family valkey8 with cluster-enabled yes"
  }
  assert {
    condition     = aws_elasticache_replication_group.this.engine == "valkey" && aws_elasticache_replication_group.this.num_node_groups == 3
    error_message = "a Valkey cluster is sized like a Redis OSS one"
  }
}

run "redis_stays_the_default" {
  command = plan

  assert {
    condition     = aws_elasticache_replication_group.this.engine == "redis" && aws_elasticache_parameter_group.this.family == "redis7"
    error_message = "without engine the module must build Redis OSS 7.1 (family redis7) as before"
  }
}

run "valkey_rbac_users" {
  state_key = "valkey_rbac"

  variables {
    engine                  = "valkey"
    engine_version          = "8.0"
    create_user_group       = true
    ksqldb_user_passwords   = ["ksqldb-password-0123456789"]
    exporter_user_passwords = ["exporter-password-0123456789"]
  }

  assert {
    condition     = alltrue([for u in aws_elasticache_user.this : u.engine == "valkey"]) && aws_elasticache_user_group.this[0].engine == "valkey"
    error_message = "the users and the user group must carry engine valkey"
  }
  assert {
    # ElastiCache refuses no-password-required for a Valkey user.
    condition     = aws_elasticache_user.this["default"].user_name == "default" && startswith(aws_elasticache_user.this["default"].access_string, "off ") && aws_elasticache_user.this["default"].authentication_mode[0].type == "password"
    error_message = "with Valkey the default user must be switched off and have a password"
  }
  assert {
    condition = length(nonsensitive(aws_elasticache_user.this["default"].authentication_mode[0].passwords)) == 1 && alltrue([
      for p in nonsensitive(aws_elasticache_user.this["default"].authentication_mode[0].passwords) :
      can(regex("^[0-9a-f]{64}$", p)) && !contains(["ksqldb-password-0123456789", "exporter-password-0123456789"], p)
    ])
    error_message = "the disabled default user's password must be a 64-character digest, never another user's password"
  }
  assert {
    # The same digest exporter provision computes (provision/rbac_test.go).
    condition     = nonsensitive(aws_elasticache_user.this["default"].authentication_mode[0].passwords) == toset(["b7da5b968fb25f34a7c584c4b9a28272956dfd1fc44beb9b359356c7063489b1"])
    error_message = "the disabled default user's password must be sha256 of the marker and the other passwords, as provision computes it"
  }
  assert {
    condition     = aws_elasticache_user.this["exporter"].access_string == output.exporter_access_string && aws_elasticache_user.this["ksqldb"].authentication_mode[0].type == "password"
    error_message = "ksqlDB's and the exporter's users are the same as with Redis OSS"
  }
  assert {
    condition     = aws_elasticache_replication_group.this.user_group_ids == toset(["kafka-platform-prod"])
    error_message = "the Valkey group must use the user group"
  }
}

run "redis_rbac_default_user_needs_no_password" {
  command = plan

  variables {
    create_user_group       = true
    ksqldb_user_passwords   = ["ksqldb-password-0123456789"]
    exporter_user_passwords = ["exporter-password-0123456789"]
  }

  assert {
    condition     = alltrue([for u in aws_elasticache_user.this : u.engine == "redis"]) && aws_elasticache_user_group.this[0].engine == "redis" && aws_elasticache_user.this["default"].authentication_mode[0].type == "no-password-required"
    error_message = "with Redis OSS the users and group carry engine redis and the default user needs no password"
  }
}

# Rejections. engine_version has two rules, one per engine: a run breaks one.

run "valkey_rejects_redis_versions" {
  command = plan
  variables {
    engine         = "valkey"
    engine_version = "6.2"
  }
  expect_failures = [var.engine_version]
}

run "valkey_rejects_the_redis_default_version" {
  command = plan
  variables {
    engine = "valkey" # engine_version stays 7.1, a Redis OSS version
  }
  expect_failures = [var.engine_version]
}

run "valkey_rejects_patch_versions" {
  command = plan
  variables {
    engine         = "valkey"
    engine_version = "8.0.1"
  }
  expect_failures = [var.engine_version]
}

run "redis_rejects_valkey_versions" {
  command = plan
  variables {
    engine_version = "8.0"
  }
  expect_failures = [var.engine_version]
}

run "unknown_engine" {
  command = plan
  variables {
    engine = "Valkey"
  }
  expect_failures = [var.engine]
}
