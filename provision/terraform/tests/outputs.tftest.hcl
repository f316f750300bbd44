# Outputs per mode, read after an apply against a mocked provider whose
# replication group reports all three endpoints: the module must pass on the
# ones its mode has and return null for the others.

mock_provider "aws" {
  mock_resource "aws_elasticache_replication_group" {
    defaults = {
      primary_endpoint_address       = "master.kafka-platform-prod.abc123.euw1.cache.amazonaws.com"
      reader_endpoint_address        = "replica.kafka-platform-prod.abc123.euw1.cache.amazonaws.com"
      configuration_endpoint_address = "clustercfg.kafka-platform-prod.abc123.euw1.cache.amazonaws.com"
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
}

run "cluster_mode_disabled_tls_auth" {
  state_key = "disabled"

  variables {
    num_cache_nodes = 3
    # Characters that must be escaped in a URL's userinfo.
    auth_token = "s3cret+token#with$chars"
  }

  assert {
    condition     = output.primary_endpoint_address == "master.kafka-platform-prod.abc123.euw1.cache.amazonaws.com"
    error_message = "primary_endpoint_address must be the replication group's primary endpoint"
  }
  assert {
    condition     = output.reader_endpoint_address == "replica.kafka-platform-prod.abc123.euw1.cache.amazonaws.com"
    error_message = "reader_endpoint_address must be the replication group's reader endpoint"
  }
  assert {
    condition     = output.configuration_endpoint_address == null
    error_message = "configuration_endpoint_address must be null when cluster mode is disabled"
  }
  assert {
    # No token in the URL: it comes from its secret (issue #15).
    condition     = output.redis_connection_string == "rediss://master.kafka-platform-prod.abc123.euw1.cache.amazonaws.com:6379"
    error_message = "connection string must be rediss://<primary>:6379, without the token"
  }
  assert {
    condition     = output.security_group_id == "sg-0123456789abcdef0"
    error_message = "security_group_id must be the module's security group"
  }
  assert {
    condition     = output.replication_group_id == "kafka-platform-prod"
    error_message = "replication_group_id must be <project_name>-<environment>"
  }
  assert {
    condition     = output.member_cluster_ids == tolist(["kafka-platform-prod-001", "kafka-platform-prod-002", "kafka-platform-prod-003"])
    error_message = "member_cluster_ids must list the three nodes"
  }
  assert {
    condition     = length(output.cloudwatch_alarm_names) == 15 && contains(output.cloudwatch_alarm_names, "kafka-platform-prod-003-ElastiCacheEvictions")
    error_message = "cloudwatch_alarm_names must list 5 alarms x 3 nodes"
  }
  assert {
    condition     = output.slow_log_group_name == "/aws/elasticache/kafka-platform-prod/slow-log" && output.engine_log_group_name == "/aws/elasticache/kafka-platform-prod/engine-log"
    error_message = "log group outputs must name the two log groups"
  }
  assert {
    condition     = output.at_rest_encryption_enabled == true && output.transit_encryption_enabled == true
    error_message = "encryption outputs must report the defaults (on)"
  }
}

run "cluster_mode_enabled" {
  state_key = "enabled"

  variables {
    cluster_mode_enabled    = true
    num_node_groups         = 2
    replicas_per_node_group = 1
    auth_token              = "0123456789abcdef"
  }

  assert {
    condition     = output.primary_endpoint_address == null && output.reader_endpoint_address == null
    error_message = "primary and reader endpoints must be null in cluster mode"
  }
  assert {
    condition     = output.configuration_endpoint_address == "clustercfg.kafka-platform-prod.abc123.euw1.cache.amazonaws.com"
    error_message = "configuration_endpoint_address must be the replication group's configuration endpoint in cluster mode"
  }
  assert {
    condition     = output.redis_connection_string == "rediss://clustercfg.kafka-platform-prod.abc123.euw1.cache.amazonaws.com:6379"
    error_message = "cluster mode connection string must use the configuration endpoint"
  }
  assert {
    condition     = output.member_cluster_ids == tolist(["kafka-platform-prod-0001-001", "kafka-platform-prod-0001-002", "kafka-platform-prod-0002-001", "kafka-platform-prod-0002-002"])
    error_message = "member_cluster_ids must list 2 shards x 2 nodes"
  }
}

run "development_plain" {
  state_key = "dev"

  variables {
    environment                = "dev"
    num_cache_nodes            = 1
    automatic_failover_enabled = false
    multi_az_enabled           = false
    at_rest_encryption_enabled = false
    transit_encryption_enabled = false
    create_cloudwatch_alarms   = false
  }

  assert {
    condition     = output.redis_connection_string == "redis://master.kafka-platform-prod.abc123.euw1.cache.amazonaws.com:6379"
    error_message = "without TLS and AUTH the connection string must be redis://<primary>:6379"
  }
  assert {
    condition     = length(output.cloudwatch_alarm_names) == 0
    error_message = "no alarm names without alarms"
  }
  assert {
    condition     = output.at_rest_encryption_enabled == false && output.transit_encryption_enabled == false
    error_message = "encryption outputs must report off"
  }
}
