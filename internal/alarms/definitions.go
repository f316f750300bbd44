package alarms

import "time"

// Definition is one alarm as data: the defaults and both sides it is
// rendered to. Text fields marked "template" are Go text/template with the
// delimiters << >> (so Prometheus' own {{ }} templates pass through
// untouched); see templateData for the fields they may use.
type Definition struct {
	// Name is the Prometheus alert name and the suffix of the CloudWatch
	// alarm name (<CacheClusterId>-<Name>).
	Name string
	// TerraformName is the aws_cloudwatch_metric_alarm resource name in
	// alarms.tf.json; renaming it makes Terraform destroy and recreate.
	TerraformName string
	// Summary says in a few words what is wrong.
	Summary string
	// Severity is the default severity label (critical, warning, info).
	Severity string
	// Threshold is the default, in the CloudWatch metric's unit. The range
	// a configured one may take is config.AlarmLimits'.
	Threshold float64
	// For is the default duration the condition must hold.
	For time.Duration
	// RunbookAnchor is the docs/runbook.md section (GitHub heading anchor).
	RunbookAnchor string

	CloudWatch CloudWatchSide
	// Prometheus holds one rule per way the alert can fire; all share the
	// alert name, and a `condition` label tells them apart when there are
	// several (so Alertmanager does not merge two different causes).
	Prometheus []PrometheusRule
}

// CloudWatchSide is the alarm as PutMetricAlarm and Terraform see it. The
// alarm has one dimension, CacheClusterId, so it matches the alarm the
// Terraform module creates (which cannot know node ids).
type CloudWatchSide struct {
	Namespace  string
	MetricName string
	// Statistic is a CloudWatch statistic: Average, Sum, Maximum ...
	Statistic string
	// Period is the datapoint period; evaluation periods follow from For
	// (at least one).
	Period     time.Duration
	Comparison string
	// TreatMissingData: missing, notBreaching, breaching or ignore.
	TreatMissingData string
	// Description is a template; it is the alarm description CloudWatch
	// sends with every notification.
	Description string
}

// PrometheusRule is one alerting rule of an alert.
type PrometheusRule struct {
	// Condition is the value of the `condition` label ("" when the alert
	// has a single rule).
	Condition string
	// Expr is a PromQL template over metrics the exporter exports. Every
	// series it returns keeps the node and shard labels (and job/instance):
	// the expressions never aggregate them away.
	Expr string
	// For decides the rule's `for`.
	For ForPolicy
	// Description is a template; it may use Prometheus' {{ $value }} and
	// {{ $labels.x }} and must show the current value.
	Description string
}

// ForPolicy derives a rule's `for` from the alarm's configured For.
type ForPolicy struct {
	// Immediate rules fire at the first evaluation: a counter that moved
	// is already the event, waiting adds nothing.
	Immediate bool
	// AtMost caps the configured For (0: no cap). A broken replication
	// link is worse than lag, so it does not wait as long.
	AtMost time.Duration
}

const (
	namespaceElastiCache = "AWS/ElastiCache"
	greaterThan          = "GreaterThanThreshold"
)

