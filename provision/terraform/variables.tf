# Inputs of the ElastiCache module. Every variable used in the three usage
# examples of README.md is here; the validations encode the rules AWS would
# otherwise reject at apply time (or silently accept and regret later), so a
# wrong combination fails at `terraform plan` with a message that names the
# variable and the fix.
#
# Conditions use `cond ? ... : ...` rather than `||` wherever a null must not
# be evaluated further: Terraform's `||` evaluates both sides.

# ---------------------------------------------------------------- naming ----

variable "project_name" {
  description = "Project name; resources are named <project_name>-<environment> (e.g. kafka-platform-prod)."
  type        = string

  validation {
    condition     = can(regex("^[a-z]([a-z0-9-]*[a-z0-9])?$", var.project_name)) && !strcontains(var.project_name, "--")
    error_message = "project_name must start with a lowercase letter and hold only lowercase letters, digits and single hyphens, not ending in a hyphen (ElastiCache replication group id rules); use e.g. \"kafka-platform\"."
  }
}

variable "environment" {
  description = "Environment name (e.g. prod, staging, dev); the second half of <project_name>-<environment>."
  type        = string

  validation {
    condition     = can(regex("^[a-z0-9]([a-z0-9-]*[a-z0-9])?$", var.environment)) && !strcontains(var.environment, "--")
    error_message = "environment must hold only lowercase letters, digits and single hyphens, not starting or ending with a hyphen; use e.g. \"prod\" or \"dev\"."
  }

  validation {
    condition     = length("${var.project_name}-${var.environment}") <= 40
    error_message = "project_name and environment together (\"<project_name>-<environment>\") must be at most 40 characters, the ElastiCache replication group id limit; shorten project_name or environment."
  }
}

variable "tags" {
  description = "Tags applied to every resource the module creates (a Name tag is added per resource)."
  type        = map(string)
  default     = {}
  nullable    = false
}

# --------------------------------------------------------------- network ----

variable "vpc_id" {
  description = "VPC that holds the Redis security group (the VPC of private_subnet_ids)."
  type        = string

  validation {
    condition     = can(regex("^vpc-[0-9a-f]+$", var.vpc_id))
    error_message = "vpc_id must be a VPC id like \"vpc-0123456789abcdef0\"; pass module.vpc.vpc_id or the id of an existing VPC."
  }
}

variable "private_subnet_ids" {
  description = "Private subnets for the cache subnet group; use subnets in different availability zones for Multi-AZ."
  type        = list(string)

  validation {
    condition     = length(var.private_subnet_ids) >= 1 && alltrue([for s in var.private_subnet_ids : can(regex("^subnet-[0-9a-f]+$", s))])
    error_message = "private_subnet_ids must list at least one subnet id like \"subnet-0123456789abcdef0\"; pass module.vpc.private_subnet_ids."
  }

  validation {
    condition     = var.multi_az_enabled ? length(toset(var.private_subnet_ids)) >= 2 : true
    error_message = "private_subnet_ids must hold at least two subnets (in different availability zones) when multi_az_enabled is true; add a subnet or set multi_az_enabled = false."
  }
}

variable "eks_node_security_group_id" {
  description = "Security group of the EKS nodes running ksqlDB; the only source allowed to reach Redis on port 6379."
  type        = string

  validation {
    condition     = can(regex("^sg-[0-9a-f]+$", var.eks_node_security_group_id))
    error_message = "eks_node_security_group_id must be a security group id like \"sg-0123456789abcdef0\"; pass module.eks.node_security_group_id."
  }
}

# ------------------------------------------------------------------ nodes ----

variable "node_type" {
  description = "ElastiCache node type, e.g. cache.r6g.large (recommended start for ksqlDB) or cache.t3.micro (dev)."
  type        = string
  default     = "cache.r6g.large"
  nullable    = false

  validation {
    condition     = can(regex("^cache\\.[a-z0-9]+\\.[a-z0-9]+$", var.node_type))
    error_message = "node_type must be an ElastiCache node type like \"cache.r6g.large\" or \"cache.t3.micro\"."
  }
}

variable "engine_version" {
  description = "Redis major.minor version, e.g. \"7.1\", \"7.0\" or \"6.2\"; the parameter group family is derived from it (7.x -> redis7, 6.x -> redis6.x)."
  type        = string
  default     = "7.1"
  nullable    = false

  validation {
    condition     = can(regex("^[67]\\.[0-9]+$", var.engine_version))
    error_message = "engine_version must be a Redis 6 or 7 major.minor version like \"7.1\", \"7.0\" or \"6.2\" (not \"7.x\" or \"7.0.7\"); the parameter group family is derived from it."
  }
}

# ------------------------------------------------------------ topology ----

variable "cluster_mode_enabled" {
  description = "Shard the data across num_node_groups shards (Redis cluster mode). false: one shard of num_cache_nodes nodes."
  type        = bool
  default     = false
  nullable    = false
}

