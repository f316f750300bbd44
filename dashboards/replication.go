package dashboards

func replication() Dashboard {
	return Dashboard{
		File:        "replication.json",
		UID:         "elasticache-exporter-replication",
		Title:       "ElastiCache / Replication & failover",
		Description: "Replica lag in bytes and seconds, replication link status and failovers per shard of an ElastiCache Redis replication group. Source: elasticache-exporter.",
		Tags:        []string{"elasticache-exporter", "redis", "elasticache"},
		Vars:        variables(),
		Panels: []Panel{
			row("Failovers"),
			{
				Type: "stat", Title: "Failovers in range", Unit: "short", W: 8, H: 5,
				Description: "Primary changes per shard seen by the exporter in the dashboard's time range (elasticache_exporter_failovers_total). A shard without a failover since the exporter started has no series.",
				Targets:     []Target{{Expr: `sum by (shard) (increase(` + sel("elasticache_exporter_failovers_total", selShard) + `[$__range]))`, Legend: "shard {{shard}}", Instant: true}},
				Thresholds:  []Step{base("green"), at(1, "orange")},
				NoValue:     "no failover seen",
				Decimals:    i(0),
			},
			{
				Type: "timeseries", Title: "Failovers", Unit: "short", W: 16, H: 5,
				Description: "Primary changes per shard over time (elasticache_exporter_failovers_total).",
				Targets:     []Target{{Expr: `sum by (shard) (increase(` + sel("elasticache_exporter_failovers_total", selShard) + `[$__rate_interval]))`, Legend: "shard {{shard}}"}},
				Bars:        true,
				NoValue:     "no failover seen",
			},
			{
				Type: "state-timeline", Title: "Role over time", Unit: "none", W: 24, H: 6,
				Description: "Which node was primary when (redis_node_is_primary). A colour change is a failover or a manual promotion.",
				Targets:     []Target{{Expr: sel("redis_node_is_primary", selNode), Legend: legendNode}},
				Thresholds:  []Step{base("blue")},
				Mappings:    []ValueMapping{{Value: "0", Text: "replica", Color: "blue"}, {Value: "1", Text: "primary", Color: "purple"}},
			},

			row("Lag"),
			{
				Type: "timeseries", Title: "Replica lag (seconds)", Unit: "s", W: 12, H: 8,
				Description: "redis_replica_lag_seconds per replica: seconds since the replica last acknowledged its primary's stream, from the primary's INFO; while the link is down, since it went down. The threshold is ElastiCacheReplicationLag's.",
				Targets:     []Target{{Expr: sel("redis_replica_lag_seconds", selNode), Legend: legendNode}},
				Thresholds:  []Step{base("green"), at(thresholdReplicationLagSec, "red")},
				NoValue:     "no replicas",
			},
			{
				Type: "timeseries", Title: "Replica lag (bytes)", Unit: "bytes", W: 12, H: 8,
				Description: "redis_replica_lag_bytes per replica: the primary's master_repl_offset minus the replica's offset, read in the same scrape. What a failover now would lose.",
				Targets:     []Target{{Expr: sel("redis_replica_lag_bytes", selNode), Legend: legendNode}},
				NoValue:     "no replicas",
			},
			{
				Type: "timeseries", Title: "Replication offsets", Unit: "bytes", W: 12, H: 8,
				Description: "master_repl_offset of every node and slave_repl_offset of replicas: they grow with the write stream; a replica's line falling behind its primary's is lag.",
				Targets: []Target{
					{Expr: sel("redis_master_repl_offset", selNode), Legend: "master_repl_offset " + legendNode},
					{Expr: sel("redis_slave_repl_offset", selNode), Legend: "slave_repl_offset " + legendNode},
				},
			},
			{
				Type: "timeseries", Title: "Replication stream", Unit: "Bps", W: 12, H: 8,
				Description: "How fast each primary's replication offset advances: the write volume every replica has to receive.",
				Targets:     []Target{{Expr: `rate(` + sel("redis_master_repl_offset", selNode) + `[$__rate_interval]) and on (node, shard) ` + sel("redis_node_is_primary", selNode) + ` == 1`, Legend: legendNode}},
			},

			row("Link"),
			{
				Type: "state-timeline", Title: "Link to primary", Unit: "none", W: 24, H: 6,
				Description: "master_link_status per replica (redis_master_link_up): up while the replica streams from its primary.",
				Targets:     []Target{{Expr: sel("redis_master_link_up", selNode), Legend: legendNode}},
				Thresholds:  []Step{base("red"), at(1, "green")},
				Mappings:    upMappings,
				NoValue:     "no replicas",
			},
			{
				Type: "timeseries", Title: "Link down for", Unit: "s", W: 8, H: 8,
				Description: "master_link_down_since_seconds per replica: how long its link to the primary has been down.",
				Targets:     []Target{{Expr: sel("redis_master_link_down_since_seconds", selNode), Legend: legendNode}},
				NoValue:     "all links up",
			},
			{
				Type: "timeseries", Title: "Last I/O from primary", Unit: "s", W: 8, H: 8,
				Description: "master_last_io_seconds_ago per replica: seconds since the replica last heard from its primary (pings arrive every 10 s by default).",
				Targets:     []Target{{Expr: sel("redis_master_last_io_seconds_ago", selNode), Legend: legendNode}},
				Thresholds:  []Step{base("green"), at(30, "red")},
				NoValue:     "no replicas",
			},
			{
				Type: "timeseries", Title: "Full syncs and replicas", Unit: "short", W: 8, H: 8,
				Description: "master_sync_in_progress (1 while a replica loads a full copy) and connected_slaves on each node.",
				Targets: []Target{
					{Expr: sel("redis_master_sync_in_progress", selNode), Legend: "syncing " + legendNode},
					{Expr: sel("redis_connected_slaves", selNode), Legend: "replicas of " + legendNode},
				},
			},
			{
				Type: "timeseries", Title: "Background saves", Unit: "short", W: 12, H: 8,
				Description: "rdb_bgsave_in_progress and aof_rewrite_in_progress: a full sync makes the primary fork for a snapshot.",
				Targets: []Target{
					{Expr: sel("redis_rdb_bgsave_in_progress", selNode), Legend: "bgsave " + legendNode},
					{Expr: sel("redis_aof_rewrite_in_progress", selNode), Legend: "aof rewrite " + legendNode},
				},
			},
			{
				Type: "timeseries", Title: "Cluster slots", Unit: "short", W: 12, H: 8,
				Description: "Cluster mode only: slots assigned, ok, possibly failing and failing as each node sees them (CLUSTER INFO).",
				Targets: []Target{
					{Expr: `max(` + sel("redis_cluster_slots_assigned", selNode) + `)`, Legend: "assigned"},
					{Expr: `min(` + sel("redis_cluster_slots_ok", selNode) + `)`, Legend: "ok"},
					{Expr: `max(` + sel("redis_cluster_slots_pfail", selNode) + `)`, Legend: "pfail"},
					{Expr: `max(` + sel("redis_cluster_slots_fail", selNode) + `)`, Legend: "fail"},
					{Expr: `max(` + sel("redis_cluster_known_nodes", selNode) + `)`, Legend: "known nodes"},
					{Expr: `max(` + sel("redis_cluster_size", selNode) + `)`, Legend: "shards serving slots"},
				},
				NoValue: "cluster mode disabled",
			},
		},
	}
}
