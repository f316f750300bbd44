package dashboards

// cloudwatchOff is what CloudWatch panels say when there are no series:
// the exporter only exports aws_elasticache_* with cloudwatch.enabled.
const cloudwatchOff = "no data: CloudWatch collection is off (cloudwatch.enabled) or has not run yet"

// cwNotDefault is for metrics outside the exporter's default selection.
const cwNotDefault = "no data: add the metric to cloudwatch.metrics.add, or CloudWatch collection is off"

// cwMigrationOnly is for MasterLinkHealthStatus, which ElastiCache
// publishes only while an online migration runs.
const cwMigrationOnly = "no data: no online migration is running, MasterLinkHealthStatus is not in cloudwatch.metrics.add, or CloudWatch collection is off"

// Legends for panels that show two statistics of one metric per node.
const (
	legendAvg = "avg " + legendNode
	legendMax = "max " + legendNode
	legendP50 = "p50 " + legendNode
	legendP99 = "p99 " + legendNode
)

func cloudwatchDashboard() Dashboard {
	return Dashboard{
		File:        "cloudwatch.json",
		UID:         "elasticache-exporter-cloudwatch",
		Title:       "ElastiCache / CloudWatch",
		Description: "AWS/ElastiCache CloudWatch metrics merged into the exporter's /metrics (YACE names): host and engine CPU and memory (average and maximum), request latency p50 and p99, swap, fragmentation, network baseline usage and the ENA allowance-exceeded counters, connections, authentication and authorization failures, pub/sub channels and the online-migration link. CloudWatch publishes one-minute datapoints a few minutes late. Source: elasticache-exporter with cloudwatch.enabled.",
		Tags:        []string{"elasticache-exporter", "elasticache", "cloudwatch"},
		Vars:        variables(),
		Panels: []Panel{
			row("Collection"),
			{
				Type: "stat", Title: "CloudWatch data age", Unit: "s", W: 8, H: 4,
				Description: "Seconds since the exporter last fetched CloudWatch successfully (elasticache_exporter_cloudwatch_last_success_timestamp_seconds).",
				Targets:     []Target{{Expr: `time() - max(` + sel("elasticache_exporter_cloudwatch_last_success_timestamp_seconds", selGroup) + `)`, Legend: "age", Instant: true}},
				Thresholds:  []Step{base("green"), at(600, "orange"), at(1800, "red")},
				NoValue:     "CloudWatch collection is off (cloudwatch.enabled: false)",
			},
			{
				Type: "timeseries", Title: "CloudWatch API calls", Unit: "reqps", W: 8, H: 4,
				Description: "CloudWatch API calls per second by API (elasticache_exporter_cloudwatch_api_calls_total): what the exporter costs in CloudWatch requests.",
				Targets:     []Target{{Expr: `sum by (api) (rate(` + sel("elasticache_exporter_cloudwatch_api_calls_total", selGroup) + `[$__rate_interval]))`, Legend: "{{api}}"}},
				NoValue:     cloudwatchOff,
			},
			{
				Type: "timeseries", Title: "Metrics requested", Unit: "ops", W: 8, H: 4,
				Description: "Metric datapoints requested per second (elasticache_exporter_cloudwatch_metrics_requested_total); GetMetricData is billed per metric requested.",
				Targets:     []Target{{Expr: `sum(rate(` + sel("elasticache_exporter_cloudwatch_metrics_requested_total", selGroup) + `[$__rate_interval]))`, Legend: "metrics/s"}},
				NoValue:     cloudwatchOff,
			},

			row("CPU"),
			{
				Type: "timeseries", Title: "Host CPU", Unit: "percent", W: 12, H: 8,
				Description: join("CPUUtilization, Average and Maximum per period: all cores of the host. On nodes with 4 vCPUs or more, Engine CPU is the one that saturates first.",
					"At period 60s the two usually agree; at longer periods Maximum keeps the spike the average smooths away."),
				Targets: []Target{
					{Expr: sel("aws_elasticache_cpuutilization_average", selNode), Legend: legendAvg},
					{Expr: sel("aws_elasticache_cpuutilization_maximum", selNode), Legend: legendMax},
				},
				NoValue: cloudwatchOff,
				Min:     f(0), Max: f(100),
			},
			{
				Type: "timeseries", Title: "Engine CPU", Unit: "percent", W: 12, H: 8,
				Description: join("EngineCPUUtilization, Average and Maximum per period: the Redis engine thread. The line is ElastiCacheHighEngineCPU's threshold, which CloudWatch evaluates on the Average.",
					"A Maximum far above the Average means short saturations: slow commands or a fork."),
				Targets: []Target{
					{Expr: sel("aws_elasticache_engine_cpuutilization_average", selNode), Legend: legendAvg},
					{Expr: sel("aws_elasticache_engine_cpuutilization_maximum", selNode), Legend: legendMax},
				},
				Thresholds: []Step{base("green"), at(thresholdEngineCPUPercent, "red")},
				NoValue:    cloudwatchOff,
				Min:        f(0), Max: f(100),
			},

			row("Request latency"),
			{
				Type: "timeseries", Title: "Read request latency", Unit: "µs", W: 12, H: 8,
				Description: join("SuccessfulReadRequestLatency p50 and p99 per period: ElastiCache's own measure of successful read requests, from the command's arrival to the reply, over every request of the period.",
					"A p99 rising while p50 stays flat is a few slow commands (see the slow log dashboard); both rising is a saturated node."),
				Targets: []Target{
					{Expr: sel("aws_elasticache_successful_read_request_latency_p50", selNode), Legend: legendP50},
					{Expr: sel("aws_elasticache_successful_read_request_latency_p99", selNode), Legend: legendP99},
				},
				NoValue: cloudwatchOff,
			},
			{
				Type: "timeseries", Title: "Write request latency", Unit: "µs", W: 12, H: 8,
				Description: join("SuccessfulWriteRequestLatency p50 and p99 per period: ElastiCache's own measure of successful write requests, from the command's arrival to the reply, over every request of the period.",
					"Replicas are read-only: expect points from primaries."),
				Targets: []Target{
					{Expr: sel("aws_elasticache_successful_write_request_latency_p50", selNode), Legend: legendP50},
					{Expr: sel("aws_elasticache_successful_write_request_latency_p99", selNode), Legend: legendP99},
				},
				NoValue: cloudwatchOff,
			},

			row("Memory"),
			{
				Type: "timeseries", Title: "Database memory usage", Unit: "percent", W: 8, H: 8,
				Description: join("DatabaseMemoryUsagePercentage, Average and Maximum per period: used memory as a percentage of maxmemory.",
					"The line is ElastiCacheHighMemoryUsage's threshold, which CloudWatch evaluates on the Average; the Maximum shows a peak that a longer period averages away."),
				Targets: []Target{
					{Expr: sel("aws_elasticache_database_memory_usage_percentage_average", selNode), Legend: legendAvg},
					{Expr: sel("aws_elasticache_database_memory_usage_percentage_maximum", selNode), Legend: legendMax},
				},
				Thresholds: []Step{base("green"), at(thresholdMemoryPercent, "red")},
				NoValue:    cloudwatchOff,
				Min:        f(0), Max: f(100),
			},
			{
				Type: "timeseries", Title: "Freeable memory", Unit: "bytes", W: 8, H: 8,
				Description: "FreeableMemory (Average): memory the host could still give to Redis and the OS.",
				Targets:     []Target{{Expr: sel("aws_elasticache_freeable_memory_average", selNode), Legend: legendNode}},
				NoValue:     cloudwatchOff,
			},
			{
				Type: "timeseries", Title: "Swap", Unit: "bytes", W: 8, H: 8,
				Description: "SwapUsage (Average): should stay near 0; above 50 MB the node is short of memory and latency suffers.",
				Targets:     []Target{{Expr: sel("aws_elasticache_swap_usage_average", selNode), Legend: legendNode}},
				Thresholds:  []Step{base("green"), at(50*1024*1024, "red")},
				NoValue:     cloudwatchOff,
			},

			{
				Type: "timeseries", Title: "Allocator fragmentation ratio", Unit: "none", W: 8, H: 8,
				Description: join("AllocatorFragmentationRatio (Average): allocator_frag_ratio, the fragmentation active defragmentation acts on.",
					"With activedefrag on, defragmentation starts above active-defrag-threshold-lower (10%, a ratio of 1.1) once the fragmented bytes exceed active-defrag-ignore-bytes (100 MB)."),
				Targets: []Target{{Expr: sel("aws_elasticache_allocator_fragmentation_ratio_average", selNode), Legend: legendNode}},
				NoValue: cwNotDefault,
			},
			{
				Type: "timeseries", Title: "Dataset and fragmented bytes", Unit: "bytes", W: 8, H: 8,
				Description: join("UsedMemoryDataset (Average): bytes of the data itself (used_memory_dataset), without the engine's overhead;",
					"AllocatorFragmentationBytes (Average): bytes the allocator holds in fragmented pages (allocator_frag_bytes), which active defragmentation can give back."),
				Targets: []Target{
					{Expr: sel("aws_elasticache_used_memory_dataset_average", selNode), Legend: "dataset " + legendNode},
					{Expr: sel("aws_elasticache_allocator_fragmentation_bytes_average", selNode), Legend: "fragmented " + legendNode},
				},
				NoValue: cwNotDefault,
			},
			{
				Type: "timeseries", Title: "Major page faults", Unit: "short", W: 8, H: 8,
				Description: join("MajorPageFaults (Sum per period): pages the host had to read back from disk.",
					"Memory pressure the engine's own figures do not show; anything above 0 together with swap means the node is short of memory."),
				Targets:    []Target{{Expr: sel("aws_elasticache_major_page_faults_sum", selNode), Legend: legendNode}},
				Thresholds: []Step{base("green"), at(1, "red")},
				Bars:       true,
				NoValue:    cwNotDefault,
			},

			row("Network"),
			{
				Type: "timeseries", Title: "Network bytes per minute", Unit: "bytes", W: 12, H: 8,
				Description: "NetworkBytesIn and NetworkBytesOut (Sum per one-minute period) of the host: clients and replication.",
				Targets: []Target{
					{Expr: sel("aws_elasticache_network_bytes_in_sum", selNode), Legend: "in " + legendNode},
					{Expr: sel("aws_elasticache_network_bytes_out_sum", selNode), Legend: "out " + legendNode},
				},
				NoValue: cloudwatchOff,
			},
			{
				Type: "timeseries", Title: "Allowance exceeded (packets shaped)", Unit: "short", W: 12, H: 8,
				Description: join("Packets queued or dropped because the node exceeded an ENA allowance (Sum per period): bandwidth in/out, packets per second, connection tracking, link-local services.",
					"Anything above 0 means the node type's network is the bottleneck. Only NetworkBandwidthOutAllowanceExceeded is collected by default; add the others with cloudwatch.metrics.add."),
				Targets: []Target{
					{Expr: sel("aws_elasticache_network_bandwidth_in_allowance_exceeded_sum", selNode), Legend: "bandwidth in " + legendNode},
					{Expr: sel("aws_elasticache_network_bandwidth_out_allowance_exceeded_sum", selNode), Legend: "bandwidth out " + legendNode},
					{Expr: sel("aws_elasticache_network_packets_per_second_allowance_exceeded_sum", selNode), Legend: "pps " + legendNode},
					{Expr: sel("aws_elasticache_network_conntrack_allowance_exceeded_sum", selNode), Legend: "conntrack " + legendNode},
					{Expr: sel("aws_elasticache_network_link_local_allowance_exceeded_sum", selNode), Legend: "link-local " + legendNode},
				},
				Thresholds: []Step{base("green"), at(1, "red")},
				Bars:       true,
				NoValue:    cwNotDefault,
			},

			{
				Type: "timeseries", Title: "Inbound bandwidth of baseline", Unit: "percent", W: 12, H: 8,
				Description: join("NetworkBaselineUsageInPercentage (Average) and NetworkBaselineMaxUsageInPercentage (Maximum, the busiest second of the minute): inbound bandwidth as a percentage of the node type's baseline.",
					"Above the 100% line the node spends burst credits; once they are gone the allowance-exceeded counters rise."),
				Targets: []Target{
					{Expr: sel("aws_elasticache_network_baseline_usage_in_percentage_average", selNode), Legend: legendAvg},
					{Expr: sel("aws_elasticache_network_baseline_max_usage_in_percentage_maximum", selNode), Legend: "busiest second " + legendNode},
				},
				Thresholds: []Step{base("green"), at(100, "red")},
				NoValue:    cwNotDefault,
				Min:        f(0),
			},
			{
				Type: "timeseries", Title: "Outbound bandwidth of baseline", Unit: "percent", W: 12, H: 8,
				Description: join("NetworkBaselineUsageOutPercentage (Average) and NetworkBaselineMaxUsageOutPercentage (Maximum, the busiest second of the minute): outbound bandwidth, replication included, as a percentage of the node type's baseline.",
					"Above the 100% line the node spends burst credits; once they are gone the allowance-exceeded counters rise."),
				Targets: []Target{
					{Expr: sel("aws_elasticache_network_baseline_usage_out_percentage_average", selNode), Legend: legendAvg},
					{Expr: sel("aws_elasticache_network_baseline_max_usage_out_percentage_maximum", selNode), Legend: "busiest second " + legendNode},
				},
				Thresholds: []Step{base("green"), at(100, "red")},
				NoValue:    cwNotDefault,
				Min:        f(0),
			},

			row("Engine"),
			{
				Type: "timeseries", Title: "Connections", Unit: "short", W: 8, H: 8,
				Description: "CurrConnections (Average) and NewConnections (Sum per period). The line is ElastiCacheHighConnections' threshold.",
				Targets: []Target{
					{Expr: sel("aws_elasticache_curr_connections_average", selNode), Legend: "current " + legendNode},
					{Expr: sel("aws_elasticache_new_connections_sum", selNode), Legend: "new " + legendNode},
				},
				Thresholds: []Step{base("green"), at(thresholdConnections, "red")},
				NoValue:    cloudwatchOff,
			},
			{
				Type: "timeseries", Title: "Evictions", Unit: "short", W: 8, H: 8,
				Description: "Evictions (Sum per period): keys evicted to fit maxmemory. ElastiCacheEvictions fires on any.",
				Targets:     []Target{{Expr: sel("aws_elasticache_evictions_sum", selNode), Legend: legendNode}},
				Thresholds:  []Step{base("green"), at(1, "red")},
				Bars:        true,
				NoValue:     cloudwatchOff,
			},
			{
				Type: "timeseries", Title: "Replication lag", Unit: "s", W: 8, H: 8,
				Description: "ReplicationLag (Average), reported by replicas only. The line is ElastiCacheReplicationLag's threshold.",
				Targets:     []Target{{Expr: sel("aws_elasticache_replication_lag_average", selNode), Legend: legendNode}},
				Thresholds:  []Step{base("green"), at(thresholdReplicationLagSec, "red")},
				NoValue:     cloudwatchOff,
			},
			{
				Type: "timeseries", Title: "Cache hit rate", Unit: "percent", W: 12, H: 8,
				Description: "CacheHitRate (Average): hits / (hits + misses) as CloudWatch computes it.",
				Targets:     []Target{{Expr: sel("aws_elasticache_cache_hit_rate_average", selNode), Legend: legendNode}},
				NoValue:     cloudwatchOff,
				Min:         f(0), Max: f(100),
			},
			{
				Type: "timeseries", Title: "Items", Unit: "short", W: 12, H: 8,
				Description: "CurrItems (Average): keys held, from CloudWatch.",
				Targets:     []Target{{Expr: sel("aws_elasticache_curr_items_average", selNode), Legend: legendNode}},
				NoValue:     cloudwatchOff,
			},
			{
				Type: "timeseries", Title: "Rejected connections", Unit: "short", W: 8, H: 8,
				Description: join("RejectedConnections (Sum per period): connections the engine refused because maxclients was reached (rejected_connections).",
					"Any means clients fail to connect: a connection leak, or clients without a pool."),
				Targets:    []Target{{Expr: sel("aws_elasticache_rejected_connections_sum", selNode), Legend: legendNode}},
				Thresholds: []Step{base("green"), at(1, "red")},
				Bars:       true,
				NoValue:    cwNotDefault,
			},
			{
				Type: "timeseries", Title: "Blocked connections", Unit: "short", W: 8, H: 8,
				Description: join("BlockedConnections (Maximum per period): clients waiting in a blocking command such as BLPOP, BRPOP or XREAD BLOCK (blocked_clients).",
					"Normal for queue consumers: compare with the number of consumers you run."),
				Targets: []Target{{Expr: sel("aws_elasticache_blocked_connections_maximum", selNode), Legend: legendNode}},
				NoValue: cwNotDefault,
			},
			{
				Type: "timeseries", Title: "Processed commands", Unit: "short", W: 8, H: 8,
				Description: "ProcessedCommands (Sum per period): commands of every type the engine processed (total_commands_processed), per period (a minute at the default 60s).",
				Targets:     []Target{{Expr: sel("aws_elasticache_processed_commands_sum", selNode), Legend: legendNode}},
				NoValue:     cwNotDefault,
			},
			{
				Type: "timeseries", Title: "Pub/sub channels", Unit: "short", W: 24, H: 8,
				Description: join("PubSubChannels and PubSubShardChannels (Average): classic and sharded (SSUBSCRIBE) pub/sub channels with at least one subscriber (pubsub_channels, pubsubshard_channels).",
					"In cluster mode a classic PUBLISH reaches every node, while a sharded channel lives only on the shard that owns its slot."),
				Targets: []Target{
					{Expr: sel("aws_elasticache_pub_sub_channels_average", selNode), Legend: "classic " + legendNode},
					{Expr: sel("aws_elasticache_pub_sub_shard_channels_average", selNode), Legend: "sharded " + legendNode},
				},
				NoValue: cwNotDefault,
			},

			row("Authentication and authorization"),
			{
				Type: "timeseries", Title: "IAM authentication", Unit: "short", W: 12, H: 8,
				Description: join("IamAuthenticationExpirations (Sum per period): IAM-authenticated connections closed because their authentication expired (ElastiCache closes them after 12 hours unless the client sends AUTH or HELLO with a fresh token);",
					"IamAuthenticationThrottling (Sum per period): IAM-authenticated AUTH or HELLO requests throttled, i.e. clients authenticate too often: reuse connections."),
				Targets: []Target{
					{Expr: sel("aws_elasticache_iam_authentication_expirations_sum", selNode), Legend: "expired " + legendNode},
					{Expr: sel("aws_elasticache_iam_authentication_throttling_sum", selNode), Legend: "throttled " + legendNode},
				},
				Bars:    true,
				NoValue: cwNotDefault,
			},
			{
				Type: "timeseries", Title: "AUTH and ACL failures", Unit: "short", W: 12, H: 8,
				Description: join("Failures per period (Sum): AUTH attempts that failed (AuthenticationFailures) and accesses the user's ACL refused,",
					"by logical database (DatabaseAuthorizationFailures), command, key and channel. A steady count after a deploy is a client with the wrong user or permissions."),
				Targets: []Target{
					{Expr: sel("aws_elasticache_authentication_failures_sum", selNode), Legend: "AUTH " + legendNode},
					{Expr: sel("aws_elasticache_database_authorization_failures_sum", selNode), Legend: "database " + legendNode},
					{Expr: sel("aws_elasticache_command_authorization_failures_sum", selNode), Legend: "command " + legendNode},
					{Expr: sel("aws_elasticache_key_authorization_failures_sum", selNode), Legend: "key " + legendNode},
					{Expr: sel("aws_elasticache_channel_authorization_failures_sum", selNode), Legend: "channel " + legendNode},
				},
				Thresholds: []Step{base("green"), at(1, "red")},
				Bars:       true,
				NoValue:    cwNotDefault,
			},

			row("Online migration"),
			{
				Type: "state-timeline", Title: "Online migration link (MasterLinkHealthStatus)", Unit: "none", W: 24, H: 6,
				Description: join("MasterLinkHealthStatus (Minimum per period), online migration only: 1 while the ElastiCache primary is in sync with the Valkey or Redis OSS server on EC2 being migrated from, 0 while it is not; finish the migration with CompleteMigration.",
					"It says nothing about replicas: for their link see the replication dashboard (redis_master_link_up) or ReplicationLag."),
				Targets:    []Target{{Expr: sel("aws_elasticache_master_link_health_status_minimum", selNode), Legend: legendNode}},
				Thresholds: []Step{base("red"), at(1, "green")},
				Mappings:   []ValueMapping{{Value: "0", Text: "not in sync", Color: "red"}, {Value: "1", Text: "in sync", Color: "green"}},
				NoValue:    cwMigrationOnly,
			},
		},
	}
}