variable "num_cache_nodes" {
  description = "Cluster mode disabled only: nodes in the single shard, 1 primary plus up to 5 replicas (1-6). null means 3. Leave null in cluster mode."
  type        = number
  default     = null

  validation {
    condition     = var.num_cache_nodes == null ? true : (floor(var.num_cache_nodes) == var.num_cache_nodes && var.num_cache_nodes >= 1 && var.num_cache_nodes <= 6)
    error_message = "num_cache_nodes must be a whole number from 1 to 6 (1 primary + up to 5 replicas)."
  }

  validation {
    condition     = var.num_cache_nodes == null ? true : !var.cluster_mode_enabled
    error_message = "num_cache_nodes must not be set when cluster_mode_enabled is true; size a cluster with num_node_groups and replicas_per_node_group instead, or set cluster_mode_enabled = false."
  }
}

variable "num_node_groups" {
  description = "Cluster mode only: number of shards (1-500). null means 3. Leave null when cluster_mode_enabled is false."
  type        = number
  default     = null

  validation {
    condition     = var.num_node_groups == null ? true : (floor(var.num_node_groups) == var.num_node_groups && var.num_node_groups >= 1 && var.num_node_groups <= 500)
    error_message = "num_node_groups must be a whole number from 1 to 500."
  }

  validation {
    condition     = var.num_node_groups == null ? true : var.cluster_mode_enabled
    error_message = "num_node_groups only applies when cluster_mode_enabled is true; set cluster_mode_enabled = true or size the single shard with num_cache_nodes."
  }
}

variable "replicas_per_node_group" {
  description = "Cluster mode only: replicas in each shard (0-5). null means 2. Leave null when cluster_mode_enabled is false."
  type        = number
  default     = null

  validation {
    condition     = var.replicas_per_node_group == null ? true : (floor(var.replicas_per_node_group) == var.replicas_per_node_group && var.replicas_per_node_group >= 0 && var.replicas_per_node_group <= 5)
    error_message = "replicas_per_node_group must be a whole number from 0 to 5."
  }

  validation {
    condition     = var.replicas_per_node_group == null ? true : var.cluster_mode_enabled
    error_message = "replicas_per_node_group only applies when cluster_mode_enabled is true; set cluster_mode_enabled = true or size the single shard with num_cache_nodes."
  }
}

variable "automatic_failover_enabled" {
  description = "Promote a replica when the primary fails. Needs a replica: num_cache_nodes > 1 (cluster mode disabled) or replicas_per_node_group >= 1 (cluster mode). Required by AWS in cluster mode."
  type        = bool
  default     = true
  nullable    = false

  validation {
    # null num_cache_nodes means the default of 3 nodes, which has replicas.
    condition     = var.automatic_failover_enabled && !var.cluster_mode_enabled ? (var.num_cache_nodes == null ? true : var.num_cache_nodes > 1) : true
    error_message = "automatic_failover_enabled needs more than one node: with cluster_mode_enabled = false set num_cache_nodes to 2 or more, or set automatic_failover_enabled = false (and multi_az_enabled = false)."
  }

  validation {
    # null replicas_per_node_group means the default of 2 replicas per shard.
    condition     = var.automatic_failover_enabled && var.cluster_mode_enabled ? (var.replicas_per_node_group == null ? true : var.replicas_per_node_group >= 1) : true
    error_message = "automatic_failover_enabled needs a replica in every shard: with cluster_mode_enabled = true set replicas_per_node_group to 1 or more."
  }

  validation {
    # CreateReplicationGroup: AutomaticFailoverEnabled must be enabled for
    # Redis OSS (cluster mode enabled) replication groups.
    condition     = var.cluster_mode_enabled ? var.automatic_failover_enabled : true
    error_message = "automatic_failover_enabled must be true when cluster_mode_enabled is true (AWS requires it for cluster mode); set automatic_failover_enabled = true and replicas_per_node_group >= 1."
  }
}

variable "multi_az_enabled" {
  description = "Place replicas in other availability zones and fail over across them. Requires automatic_failover_enabled."
  type        = bool
  default     = true
  nullable    = false

  validation {
    condition     = var.multi_az_enabled ? var.automatic_failover_enabled : true
    error_message = "multi_az_enabled requires automatic_failover_enabled = true; enable automatic failover (with at least one replica) or set multi_az_enabled = false."
  }
}

# ---------------------------------------------------------- persistence ----

variable "snapshot_retention_limit" {
  description = "Days to keep automatic RDB snapshots (0-35); 0 turns automatic snapshots off."
  type        = number
  default     = 7
  nullable    = false

  validation {
    condition     = floor(var.snapshot_retention_limit) == var.snapshot_retention_limit && var.snapshot_retention_limit >= 0 && var.snapshot_retention_limit <= 35
    error_message = "snapshot_retention_limit must be a whole number of days from 0 to 35."
  }
}

