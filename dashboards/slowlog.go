package dashboards

func slowlogDashboard() Dashboard {
	return Dashboard{
		File:        "slowlog.json",
		UID:         "elasticache-exporter-slowlog",
		Title:       "ElastiCache / Slow log & engine events",
		Description: "Slow commands from SLOWLOG (and the CloudWatch Logs slow log), command latency, errors and engine log events of an ElastiCache Redis replication group. Source: elasticache-exporter.",
		Tags:        []string{"elasticache-exporter", "redis", "elasticache"},
		Vars:        variables(),
		Panels: []Panel{
			row("Slow log"),
			{
				Type: "timeseries", Title: "Slow commands per second", Unit: "ops", W: 12, H: 8,
				Description: "New slow log entries per second by command (redis_slowlog_entries_total): commands slower than the parameter group's slowlog-log-slower-than.",
				Targets:     []Target{{Expr: `sum by (cmd) (rate(` + sel("redis_slowlog_entries_total", selNodeNoShard) + `[$__rate_interval]))`, Legend: "{{cmd}}"}},
				Stack:       true,
				NoValue:     "no slow commands",
			},
			{
				Type: "timeseries", Title: "Slow command duration", Unit: "s", W: 12, H: 8,
				Description: "99th and 50th percentile duration of slow log entries per node (redis_slowlog_duration_seconds histogram); only commands that made it into the slow log count.",
				Targets: []Target{
					{Expr: `histogram_quantile(0.99, sum by (le, node) (rate(` + sel("redis_slowlog_duration_seconds_bucket", selNodeNoShard) + `[$__rate_interval])))`, Legend: "p99 {{node}}"},
					{Expr: `histogram_quantile(0.5, sum by (le, node) (rate(` + sel("redis_slowlog_duration_seconds_bucket", selNodeNoShard) + `[$__rate_interval])))`, Legend: "p50 {{node}}"},
				},
				NoValue: "no slow commands",
			},
			{
				Type: "table", Title: "Slowest commands in range", Unit: "short", W: 12, H: 8,
				Description: "Slow log entries per command and node in the dashboard's time range, most first. The entries themselves (arguments redacted unless slowlog.keep_args) are at the exporter's /api/v1/slowlog.",
				Targets: []Target{
					{Expr: `topk(20, sum by (cmd, node) (increase(` + sel("redis_slowlog_entries_total", selNodeNoShard) + `[$__range])))`, Legend: "entries", Instant: true},
				},
				NoValue: "no slow commands",
			},
			{
				Type: "timeseries", Title: "Slow log length and misses", Unit: "short", W: 12, H: 8,
				Description: "SLOWLOG LEN per node (redis_slowlog_length) and entries that rotated out of the server's slow log before the exporter read them (redis_slowlog_missed_entries_total, per second): raise slowlog-max-len or scrape more often if it is not 0.",
				Targets: []Target{
					{Expr: sel("redis_slowlog_length", selNode), Legend: "length " + legendNode},
					{Expr: `rate(` + sel("redis_slowlog_missed_entries_total", selNodeNoShard) + `[$__rate_interval])`, Legend: "missed/s {{node}}"},
				},
			},

			row("Commands"),
			{
				Type: "timeseries", Title: "Mean latency by command", Unit: "s", W: 12, H: 8,
				Description: "Time spent per call by command (INFO commandstats usec / calls), all nodes of the selection.",
				Targets:     []Target{{Expr: `sum by (cmd) (rate(` + sel("redis_commands_duration_seconds_total", selNode) + `[$__rate_interval])) / sum by (cmd) (rate(` + sel("redis_commands_total", selNode) + `[$__rate_interval]))`, Legend: "{{cmd}}"}},
			},
			{
				Type: "timeseries", Title: "Calls by command", Unit: "ops", W: 12, H: 8,
				Description: "Calls per second by command (INFO commandstats), all nodes of the selection.",
				Targets:     []Target{{Expr: `sum by (cmd) (rate(` + sel("redis_commands_total", selNode) + `[$__rate_interval]))`, Legend: "{{cmd}}"}},
				Stack:       true,
			},
			{
				Type: "timeseries", Title: "Errors by type", Unit: "ops", W: 12, H: 8,
				Description: "Error replies per second by error prefix (INFO errorstats), e.g. NOAUTH, OOM, MOVED.",
				Targets:     []Target{{Expr: `sum by (err) (rate(` + sel("redis_errors_total", selNode) + `[$__rate_interval]))`, Legend: "{{err}}"}},
				NoValue:     "no errors",
			},

			row("Engine log"),
			{
				Type: "timeseries", Title: "Engine events", Unit: "short", W: 12, H: 8,
				Description: "Events parsed from the CloudWatch Logs engine log by node, level and event (redis_engine_log_events_total), per interval: failovers, sync starts, OOM and persistence errors.",
				Targets:     []Target{{Expr: `sum by (node, level, event) (increase(` + sel("redis_engine_log_events_total", selNodeNoShard) + `[$__rate_interval]))`, Legend: "{{level}} {{event}} {{node}}"}},
				Bars:        true,
				NoValue:     "no events (or logs.engine_log_group is not set)",
			},
			{
				Type: "timeseries", Title: "Log tail health", Unit: "s", W: 12, H: 8,
				Description: "How far behind the exporter's CloudWatch Logs tail is per log group (elasticache_exporter_log_tail_lag_seconds), and lines it could not parse per second (elasticache_exporter_log_lines_unparsed_total).",
				Targets: []Target{
					{Expr: sel("elasticache_exporter_log_tail_lag_seconds", selGroup), Legend: "lag {{log}}"},
					{Expr: `rate(` + sel("elasticache_exporter_log_lines_unparsed_total", selGroup) + `[$__rate_interval])`, Legend: "unparsed/s {{log}}"},
				},
				NoValue: "log tail is off (logs.slow_log_group / logs.engine_log_group)",
			},
		},
	}
}
