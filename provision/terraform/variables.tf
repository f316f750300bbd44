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
  description = "Security group of the EKS nodes running ksqlDB; allowed to reach Redis on port 6379 (with allowed_security_group_ids and allowed_cidr_blocks)."
  type        = string

  validation {
    condition     = can(regex("^sg-[0-9a-f]+$", var.eks_node_security_group_id))
    error_message = "eks_node_security_group_id must be a security group id like \"sg-0123456789abcdef0\"; pass module.eks.node_security_group_id."
  }
}

variable "allowed_security_group_ids" {
  description = "More security groups allowed to reach Redis on port 6379 besides eks_node_security_group_id: the EKS cluster security group (managed node groups use it), Karpenter node security groups, security groups for pods (the exporter's, ksqlDB's)."
  type        = list(string)
  default     = []
  nullable    = false

  validation {
    condition     = alltrue([for id in var.allowed_security_group_ids : can(regex("^sg-[0-9a-f]+$", id))])
    error_message = "allowed_security_group_ids must hold security group ids like \"sg-0123456789abcdef0\"; pass e.g. module.eks.cluster_security_group_id."
  }

  validation {
    condition     = length(distinct(var.allowed_security_group_ids)) == length(var.allowed_security_group_ids) && !contains(var.allowed_security_group_ids, var.eks_node_security_group_id)
    error_message = "allowed_security_group_ids must not repeat an id, nor hold eks_node_security_group_id (it is allowed already); AWS refuses a duplicate rule."
  }
}

variable "allowed_cidr_blocks" {
  description = "CIDR blocks allowed to reach Redis on port 6379 (IPv4 or IPv6), e.g. the pod subnets of a VPC CNI custom networking setup. Never 0.0.0.0/0."
  type        = list(string)
  default     = []
  nullable    = false

  validation {
    # cidrsubnet(c, 0, 0) == c: a valid, canonical network address (AWS
    # stores 10.0.0.0/16 for 10.0.1.7/16, and the plan would never settle).
    condition     = alltrue([for c in var.allowed_cidr_blocks : can(cidrsubnet(c, 0, 0)) ? cidrsubnet(c, 0, 0) == lower(c) : false])
    error_message = "allowed_cidr_blocks must hold network addresses in CIDR notation like \"10.0.32.0/19\" or \"2600:1f14::/56\", with the host bits zero."
  }

  validation {
    condition     = alltrue([for c in var.allowed_cidr_blocks : !endswith(c, "/0")])
    error_message = "allowed_cidr_blocks must not open Redis to every address (/0); list the subnets of the clients."
  }

  validation {
    condition     = length(distinct(var.allowed_cidr_blocks)) == length(var.allowed_cidr_blocks)
    error_message = "allowed_cidr_blocks must not repeat a block; AWS refuses a duplicate rule."
  }
}

