package collect

import "github.com/prometheus/client_golang/prometheus"

// nodeLabels identify a node; both survive a failover.
var nodeLabels = []string{"node", "shard"}

func nodeDesc(name, help string, extra ...string) *prometheus.Desc {
	return prometheus.NewDesc(name, help, append(append([]string{}, nodeLabels...), extra...), nil)
}

var (
	infoDescs        = descsFor(infoMetrics)
	clusterInfoDescs = descsFor(clusterInfoMetrics)

	upDesc = nodeDesc("redis_up",
		"1 when the node answered INFO within the scrape deadline, 0 when it did not (dead, unreachable, paused or refusing the credentials).")
	instanceInfoDesc = nodeDesc("redis_instance_info",
		"Always 1; labels from INFO server and replication, as redis_exporter's (role master or slave changes on failover), plus engine (INFO server_name, redis when absent) and engine_version, the engine's own (Valkey's redis_version is its compatibility level).",
		"role", "redis_version", "redis_build_id", "redis_mode", "os", "maxmemory_policy", "tcp_port", "run_id", "process_id", "master_replid", "valkey_version", "engine", "engine_version")
	startTimeDesc = nodeDesc("redis_start_time_seconds",
		"Unix time the node started: the scrape's time minus INFO server uptime_in_seconds.")
	slaveInfoDesc = nodeDesc("redis_slave_info",
		"Always 1 on a replica; its primary and read-only setting (INFO replication master_host, master_port, slave_read_only).",
		"master_host", "master_port", "read_only")
	connectedSlaveOffsetDesc = nodeDesc("redis_connected_slave_offset_bytes",
		"Offset in bytes a primary last heard from each replica (INFO replication slaveN offset); see redis_replica_lag_bytes.",
		"slave_ip", "slave_port", "slave_state")
	connectedSlaveLagDesc = nodeDesc("redis_connected_slave_lag_seconds",
		"Seconds since a primary last heard from each replica (INFO replication slaveN lag); see redis_replica_lag_seconds.",
		"slave_ip", "slave_port", "slave_state")
	latencyPercentilesDesc = nodeDesc("redis_latency_percentiles_usec",
		"Latency per command in µs since the node started (INFO latencystats; quantile as the node writes it: 50, 99, 99.9; count and sum from INFO commandstats).",
		"cmd")
	commandsLatenciesDesc = nodeDesc("redis_commands_latencies_usec",
		"Latency per command in µs since the node started (LATENCY HISTOGRAM; sum from INFO commandstats).",
		"cmd")
	latencySpikeLastDesc = nodeDesc("redis_latency_spike_last",
		"Unix time of the latest latency spike per event (LATENCY LATEST; none while latency-monitor-threshold is 0).",
		"event_name")
	latencySpikeDurationDesc = nodeDesc("redis_latency_spike_duration_seconds",
		"Duration of the latest latency spike per event in seconds (LATENCY LATEST).",
		"event_name")
	isPrimaryDesc = nodeDesc("redis_node_is_primary",
		"1 when INFO replication reports role:master in this scrape, 0 for a replica.")
	masterLinkUpDesc = nodeDesc("redis_master_link_up",
		"1 when this replica's link to its primary is up (INFO replication master_link_status); replicas only.")
	replicaLagBytesDesc = nodeDesc("redis_replica_lag_bytes",
		"Bytes this replica is behind its primary: the primary's master_repl_offset minus this replica's slave_repl_offset, both read in the same scrape; replicas only.")
	linkDownSinceDesc = nodeDesc("redis_master_link_down_since_seconds",
		"Seconds this replica's link to its primary has been down: INFO replication master_link_down_since_seconds, or, where Redis reports -1 (7.0 after a primary's shutdown), the time since a scrape first saw the link down; replicas with the link down only.")
	replicaLagSecondsDesc = nodeDesc("redis_replica_lag_seconds",
		"Seconds this replica is behind its primary: how long ago the primary's offset was where this replica's is now, interpolated between scrapes, or the time since the link went down; replicas only.")
	clusterStateDesc = nodeDesc("redis_cluster_state",
		"1 when CLUSTER INFO reports cluster_state:ok on this node, 0 otherwise; cluster mode only.")
	commandsDesc = nodeDesc("redis_commands_total",
		"Calls per command (INFO commandstats calls).", "cmd")
	commandsDurationDesc = nodeDesc("redis_commands_duration_seconds_total",
		"Seconds spent per command (INFO commandstats usec).", "cmd")
	commandsRejectedDesc = nodeDesc("redis_commands_rejected_calls_total",
		"Calls refused before execution per command (INFO commandstats rejected_calls).", "cmd")
	commandsFailedDesc = nodeDesc("redis_commands_failed_calls_total",
		"Calls that failed during execution per command (INFO commandstats failed_calls).", "cmd")
	errorsDesc = nodeDesc("redis_errors_total",
		"Error replies per error prefix (INFO errorstats).", "err")
	dbKeysDesc = nodeDesc("redis_db_keys",
		"Keys per database (INFO keyspace keys).", "db")
	dbKeysExpiringDesc = nodeDesc("redis_db_keys_expiring",
		"Keys with a TTL per database (INFO keyspace expires).", "db")
	dbAvgTTLDesc = nodeDesc("redis_db_avg_ttl_seconds",
		"Average TTL of keys with a TTL per database (INFO keyspace avg_ttl).", "db")

	failoversDesc = prometheus.NewDesc("elasticache_exporter_failovers_total",
		"Times the primary of a shard changed, as seen by the exporter's scrapes since it started.", []string{"shard"}, nil)
	nodesDesc = prometheus.NewDesc("elasticache_exporter_nodes",
		"Nodes in the topology by the role they reported in this scrape; unknown for nodes that did not answer.", []string{"role"}, nil)
	scrapeDurationDesc = prometheus.NewDesc("elasticache_exporter_scrape_duration_seconds",
		"Wall time of the last scrape round over every node and source.", nil, nil)
	collectorSuccessDesc = prometheus.NewDesc("elasticache_exporter_scrape_collector_success",
		"1 when the collector succeeded in the served round; 0 when it failed, panicked or outlived the round's deadline (see the log). redis is 0 only when no node answered or a node's series could not be built (a single dead node shows as redis_up 0).", []string{"collector"}, nil)
	collectorDurationDesc = prometheus.NewDesc("elasticache_exporter_scrape_collector_duration_seconds",
		"Wall time of each collector in the last scrape round.", []string{"collector"}, nil)
	roundTimestampDesc = prometheus.NewDesc("elasticache_exporter_scrape_round_timestamp_seconds",
		"Unix time the served scrape round ended. A scraper whose deadline ended before the round in flight is served the newest complete round, whose time this is (time() minus it is its age); 0 when no round had completed yet and the nodes not read by then show redis_up 0.", nil, nil)
	seriesDesc = prometheus.NewDesc("elasticache_exporter_series",
		"Samples each collector emitted in the served round, for watching cardinality.", []string{"collector"}, nil)
	nodeScrapeDurationDesc = nodeDesc("elasticache_exporter_node_scrape_duration_seconds",
		"Wall time to read this node in the last scrape round.")
)

// descsFor returns one Desc per table entry, in the table's order.
func descsFor(ms []infoMetric) []*prometheus.Desc {
	out := make([]*prometheus.Desc, len(ms))
	for i, m := range ms {
		out[i] = nodeDesc(m.name, m.help)
	}
	return out
}
