package dashboards

// cloudwatchOff is what CloudWatch panels say when there are no series:
// the exporter only exports aws_elasticache_* with cloudwatch.enabled.
const cloudwatchOff = "no data: CloudWatch collection is off (cloudwatch.enabled) or has not run yet"

// cwNotDefault is for metrics outside the exporter's default selection.
const cwNotDefault = "no data: add the metric to cloudwatch.metrics.add, or CloudWatch collection is off"

func cloudwatchDashboard() Dashboard {
	return Dashboard{
		File:        "cloudwatch.json",
		UID:         "elasticache-exporter-cloudwatch",
		Title:       "ElastiCache / CloudWatch",
		Description: "AWS/ElastiCache CloudWatch metrics merged into the exporter's /metrics (YACE names): host and engine CPU, memory, swap, network and the ENA allowance-exceeded counters. CloudWatch publishes one-minute datapoints a few minutes late. Source: elasticache-exporter with cloudwatch.enabled.",
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
				Description: "CPUUtilization (Average): all cores of the host. On nodes with 4 vCPUs or more, Engine CPU is the one that saturates first.",
				Targets:     []Target{{Expr: sel("aws_elasticache_cpuutilization_average", selNode), Legend: legendNode}},
				NoValue:     cloudwatchOff,
				Min:         f(0), Max: f(100),
			},
			{
				Type: "timeseries", Title: "Engine CPU", Unit: "percent", W: 12, H: 8,
				Description: "EngineCPUUtilization (Average): the Redis engine thread. The line is ElastiCacheHighEngineCPU's threshold.",
				Targets:     []Target{{Expr: sel("aws_elasticache_engine_cpuutilization_average", selNode), Legend: legendNode}},
				Thresholds:  []Step{base("green"), at(thresholdEngineCPUPercent, "red")},
				NoValue:     cloudwatchOff,
				Min:         f(0), Max: f(100),
			},

			row("Memory"),
			{
				Type: "timeseries", Title: "Database memory usage", Unit: "percent", W: 8, H: 8,
				Description: "DatabaseMemoryUsagePercentage (Average): used memory as a percentage of maxmemory. The line is ElastiCacheHighMemoryUsage's threshold.",
				Targets:     []Target{{Expr: sel("aws_elasticache_database_memory_usage_percentage_average", selNode), Legend: legendNode}},
				Thresholds:  []Step{base("green"), at(thresholdMemoryPercent, "red")},
				NoValue:     cloudwatchOff,
				Min:         f(0), Max: f(100),
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
		},
	}
}
