# The three configurations from the README, applied against a mocked provider
# in both forms: examples/* (runnable roots taking the VPC and EKS ids as
# inputs) and tests/seed_examples/* (the README's module blocks verbatim, with
# stub vpc/eks modules). Assertions read the roots' outputs: a test cannot
# look at resources inside module.elasticache.

mock_provider "aws" {
  mock_data "aws_secretsmanager_secret_version" {
    defaults = {
      secret_string = "mock-auth-token-0123456789"
    }
  }
  mock_resource "aws_sns_topic" {
    defaults = {
      arn = "arn:aws:sns:eu-west-1:123456789012:mock-topic"
    }
  }
  mock_resource "aws_elasticache_replication_group" {
    defaults = {
      primary_endpoint_address       = "master.mock.cache.amazonaws.com"
      reader_endpoint_address        = "replica.mock.cache.amazonaws.com"
      configuration_endpoint_address = "clustercfg.mock.cache.amazonaws.com"
    }
  }
}

variables {
  vpc_id                     = "vpc-0a1b2c3d4e5f60718"
  private_subnet_ids         = ["subnet-0a1b2c3d4e5f60001", "subnet-0a1b2c3d4e5f60002", "subnet-0a1b2c3d4e5f60003"]
  eks_node_security_group_id = "sg-0e1d2c3b4a5f60718"
}

run "example_cluster_mode_disabled" {
  module {
    source = "./examples/cluster-mode-disabled"
  }

  assert {
    condition     = length(output.member_cluster_ids) == 3 && length(output.cloudwatch_alarm_names) == 15
    error_message = "3 nodes with 5 alarms each expected"
  }
  assert {
    condition     = output.primary_endpoint_address == "master.mock.cache.amazonaws.com" && output.configuration_endpoint_address == null
    error_message = "cluster mode disabled exposes the primary endpoint, not a configuration endpoint"
  }
  assert {
    condition     = output.at_rest_encryption_enabled && output.transit_encryption_enabled
    error_message = "production must be encrypted at rest and in transit"
  }
  assert {
    condition     = output.redis_connection_string == "rediss://master.mock.cache.amazonaws.com:6379"
    error_message = "production connection string must use TLS and hold no token (the token stays in Secrets Manager)"
  }
  assert {
    condition     = output.port == 6379 && output.replication_group_arn != null
    error_message = "the example must pass on port and replication_group_arn, what ksqlDB and IAM policies need"
  }
}

run "example_cluster_mode_enabled" {
  module {
    source = "./examples/cluster-mode-enabled"
  }

  assert {
    condition     = length(output.member_cluster_ids) == 9 && length(output.cloudwatch_alarm_names) == 45
    error_message = "3 shards x 3 nodes with 5 alarms each expected"
  }
  assert {
    condition     = output.primary_endpoint_address == null && output.reader_endpoint_address == null && output.configuration_endpoint_address == "clustercfg.mock.cache.amazonaws.com"
    error_message = "cluster mode exposes only the configuration endpoint"
  }
  assert {
    condition     = output.at_rest_encryption_enabled && output.transit_encryption_enabled
    error_message = "production must be encrypted at rest and in transit"
  }
}

run "example_development" {
  module {
    source = "./examples/development"
  }

  assert {
    condition     = length(output.cloudwatch_alarm_names) == 0
    error_message = "the development example must create no alarms"
  }
  assert {
    condition     = !output.at_rest_encryption_enabled && !output.transit_encryption_enabled
    error_message = "the development example must create no encryption"
  }
  assert {
    condition     = output.redis_connection_string == "redis://master.mock.cache.amazonaws.com:6379"
    error_message = "the development example must connect without TLS or AUTH"
  }
  assert {
    condition     = output.port == 6379
    error_message = "the development example must pass on the port"
  }
  assert {
    condition     = output.member_cluster_ids == tolist(["kafka-platform-dev-001"])
    error_message = "the development example is a single node"
  }
}

run "seed_cluster_mode_disabled" {
  module {
    source = "./tests/seed_examples/cluster_mode_disabled"
  }

  assert {
    condition     = output.replication_group_id == "kafka-platform-prod" && length(output.cloudwatch_alarm_names) == 15
    error_message = "the README's first example must plan 3 nodes with 5 alarms each"
  }
  assert {
    condition     = output.at_rest_encryption_enabled && output.transit_encryption_enabled
    error_message = "the README's first example is encrypted"
  }
}

run "seed_cluster_mode_enabled" {
  module {
    source = "./tests/seed_examples/cluster_mode_enabled"
  }

  assert {
    condition     = length(output.member_cluster_ids) == 9 && length(output.cloudwatch_alarm_names) == 45
    error_message = "the README's second example must plan 9 nodes with 5 alarms each"
  }
  assert {
    condition     = output.configuration_endpoint_address != null && output.primary_endpoint_address == null
    error_message = "the README's second example exposes only the configuration endpoint"
  }
}

run "seed_development" {
  module {
    source = "./tests/seed_examples/development"
  }

  assert {
    condition     = length(output.cloudwatch_alarm_names) == 0 && length(output.member_cluster_ids) == 1
    error_message = "the README's development example must plan one node and no alarms"
  }
  assert {
    condition     = !output.at_rest_encryption_enabled && !output.transit_encryption_enabled
    error_message = "the README's development example has no encryption"
  }
}