variable "snapshot_window" {
  description = "Daily UTC window for automatic snapshots, \"hh24:mi-hh24:mi\" (e.g. \"03:00-05:00\", at least 60 minutes). null lets AWS choose."
  type        = string
  default     = null

  validation {
    condition     = var.snapshot_window == null ? true : can(regex("^([01][0-9]|2[0-3]):[0-5][0-9]-([01][0-9]|2[0-3]):[0-5][0-9]$", var.snapshot_window))
    error_message = "snapshot_window must be a UTC range \"hh24:mi-hh24:mi\" such as \"03:00-05:00\" (24-hour clock, zero-padded)."
  }
}

variable "skip_final_snapshot" {
  description = "Destroy without a final snapshot. false keeps a final snapshot named <project_name>-<environment>-final."
  type        = bool
  default     = false
  nullable    = false
}

# -------------------------------------------------------------- security ----

variable "at_rest_encryption_enabled" {
  description = "Encrypt data at rest (AES-256, AWS-managed KMS key)."
  type        = bool
  default     = true
  nullable    = false
}

variable "transit_encryption_enabled" {
  description = "Require TLS between clients and Redis (connection string scheme rediss://). Needed for auth_token."
  type        = bool
  default     = true
  nullable    = false
}

variable "auth_token" {
  description = "Redis AUTH password (16-128 printable ASCII characters, no space, \", / or @). Requires transit_encryption_enabled. Read it from Secrets Manager; never commit it."
  type        = string
  default     = null
  sensitive   = true

  # Messages below never interpolate the token.
  validation {
    condition     = var.auth_token == null ? true : var.transit_encryption_enabled
    error_message = "auth_token requires transit_encryption_enabled = true (ElastiCache only accepts AUTH over TLS); enable transit encryption or leave auth_token unset."
  }

  validation {
    condition     = var.auth_token == null ? true : (length(var.auth_token) >= 16 && length(var.auth_token) <= 128)
    error_message = "auth_token must be 16 to 128 characters long; generate a longer token (e.g. 32 random characters) and store it in Secrets Manager."
  }

  validation {
    condition     = var.auth_token == null ? true : can(regex("^[!#-.0-?A-~]+$", var.auth_token))
    error_message = "auth_token may hold only printable ASCII characters other than space, double quote, slash and @; regenerate it without those."
  }
}

# ------------------------------------------------------- parameter group ----

variable "maxmemory_policy" {
  description = "Redis maxmemory-policy: noeviction, allkeys-lru (recommended for ksqlDB), allkeys-lfu, volatile-lru, volatile-ttl or allkeys-random."
  type        = string
  default     = "allkeys-lru"
  nullable    = false

  validation {
    condition     = contains(["noeviction", "allkeys-lru", "allkeys-lfu", "volatile-lru", "volatile-ttl", "allkeys-random"], var.maxmemory_policy)
    error_message = "maxmemory_policy must be one of noeviction, allkeys-lru, allkeys-lfu, volatile-lru, volatile-ttl, allkeys-random; use allkeys-lru for ksqlDB state."
  }
}

variable "timeout" {
  description = "Redis timeout parameter: seconds before an idle client connection is closed; 0 never closes."
  type        = number
  default     = 300
  nullable    = false

  validation {
    condition     = floor(var.timeout) == var.timeout && var.timeout >= 0
    error_message = "timeout must be a whole number of seconds, 0 or more (0 keeps idle connections open)."
  }
}

# ------------------------------------------------------------ monitoring ----

variable "create_cloudwatch_alarms" {
  description = "Create the five CloudWatch alarms (engine CPU, memory, evictions, replication lag, connections) for every member node."
  type        = bool
  default     = true
  nullable    = false
}

variable "alarm_actions" {
  description = "ARNs (usually SNS topics) notified when an alarm fires and when it returns to OK."
  type        = list(string)
  default     = []
  nullable    = false

  validation {
    condition     = alltrue([for a in var.alarm_actions : startswith(a, "arn:")])
    error_message = "alarm_actions must hold ARNs like \"arn:aws:sns:eu-west-1:123456789012:alerts\"; pass aws_sns_topic.alerts.arn."
  }
}

variable "notification_topic_arn" {
  description = "SNS topic ARN for ElastiCache events (failover, node replacement, snapshots). null sends none."
  type        = string
  default     = null

  validation {
    condition     = var.notification_topic_arn == null ? true : can(regex("^arn:[a-z-]+:sns:", var.notification_topic_arn))
    error_message = "notification_topic_arn must be an SNS topic ARN like \"arn:aws:sns:eu-west-1:123456789012:elasticache-events\", or null."
  }
}

variable "log_retention_in_days" {
  description = "Retention of the slow-log and engine-log CloudWatch log groups, in days (a CloudWatch Logs retention value; 0 keeps logs forever)."
  type        = number
  default     = 30
  nullable    = false

  validation {
    condition     = contains([0, 1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653], var.log_retention_in_days)
    error_message = "log_retention_in_days must be a CloudWatch Logs retention value: 0, 1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288 or 3653."
  }
}
