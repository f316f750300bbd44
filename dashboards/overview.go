package dashboards

// The five alarm thresholds, the same as internal/alarms' defaults (and the
// CloudWatch alarms of the seed module), drawn as threshold lines.
const (
	thresholdEngineCPUPercent  = 90
	thresholdMemoryPercent     = 80
	thresholdEvictions         = 0
	thresholdReplicationLagSec = 10
	thresholdConnections       = 1000
)

var upMappings = []ValueMapping{{Value: "0", Text: "DOWN", Color: "red"}, {Value: "1", Text: "UP", Color: "green"}}

func overview() Dashboard {
	return Dashboard{
		File:        "overview.json",
		UID:         "elasticache-exporter-overview",
		Title:       "ElastiCache / Overview",
		Description: "Health of every shard and node of an ElastiCache Redis replication group, the five alarm signals against their thresholds, and memory, CPU, connections, hit rate and throughput. Source: elasticache-exporter.",
		Tags:        []string{"elasticache-exporter", "redis", "elasticache"},
		Vars:        variables(),
		Panels: []Panel{
			row("Health"),
			{
				Type: "stat", Title: "Node reachable", Unit: "none", W: 8, H: 5,
				Description: "redis_up per node: 1 when the exporter's last scrape read INFO from the node, 0 when it could not connect or authenticate (the exporter logs why).",
				Targets:     []Target{{Expr: sel("redis_up", selNode), Legend: legendNode, Instant: true}},
				Thresholds:  []Step{base("red"), at(1, "green")},
				Mappings:    upMappings,
				NoValue:     "no nodes: is the exporter scraped with this job?",
			},
			{
				Type: "stat", Title: "Role", Unit: "none", W: 8, H: 5,
				Description: "redis_node_is_primary per node. A failover swaps the roles; the node and shard labels stay.",
				Targets:     []Target{{Expr: sel("redis_node_is_primary", selNode), Legend: legendNode, Instant: true}},
				Thresholds:  []Step{base("blue")},
				Mappings:    []ValueMapping{{Value: "0", Text: "replica", Color: "blue"}, {Value: "1", Text: "primary", Color: "purple"}},
			},
			{
				Type: "stat", Title: "Nodes by role", Unit: "none", W: 4, H: 5,
				Description: "elasticache_exporter_nodes: the nodes discovery knows, by role.",
				Targets:     []Target{{Expr: `sum by (role) (` + sel("elasticache_exporter_nodes", selGroup) + `)`, Legend: "{{role}}", Instant: true}},
				Thresholds:  []Step{base("text")},
			},
			{
				Type: "stat", Title: "Cluster state", Unit: "none", W: 4, H: 5,
				Description: "redis_cluster_state per node in cluster mode: ok when every slot is served. Cluster mode disabled groups have no such series.",
				Targets:     []Target{{Expr: `min(` + sel("redis_cluster_state", selNode) + `)`, Legend: "cluster_state", Instant: true}},
				Thresholds:  []Step{base("red"), at(1, "green")},
				Mappings:    []ValueMapping{{Value: "0", Text: "fail", Color: "red"}, {Value: "1", Text: "ok", Color: "green"}},
				NoValue:     "cluster mode disabled",
			},
			{
				Type: "stat", Title: "Collectors", Unit: "none", W: 8, H: 4,
				Description: "elasticache_exporter_scrape_collector_success per source (Redis, slow log, CloudWatch, logs): a failing source is logged by the exporter and does not fail the scrape.",
				Targets:     []Target{{Expr: `min by (collector) (` + sel("elasticache_exporter_scrape_collector_success", selGroup) + `)`, Legend: "{{collector}}", Instant: true}},
				Thresholds:  []Step{base("red"), at(1, "green")},
				Mappings:    []ValueMapping{{Value: "0", Text: "failing", Color: "red"}, {Value: "1", Text: "ok", Color: "green"}},
			},
			{
				Type: "stat", Title: "Uptime", Unit: "s", W: 8, H: 4,
				Description: "redis_uptime_in_seconds per node; a small value means the node restarted or was replaced.",
				Targets:     []Target{{Expr: sel("redis_uptime_in_seconds", selNode), Legend: legendNode, Instant: true}},
				Thresholds:  []Step{base("orange"), at(3600, "green")},
			},
			{
				Type: "timeseries", Title: "Scrape duration", Unit: "s", W: 8, H: 4,
				Description: "elasticache_exporter_scrape_duration_seconds: how long the exporter's last round over every node took. Keep it well under the scrape timeout.",
				Targets:     []Target{{Expr: sel("elasticache_exporter_scrape_duration_seconds", selGroup), Legend: "{{instance}}"}},
			},

			row("Alarm signals (threshold lines are the alarm thresholds)"),
			{
				Type: "timeseries", Title: "Engine CPU (ElastiCacheHighEngineCPU)", Unit: "percent", W: 12, H: 8,
				Description: join("CPU of the Redis main thread, from INFO's used_cpu_*_main_thread, as a percentage of one core: Redis executes commands on one thread, so this is what saturates.",
					"The alarm fires above 90% for 5 minutes."),
				Targets:    []Target{{Expr: `100 * (rate(` + sel("redis_cpu_user_main_thread_seconds_total", selNode) + `[$__rate_interval]) + rate(` + sel("redis_cpu_sys_main_thread_seconds_total", selNode) + `[$__rate_interval]))`, Legend: legendNode}},
				Thresholds: []Step{base("green"), at(thresholdEngineCPUPercent, "red")},
				Min:        f(0), Max: f(100),
			},
			{
				Type: "timeseries", Title: "Memory used of maxmemory (ElastiCacheHighMemoryUsage)", Unit: "percent", W: 12, H: 8,
				Description: join("used_memory as a percentage of maxmemory. Nodes with maxmemory 0 (no limit) have no percentage and are left out; see Memory below for their bytes.",
					"The alarm fires above 80% for 5 minutes."),
				Targets:    []Target{{Expr: `100 * ` + sel("redis_memory_used_bytes", selNode) + ` / (` + sel("redis_memory_max_bytes", selNode) + ` > 0)`, Legend: legendNode}},
				Thresholds: []Step{base("green"), at(thresholdMemoryPercent, "red")},
				NoValue:    "maxmemory is 0 (no limit) on every node: see Memory",
				Min:        f(0), Max: f(100),
			},
			{
				Type: "timeseries", Title: "Evicted keys per 5 minutes (ElastiCacheEvictions)", Unit: "short", W: 8, H: 8,
				Description: join("Keys evicted to stay under maxmemory in the last 5 minutes (redis_evicted_keys_total). For ksqlDB state any eviction is data loss;",
					"the alarm fires on more than 0."),
				Targets:    []Target{{Expr: `increase(` + sel("redis_evicted_keys_total", selNode) + `[5m])`, Legend: legendNode}},
				Thresholds: []Step{base("green"), at(thresholdEvictions+1, "red")},
				Bars:       true,
			},
			{
				Type: "timeseries", Title: "Replication lag (ElastiCacheReplicationLag)", Unit: "s", W: 8, H: 8,
				Description: join("redis_replica_lag_seconds per replica: seconds since the replica last acknowledged its primary's stream (while the link is down, since it went down).",
					"The alarm fires above 10 s for 5 minutes."),
				Targets:    []Target{{Expr: sel("redis_replica_lag_seconds", selNode), Legend: legendNode}},
				Thresholds: []Step{base("green"), at(thresholdReplicationLagSec, "red")},
				NoValue:    "no replicas",
			},
			{
				Type: "timeseries", Title: "Client connections (ElastiCacheHighConnections)", Unit: "short", W: 8, H: 8,
				Description: join("redis_connected_clients per node, the exporter's own connection included.",
					"The alarm fires above 1000 for 5 minutes: usually a client without a connection pool."),
				Targets:    []Target{{Expr: sel("redis_connected_clients", selNode), Legend: legendNode}},
				Thresholds: []Step{base("green"), at(thresholdConnections, "red")},
			},

			row("Resources and traffic"),
			{
				Type: "timeseries", Title: "Memory", Unit: "bytes", W: 12, H: 8,
				Description: "used_memory and used_memory_rss per node, and maxmemory where it is set (a node with maxmemory 0 has no limit line).",
				Targets: []Target{
					{Expr: sel("redis_memory_used_bytes", selNode), Legend: "used " + legendNode},
					{Expr: sel("redis_memory_used_rss_bytes", selNode), Legend: "rss " + legendNode},
					{Expr: sel("redis_memory_max_bytes", selNode) + ` > 0`, Legend: "maxmemory " + legendNode},
				},
			},
			{
				Type: "timeseries", Title: "Memory fragmentation", Unit: "none", W: 12, H: 8,
				Description: "mem_fragmentation_ratio (RSS / used). Above 1.5 memory is wasted to fragmentation; below 1 the node swaps.",
				Targets:     []Target{{Expr: sel("redis_mem_fragmentation_ratio", selNode), Legend: legendNode}},
				Thresholds:  []Step{base("green"), at(1.5, "orange")},
				Decimals:    i(2),
			},
			{
				Type: "timeseries", Title: "CPU (all threads)", Unit: "percentunit", W: 8, H: 8,
				Description: "System and user CPU of the whole Redis process (used_cpu_sys, used_cpu_user), in cores; background saves and I/O threads add to the main thread here.",
				Targets: []Target{
					{Expr: `rate(` + sel("redis_cpu_sys_seconds_total", selNode) + `[$__rate_interval])`, Legend: "sys " + legendNode},
					{Expr: `rate(` + sel("redis_cpu_user_seconds_total", selNode) + `[$__rate_interval])`, Legend: "user " + legendNode},
				},
				Stack: true,
			},
			{
				Type: "timeseries", Title: "Connections opened and rejected", Unit: "cps", W: 8, H: 8,
				Description: "New connections accepted per second (total_connections_received) and refused because maxclients was reached (rejected_connections). A high accept rate means clients do not reuse connections.",
				Targets: []Target{
					{Expr: `rate(` + sel("redis_connections_received_total", selNode) + `[$__rate_interval])`, Legend: "accepted " + legendNode},
					{Expr: `rate(` + sel("redis_rejected_connections_total", selNode) + `[$__rate_interval])`, Legend: "rejected " + legendNode},
					{Expr: sel("redis_blocked_clients", selNode), Legend: "blocked now " + legendNode},
				},
			},
			{
				Type: "timeseries", Title: "Keyspace hit rate", Unit: "percentunit", W: 8, H: 8,
				Description: "keyspace_hits / (hits + misses) per node. Gaps mean no reads in the interval.",
				Targets:     []Target{{Expr: `rate(` + sel("redis_keyspace_hits_total", selNode) + `[$__rate_interval]) / (rate(` + sel("redis_keyspace_hits_total", selNode) + `[$__rate_interval]) + rate(` + sel("redis_keyspace_misses_total", selNode) + `[$__rate_interval]))`, Legend: legendNode}},
				Min:         f(0), Max: f(1),
			},
			{
				Type: "timeseries", Title: "Commands per second", Unit: "ops", W: 12, H: 8,
				Description: "Commands processed per second per node (total_commands_processed), primaries and replicas.",
				Targets:     []Target{{Expr: `rate(` + sel("redis_commands_processed_total", selNode) + `[$__rate_interval])`, Legend: legendNode}},
				Stack:       true,
			},
			{
				Type: "timeseries", Title: "Network", Unit: "Bps", W: 12, H: 8,
				Description: "Bytes per second received from and sent to clients and replicas (total_net_input_bytes, total_net_output_bytes). Replication traffic counts on both ends.",
				Targets: []Target{
					{Expr: `rate(` + sel("redis_net_input_bytes_total", selNode) + `[$__rate_interval])`, Legend: "in " + legendNode},
					{Expr: `rate(` + sel("redis_net_output_bytes_total", selNode) + `[$__rate_interval])`, Legend: "out " + legendNode},
				},
			},
			{
				Type: "timeseries", Title: "Keys", Unit: "short", W: 12, H: 8,
				Description: "Keys per database and how many of them have a TTL (INFO keyspace).",
				Targets: []Target{
					{Expr: `sum by (shard, node, db) (` + sel("redis_db_keys", selNode) + `)`, Legend: "{{db}} " + legendNode},
					{Expr: `sum by (shard, node, db) (` + sel("redis_db_keys_expiring", selNode) + `)`, Legend: "{{db}} expiring " + legendNode},
				},
			},
			{
				Type: "timeseries", Title: "Expired keys", Unit: "ops", W: 12, H: 8,
				Description: "Keys removed per second because their TTL passed (expired_keys), as opposed to evictions.",
				Targets:     []Target{{Expr: `rate(` + sel("redis_expired_keys_total", selNode) + `[$__rate_interval])`, Legend: legendNode}},
			},
		},
	}
}