variable "additional_security_group_ids" {
  description = "Existing security groups attached to the replication group besides the module's own (e.g. a shared \"allow from the platform\" group). Changing the list modifies the group in place."
  type        = list(string)
  default     = []
  nullable    = false

  validation {
    condition     = alltrue([for id in var.additional_security_group_ids : can(regex("^sg-[0-9a-f]+$", id))]) && length(distinct(var.additional_security_group_ids)) == length(var.additional_security_group_ids)
    error_message = "additional_security_group_ids must hold distinct security group ids like \"sg-0123456789abcdef0\"."
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

variable "engine" {
  description = "Cache engine: \"redis\" (Redis OSS) or \"valkey\". It decides which engine_version values are valid, the parameter group family (redis6.x, redis7, valkey7, valkey8) and the engine of the RBAC users and user group."
  type        = string
  default     = "redis"
  nullable    = false

  validation {
    condition     = contains(["redis", "valkey"], var.engine)
    error_message = "engine must be \"redis\" (Redis OSS) or \"valkey\", in lower case."
  }
}

variable "engine_version" {
  description = "Engine major.minor version. Redis OSS: e.g. \"7.1\", \"7.0\" or \"6.2\" (7.x -> family redis7, 6.x -> redis6.x). Valkey (engine = \"valkey\"): \"7.2\" (family valkey7), \"8.0\" or \"8.1\" (family valkey8). The default 7.1 is a Redis OSS version: set one with engine = \"valkey\"."
  type        = string
  default     = "7.1"
  nullable    = false

  validation {
    condition     = var.engine == "valkey" ? true : can(regex("^[67]\\.[0-9]+$", var.engine_version))
    error_message = "engine_version must be a Redis OSS 6 or 7 major.minor version like \"7.1\", \"7.0\" or \"6.2\" (not \"7.x\", \"7.0.7\" or a Valkey version such as \"8.0\"; for Valkey set engine = \"valkey\"); the parameter group family is derived from it."
  }

  validation {
    # ElastiCache's Valkey versions; each has its own parameter group family.
    condition     = var.engine == "valkey" ? contains(["7.2", "8.0", "8.1"], var.engine_version) : true
    error_message = "engine_version must be \"7.2\", \"8.0\" or \"8.1\" with engine = \"valkey\" (ElastiCache's Valkey versions; the default \"7.1\" and 6.x are Redis OSS versions); set e.g. engine_version = \"8.0\"."
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

variable "snapshot_arns" {
  description = "Create the group from RDB files in S3 (ARNs like arn:aws:s3:::bucket/ksqldb-state.rdb, one per shard in cluster mode). Only read at creation; changing it replaces the group."
  type        = list(string)
  default     = []
  nullable    = false

  validation {
    condition     = alltrue([for a in var.snapshot_arns : can(regex("^arn:aws[a-z-]*:s3:::[^/]+/.+$", a))])
    error_message = "snapshot_arns must hold S3 object ARNs like \"arn:aws:s3:::my-bucket/ksqldb-state.rdb\"."
  }

  validation {
    condition     = length(var.snapshot_arns) == 0 || var.snapshot_name == null
    error_message = "snapshot_arns and snapshot_name are two ways to seed the group; set one of them, not both."
  }
}

variable "snapshot_name" {
  description = "Create the group from this ElastiCache snapshot (e.g. a <project_name>-<environment>-final snapshot). Only read at creation; changing it replaces the group."
  type        = string
  default     = null

  validation {
    condition     = var.snapshot_name == null ? true : can(regex("^[A-Za-z][A-Za-z0-9-]{0,254}$", var.snapshot_name))
    error_message = "snapshot_name must be an ElastiCache snapshot name: a letter, then letters, digits and hyphens (e.g. \"kafka-platform-prod-final\")."
  }
}

# ----------------------------------------------------------- maintenance ----

variable "apply_immediately" {
  description = "Apply changes to the replication group now instead of in the next maintenance window (node type, engine version, parameter group, security groups ...). false lets changes wait for maintenance_window."
  type        = bool
  default     = false
  nullable    = false
}

variable "maintenance_window" {
  description = "Weekly UTC window for maintenance, \"ddd:hh24:mi-ddd:hh24:mi\" (e.g. \"sun:05:00-sun:06:00\", at least 60 minutes, not overlapping snapshot_window). null lets AWS choose one."
  type        = string
  default     = null

  validation {
    condition     = var.maintenance_window == null ? true : can(regex("^(sun|mon|tue|wed|thu|fri|sat):([01][0-9]|2[0-3]):[0-5][0-9]-(sun|mon|tue|wed|thu|fri|sat):([01][0-9]|2[0-3]):[0-5][0-9]$", var.maintenance_window))
    error_message = "maintenance_window must be a weekly UTC range \"ddd:hh24:mi-ddd:hh24:mi\" with lowercase days, such as \"sun:05:00-sun:06:00\"."
  }
}

variable "auto_minor_version_upgrade" {
  description = "Let ElastiCache upgrade to new minor engine versions in the maintenance window."
  type        = bool
  default     = true
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

variable "auth_token_update_strategy" {
  description = "How a changed auth_token reaches the group: ROTATE (the new token and the old one are both valid: roll the clients, then apply again with SET), SET (only the new token is valid, at once) or DELETE (drop the token while moving to RBAC users, create_user_group). null leaves it to the provider (ROTATE in hashicorp/aws 5.x)."
  type        = string
  default     = null

  validation {
    condition     = var.auth_token_update_strategy == null ? true : contains(["ROTATE", "SET", "DELETE"], var.auth_token_update_strategy)
    error_message = "auth_token_update_strategy must be ROTATE, SET or DELETE (upper case), or null."
  }

  validation {
    condition     = contains(["ROTATE", "SET"], coalesce(var.auth_token_update_strategy, "-")) ? var.auth_token != null : true
    error_message = "auth_token_update_strategy ROTATE and SET change the AUTH token and need auth_token; set auth_token or use DELETE to remove it."
  }

  validation {
    condition     = var.auth_token_update_strategy == "DELETE" ? var.auth_token == null && var.create_user_group : true
    error_message = "auth_token_update_strategy DELETE removes the AUTH token while the group moves to RBAC users: leave auth_token null and set create_user_group = true."
  }
}

variable "kms_key_arn" {
  description = "Customer managed KMS key (ARN) for encryption at rest; null uses the AWS managed key. Needs at_rest_encryption_enabled. Changing it replaces the group."
  type        = string
  default     = null

  validation {
    condition     = var.kms_key_arn == null ? true : can(regex("^arn:aws[a-z-]*:kms:[a-z0-9-]+:[0-9]{12}:key/[A-Za-z0-9-]+$", var.kms_key_arn))
    error_message = "kms_key_arn must be a KMS key ARN like \"arn:aws:kms:eu-west-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab\" (not an alias)."
  }

  validation {
    condition     = var.kms_key_arn == null ? true : var.at_rest_encryption_enabled
    error_message = "kms_key_arn needs at_rest_encryption_enabled = true; enable encryption at rest or leave kms_key_arn null."
  }
}

variable "transit_encryption_mode" {
  description = "With transit_encryption_enabled: \"required\" (TLS only) or \"preferred\" (TLS and plain connections, for migrating clients to TLS). null lets AWS choose (required). Redis OSS 7 or Valkey only."
  type        = string
  default     = null

  validation {
    condition     = var.transit_encryption_mode == null ? true : contains(["required", "preferred"], var.transit_encryption_mode)
    error_message = "transit_encryption_mode must be \"required\" or \"preferred\", or null."
  }

  validation {
    # Every Valkey version ElastiCache runs (7.2 and later) supports it.
    condition     = var.transit_encryption_mode == null ? true : var.transit_encryption_enabled && (var.engine == "valkey" || startswith(var.engine_version, "7."))
    error_message = "transit_encryption_mode needs transit_encryption_enabled = true and a Redis OSS 7 or Valkey engine_version; enable transit encryption or leave transit_encryption_mode null."
  }
}

# --------------------------------------------------------------- RBAC users ----

variable "create_user_group" {
  description = "Create an ElastiCache RBAC user group with three users and attach it instead of auth_token: a disabled \"default\" user, ksqlDB's user (ksqldb_access_string) and the exporter's user, whose access string allows only the commands elasticache-exporter sends. Needs transit_encryption_enabled and no auth_token."
  type        = bool
  default     = false
  nullable    = false

  validation {
    condition     = var.create_user_group ? var.transit_encryption_enabled && var.auth_token == null : true
    error_message = "create_user_group needs transit_encryption_enabled = true and auth_token = null (a group uses RBAC users or an AUTH token, not both; to move an existing group off its token set auth_token_update_strategy = \"DELETE\")."
  }
}

variable "ksqldb_user_name" {
  description = "User name ksqlDB authenticates with (create_user_group)."
  type        = string
  default     = "ksqldb"
  nullable    = false

  validation {
    condition     = can(regex("^[A-Za-z][A-Za-z0-9_-]{0,39}$", var.ksqldb_user_name)) && var.ksqldb_user_name != "default"
    error_message = "ksqldb_user_name must start with a letter and hold up to 40 letters, digits, hyphens and underscores, and not be \"default\" (the module's disabled default user)."
  }
}

variable "ksqldb_user_passwords" {
  description = "ksqlDB user's passwords (create_user_group): one, or two while rotating (both are valid). 16-128 printable ASCII characters, no space, \", / or @. Read them from Secrets Manager."
  type        = list(string)
  default     = []
  nullable    = false
  sensitive   = true

  # Messages never interpolate a password.
  validation {
    condition     = var.create_user_group ? length(var.ksqldb_user_passwords) >= 1 && length(var.ksqldb_user_passwords) <= 2 : length(var.ksqldb_user_passwords) == 0
    error_message = "ksqldb_user_passwords must hold one or two passwords when create_user_group is true, and none otherwise."
  }

  validation {
    condition     = alltrue([for p in var.ksqldb_user_passwords : length(p) >= 16 && length(p) <= 128 && can(regex("^[!#-.0-?A-~]+$", p))])
    error_message = "ksqldb_user_passwords must be 16 to 128 printable ASCII characters other than space, double quote, slash and @."
  }
}

variable "ksqldb_access_string" {
  description = "Redis ACL rules of ksqlDB's user (create_user_group), e.g. \"on ~* &* +@all\" or one narrowed to ksqlDB's key prefix. No passwords here: they come from ksqldb_user_passwords."
  type        = string
  default     = "on ~* &* +@all"
  nullable    = false

  validation {
    condition     = can(regex("(^|\\s)(on|off)(\\s|$)", var.ksqldb_access_string)) && !can(regex("(^|\\s)([<>#]\\S*|reset|resetpass|nopass)(\\s|$)", var.ksqldb_access_string))
    error_message = "ksqldb_access_string must say on (or off) and hold no password rule (>, <, #, nopass, resetpass) nor reset: ElastiCache sets passwords from ksqldb_user_passwords."
  }
}

variable "exporter_user_name" {
  description = "User name elasticache-exporter authenticates with (create_user_group); its access string is local.exporter_access_string (exporter_acl.tf)."
  type        = string
  default     = "elasticache-exporter"
  nullable    = false

  validation {
    condition     = can(regex("^[A-Za-z][A-Za-z0-9_-]{0,39}$", var.exporter_user_name)) && !contains(["default", var.ksqldb_user_name], var.exporter_user_name)
    error_message = "exporter_user_name must start with a letter and hold up to 40 letters, digits, hyphens and underscores, and differ from \"default\" and ksqldb_user_name."
  }
}

variable "exporter_user_passwords" {
  description = "Exporter user's passwords (create_user_group): one, or two while rotating. Same rules as ksqldb_user_passwords. Mount the same value into the exporter's pod (the chart's auth.existingSecret)."
  type        = list(string)
  default     = []
  nullable    = false
  sensitive   = true

  validation {
    condition     = var.create_user_group ? length(var.exporter_user_passwords) >= 1 && length(var.exporter_user_passwords) <= 2 : length(var.exporter_user_passwords) == 0
    error_message = "exporter_user_passwords must hold one or two passwords when create_user_group is true, and none otherwise."
  }

  validation {
    condition     = alltrue([for p in var.exporter_user_passwords : length(p) >= 16 && length(p) <= 128 && can(regex("^[!#-.0-?A-~]+$", p))])
    error_message = "exporter_user_passwords must be 16 to 128 printable ASCII characters other than space, double quote, slash and @."
  }
}

# ------------------------------------------------------- parameter group ----

variable "maxmemory_policy" {
  description = "Redis maxmemory-policy, any ElastiCache accepts: allkeys-lru (recommended for ksqlDB), allkeys-lfu, allkeys-random, volatile-lru, volatile-lfu, volatile-random, volatile-ttl or noeviction."
  type        = string
  default     = "allkeys-lru"
  nullable    = false

  validation {
    condition     = contains(["noeviction", "allkeys-lru", "allkeys-lfu", "allkeys-random", "volatile-lru", "volatile-lfu", "volatile-random", "volatile-ttl"], var.maxmemory_policy)
    error_message = "maxmemory_policy must be one of allkeys-lru, allkeys-lfu, allkeys-random, volatile-lru, volatile-lfu, volatile-random, volatile-ttl, noeviction; use allkeys-lru for ksqlDB state."
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

variable "parameters" {
  description = "More parameter group values, merged with maxmemory-policy and timeout (set those with their own variables), e.g. [{ name = \"reserved-memory-percent\", value = \"25\" }]. cluster-enabled follows cluster_mode_enabled."
  type = list(object({
    name  = string
    value = string
  }))
  default  = []
  nullable = false

  validation {
    condition     = alltrue([for p in var.parameters : can(regex("^[a-z][a-z0-9-]*$", p.name)) && p.value != null])
    error_message = "parameters must hold { name, value } pairs with a Redis parameter name in lowercase letters, digits and hyphens (e.g. \"reserved-memory-percent\") and a value."
  }

  validation {
    condition     = length(distinct([for p in var.parameters : p.name])) == length(var.parameters)
    error_message = "parameters must name each parameter once."
  }

  validation {
    condition     = length(setintersection(toset([for p in var.parameters : p.name]), toset(["maxmemory-policy", "timeout", "cluster-enabled"]))) == 0
    error_message = "parameters must not set maxmemory-policy, timeout or cluster-enabled: use maxmemory_policy, timeout and cluster_mode_enabled."
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