// builtin holds the five alarms. Thresholds and periods come from the
// ElastiCache module's alarms (see the table); the Prometheus
// expressions watch the same thing on the exporter's own metrics.
var builtin = []Definition{
	{
		Name:          "ElastiCacheHighEngineCPU",
		TerraformName: "high_engine_cpu",
		Summary:       "Redis engine thread busy",
		Severity:      "warning",
		Threshold:     90,
		For:           5 * time.Minute,
		RunbookAnchor: "elasticachehighenginecpu",
		CloudWatch: CloudWatchSide{
			Namespace:        namespaceElastiCache,
			MetricName:       "EngineCPUUtilization",
			Statistic:        "Average",
			Period:           60 * time.Second,
			Comparison:       greaterThan,
			TreatMissingData: "missing",
			Description:      "Redis engine thread CPU above <<.Threshold>>% for <<.Window>> on <<.Node>>: commands queue and latency rises. Look for slow commands (SLOWLOG) or scale up. Runbook: <<.RunbookURL>>",
		},
		Prometheus: []PrometheusRule{{
			// Redis runs commands on one thread; its CPU seconds per second
			// is the share of time that thread is busy (EngineCPUUtilization).
			Expr:        "rate(redis_cpu_sys_main_thread_seconds_total[<<.RateWindow>>]) + rate(redis_cpu_user_main_thread_seconds_total[<<.RateWindow>>]) > <<.Ratio>>",
			Description: "The Redis main thread of {{ $labels.node }} (shard {{ $labels.shard }}) is busy {{ $value | humanizePercentage }} of the time, above <<.Threshold>>% for <<.For>>. Commands queue behind it and ksqlDB state reads and writes slow down.",
		}},
	},
	{
		Name:          "ElastiCacheHighMemoryUsage",
		TerraformName: "high_memory_usage",
		Summary:       "Redis memory near maxmemory",
		Severity:      "warning",
		Threshold:     80,
		For:           5 * time.Minute,
		RunbookAnchor: "elasticachehighmemoryusage",
		CloudWatch: CloudWatchSide{
			Namespace:        namespaceElastiCache,
			MetricName:       "DatabaseMemoryUsagePercentage",
			Statistic:        "Average",
			Period:           60 * time.Second,
			Comparison:       greaterThan,
			TreatMissingData: "missing",
			Description:      "Redis memory above <<.Threshold>>% of maxmemory for <<.Window>> on <<.Node>>: evictions follow. Scale up, add shards or shrink ksqlDB state. Runbook: <<.RunbookURL>>",
		},
		Prometheus: []PrometheusRule{{
			// "> 0" drops nodes without maxmemory (0 = unlimited): there is
			// no percentage to exceed and the division would be +Inf.
			Expr:        "redis_memory_used_bytes / (redis_memory_max_bytes > 0) > <<.Ratio>>",
			Description: "{{ $labels.node }} (shard {{ $labels.shard }}) uses {{ $value | humanizePercentage }} of maxmemory, above <<.Threshold>>% for <<.For>>. At maxmemory Redis evicts keys, and for ksqlDB an evicted key is lost state.",
		}},
	},
	{
		Name:          "ElastiCacheEvictions",
		TerraformName: "evictions",
		Summary:       "Redis evicting keys",
		Severity:      "critical",
		Threshold:     0,
		For:           0,
		RunbookAnchor: "elasticacheevictions",
		CloudWatch: CloudWatchSide{
			Namespace:        namespaceElastiCache,
			MetricName:       "Evictions",
			Statistic:        "Sum",
			Period:           300 * time.Second,
			Comparison:       greaterThan,
			TreatMissingData: "missing",
			Description:      "Redis evicted more than <<.Threshold>> keys in <<.Window>> on <<.Node>>: ksqlDB state is being dropped to fit maxmemory. Add memory. Runbook: <<.RunbookURL>>",
		},
		Prometheus: []PrometheusRule{{
			// The window is the CloudWatch period: both count evictions
			// over the same five minutes.
			Expr:        "increase(redis_evicted_keys_total[<<.IncreaseWindow>>]) > <<.Threshold>>",
			Description: "{{ $labels.node }} (shard {{ $labels.shard }}) evicted {{ $value | printf \"%.0f\" }} keys in the last <<.IncreaseWindow>>. ksqlDB keeps its state here: every evicted key is state a query has lost.",
		}},
	},
	{
		Name:          "ElastiCacheReplicationLag",
		TerraformName: "replication_lag",
		Summary:       "Redis replica behind its primary",
		Severity:      "critical",
		Threshold:     10,
		For:           5 * time.Minute,
		RunbookAnchor: "elasticachereplicationlag",
		CloudWatch: CloudWatchSide{
			Namespace:  namespaceElastiCache,
			MetricName: "ReplicationLag",
			Statistic:  "Average",
			Period:     60 * time.Second,
			Comparison: greaterThan,
			// Primaries publish no ReplicationLag; every member gets the
			// alarm because a failover swaps roles.
			TreatMissingData: "notBreaching",
			Description:      "Replica more than <<.Threshold>> seconds behind its primary for <<.Window>> on <<.Node>>: a failover now would lose writes. Check network and write load. Runbook: <<.RunbookURL>>",
		},
		Prometheus: []PrometheusRule{
			{
				Condition:   "lag",
				Expr:        "redis_replica_lag_seconds > <<.Threshold>>",
				Description: "Replica {{ $labels.node }} (shard {{ $labels.shard }}) is {{ $value | humanizeDuration }} behind its primary, more than <<.Threshold>>s for <<.For>>. A failover now would lose the ksqlDB state written since.",
			},
			{
				// redis_master_link_up exists only on replicas.
				Condition:   "link_down",
				Expr:        "redis_master_link_up == 0",
				For:         ForPolicy{AtMost: time.Minute},
				Description: "Replica {{ $labels.node }} (shard {{ $labels.shard }}) has had no replication link to its primary for <<.For>> (redis_master_link_up = {{ $value }}). It serves stale state and cannot take over without losing writes.",
			},
		},
	},
	{
		Name:          "ElastiCacheHighConnections",
		TerraformName: "high_connections",
		Summary:       "Redis client connections high",
		Severity:      "warning",
		Threshold:     1000,
		For:           5 * time.Minute,
		RunbookAnchor: "elasticachehighconnections",
		CloudWatch: CloudWatchSide{
			Namespace:        namespaceElastiCache,
			MetricName:       "CurrConnections",
			Statistic:        "Average",
			Period:           60 * time.Second,
			Comparison:       greaterThan,
			TreatMissingData: "missing",
			Description:      "More than <<.Threshold>> client connections for <<.Window>> on <<.Node>>: a client is leaking connections or pools are oversized. Runbook: <<.RunbookURL>>",
		},
		Prometheus: []PrometheusRule{
			{
				Condition:   "clients",
				Expr:        "redis_connected_clients > <<.Threshold>>",
				Description: "{{ $labels.node }} (shard {{ $labels.shard }}) has {{ $value }} client connections, more than <<.Threshold>> for <<.For>>. A client is leaking connections or its pool is oversized; maxclients is next.",
			},
			{
				// Any rejection means a client could not connect at all.
				Condition:   "rejected",
				Expr:        "increase(redis_rejected_connections_total[5m]) > 0",
				For:         ForPolicy{Immediate: true},
				Description: "{{ $labels.node }} (shard {{ $labels.shard }}) rejected {{ $value | printf \"%.0f\" }} connections in the last 5m (maxclients reached): ksqlDB clients cannot reach their state.",
			},
		},
	},
}

// Builtin returns a copy of the five definitions with their defaults.
func Builtin() []Definition {
	out := make([]Definition, len(builtin))
	copy(out, builtin)
	for i := range out {
		out[i].Prometheus = append([]PrometheusRule(nil), builtin[i].Prometheus...)
	}
	return out
}
