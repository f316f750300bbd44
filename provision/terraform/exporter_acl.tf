# The access string of the exporter's RBAC user (main.tf, create_user_group):
# on, no command but the ones elasticache-exporter sends, no key, no channel.
#   INFO               internal/collect (every scrape: INFO with the sections it exports), internal/topology (discovery: INFO server, replication, cluster; roles)
#   CLUSTER INFO       internal/collect (every scrape of a cluster-mode node, pipelined with INFO)
#   CLUSTER SHARDS     internal/topology (discovery in cluster mode)
#   CLUSTER NODES      internal/topology (discovery in cluster mode when CLUSTER SHARDS is unknown)
#   LATENCY HISTOGRAM  internal/collect (every scrape, pipelined with INFO: redis_commands_latencies_usec; not sent again to a node that refused it)
#   LATENCY LATEST     internal/collect (every scrape, pipelined with INFO: redis_latency_spike_*; not sent again to a node that refused it)
#   SLOWLOG GET        internal/slowlog (SLOWLOG GET 1 every scrape, SLOWLOG GET n for new entries)
#   SLOWLOG LEN        internal/slowlog (every scrape, pipelined with SLOWLOG GET 1)
#   PING               internal/app (warming the connection of a newly discovered node)
#   CLIENT SETNAME     go-redis connection setup: CLIENT SETNAME <redis.client_name> on every new connection, after HELLO (a refusal fails the connection)
# AUTH and HELLO are always allowed. Generated from internal/redisacl by
# `make generate`; do not edit.

locals {
  exporter_access_string = "on -@all +info +cluster|info +cluster|shards +cluster|nodes +latency|histogram +latency|latest +slowlog|get +slowlog|len +ping +client|setname"
}
