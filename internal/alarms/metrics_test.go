package alarms

import (
	"slices"
	"strings"
	"testing"
)

// exported lists the metric names the collector exports (the contract the
// core implements). The collector package holds the stronger test: every
// name of Metrics() appears in a real scrape.
var exported = strings.Fields(`
redis_up redis_instance_info redis_node_is_primary redis_uptime_in_seconds
redis_connected_clients redis_blocked_clients redis_rejected_connections_total redis_connections_received_total
redis_memory_used_bytes redis_memory_used_rss_bytes redis_memory_used_peak_bytes redis_memory_max_bytes redis_mem_fragmentation_ratio
redis_commands_processed_total redis_commands_total redis_commands_duration_seconds_total redis_errors_total
redis_keyspace_hits_total redis_keyspace_misses_total redis_evicted_keys_total redis_expired_keys_total
redis_net_input_bytes_total redis_net_output_bytes_total redis_instantaneous_ops_per_sec
redis_cpu_sys_seconds_total redis_cpu_user_seconds_total redis_cpu_sys_main_thread_seconds_total redis_cpu_user_main_thread_seconds_total
redis_db_keys redis_db_keys_expiring
redis_connected_slaves redis_master_repl_offset redis_slave_repl_offset redis_master_link_up redis_master_last_io_seconds_ago
redis_master_sync_in_progress redis_master_link_down_since_seconds redis_replica_lag_bytes redis_replica_lag_seconds
redis_rdb_bgsave_in_progress redis_aof_rewrite_in_progress redis_rdb_changes_since_last_save
aws_elasticache_engine_cpuutilization_average aws_elasticache_database_memory_usage_percentage_average
aws_elasticache_evictions_sum aws_elasticache_replication_lag_average aws_elasticache_curr_connections_average
`)

func TestExpressionsUseExportedMetrics(t *testing.T) {
	for _, d := range Builtin() {
		ms := d.Metrics()
		if len(ms) == 0 {
			t.Errorf("%s: its expressions name no metric; the tokenizer or the definition is broken", d.Name)
		}
		for _, m := range ms {
			if !slices.Contains(exported, m) {
				t.Errorf("%s reads %s, which the exporter does not export", d.Name, m)
			}
		}
	}
	want := []string{
		"redis_connected_clients", "redis_cpu_sys_main_thread_seconds_total", "redis_cpu_user_main_thread_seconds_total",
		"redis_evicted_keys_total", "redis_master_link_up", "redis_memory_max_bytes", "redis_memory_used_bytes",
		"redis_rejected_connections_total", "redis_replica_lag_seconds",
	}
	if got := Metrics(); !slices.Equal(got, want) {
		t.Errorf("Metrics() = %v, want %v", got, want)
	}
}

func TestMetricNames(t *testing.T) {
	for _, tc := range []struct {
		expr string
		want []string
	}{
		{"redis_up", []string{"redis_up"}},
		{"rate(redis_a_total[1m]) + rate(redis_b_total[1m]) > 0.9", []string{"redis_a_total", "redis_b_total"}},
		{`redis_x{node="redis_not_a_metric",role='redis_y'} > 1e3`, []string{"redis_x"}},
		{"redis_used / (redis_max > 0)", []string{"redis_used", "redis_max"}},
		{"sum by (node, shard) (aws_elasticache_evictions_sum)", []string{"aws_elasticache_evictions_sum"}},
		{"elasticache_exporter_nodes\n", []string{"elasticache_exporter_nodes"}},
		{"redis_fn(x) or node_load1 or up", nil},
		{"redis_ alone", nil},
		{"increase(redis_evicted_keys_total[<<.Period>>]) > <<.Threshold>>", []string{"redis_evicted_keys_total"}},
		{`"unterminated redis_x`, nil},
		{"5mredis_x", nil},
	} {
		got := metricNames(stripActions(tc.expr))
		if !slices.Equal(got, tc.want) {
			t.Errorf("metricNames(%q) = %q, want %q", tc.expr, got, tc.want)
		}
	}
}

func FuzzMetricNames(f *testing.F) {
	for _, d := range Builtin() {
		for _, r := range d.Prometheus {
			f.Add(r.Expr)
		}
	}
	f.Add(`redis_x{a="b\"redis_y"} offset 5m`)
	f.Fuzz(func(t *testing.T, expr string) {
		for _, n := range metricNames(stripActions(expr)) {
			if !hasMetricPrefix(n) || !strings.Contains(expr, n) {
				t.Fatalf("metricNames(%q) returned %q", expr, n)
			}
			for i := 0; i < len(n); i++ {
				if !isIdentChar(n[i]) {
					t.Fatalf("metricNames(%q) returned %q, not a metric name", expr, n)
				}
			}
		}
	})
}
