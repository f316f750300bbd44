package cwmetrics

import (
	"bufio"
	"flag"
	"fmt"
	"os"
	"regexp"
	"strings"
	"testing"
	"unicode/utf8"
)

var update = flag.Bool("update", false, "rewrite testdata/*.golden")

// TestMetricNameMatchesYACE pins YACE's conversion, quirks included, so a
// dashboard written for YACE finds the same series here.
func TestMetricNameMatchesYACE(t *testing.T) {
	for _, tc := range []struct {
		namespace, metric, stat, want string
	}{
		// The contract's examples.
		{"AWS/ElastiCache", "EngineCPUUtilization", "Average", "aws_elasticache_engine_cpuutilization_average"},
		{"AWS/ElastiCache", "DatabaseMemoryUsagePercentage", "Average", "aws_elasticache_database_memory_usage_percentage_average"},
		{"AWS/ElastiCache", "FreeableMemory", "Average", "aws_elasticache_freeable_memory_average"},
		{"AWS/ElastiCache", "CPUUtilization", "Average", "aws_elasticache_cpuutilization_average"},
		{"AWS/ElastiCache", "SwapUsage", "Average", "aws_elasticache_swap_usage_average"},
		{"AWS/ElastiCache", "Evictions", "Sum", "aws_elasticache_evictions_sum"},
		{"AWS/ElastiCache", "ReplicationLag", "Average", "aws_elasticache_replication_lag_average"},
		{"AWS/ElastiCache", "CurrConnections", "Average", "aws_elasticache_curr_connections_average"},
		{"AWS/ElastiCache", "NetworkBytesIn", "Sum", "aws_elasticache_network_bytes_in_sum"},
		// Runs of capitals stay one word; a capital after a digit starts one.
		{"AWS/ElastiCache", "CPUCreditBalance", "Average", "aws_elasticache_cpucredit_balance_average"},
		{"AWS/ElastiCache", "DB0AverageTTL", "Average", "aws_elasticache_db0_average_ttl_average"},
		{"AWS/ElastiCache", "HyperLogLogBasedCmdsLatency", "Average", "aws_elasticache_hyper_log_log_based_cmds_latency_average"},
		{"AWS/ElastiCache", "NetworkBandwidthOutAllowanceExceeded", "Sum", "aws_elasticache_network_bandwidth_out_allowance_exceeded_sum"},
		{"AWS/ElastiCache", "IsMaster", "Maximum", "aws_elasticache_is_master_maximum"},
		// ElastiCache is two words in a metric name but one in the namespace.
		{"AWS/ElastiCache", "ElastiCacheProcessingUnits", "Sum", "aws_elasticache_elasti_cache_processing_units_sum"},
		// Namespace words a metric name repeats are trimmed, word by word.
		{"AWS/ElastiCache", "elasticacheFoo", "Sum", "aws_elasticache_foo_sum"},
		{"AWS/Glue", "glue.driver.aggregate.bytesRead", "Sum", "aws_glue_driver_aggregate_bytes_read_sum"},
		// A leading slash is dropped; "aws" is not doubled; others get it.
		{"/aws/sagemaker/TrainingJobs", "CPUUtilization", "Average", "aws_sagemaker_trainingjobs_cpuutilization_average"},
		{"ECS/ContainerInsights", "CpuUtilized", "Average", "aws_ecs_containerinsights_cpu_utilized_average"},
		// Percentiles and "%" as YACE writes them.
		{"AWS/EC2", "CPUUtilization", "p99", "aws_ec2_cpuutilization_p99"},
		{"AWS/EC2", "CPUUtilization", "p99.9", "aws_ec2_cpuutilization_p99_9"},
		{"AWS/RDS", "Free%Storage", "Average", "aws_rds_free_percentstorage_average"},
		// Every statistic the config accepts, with YACE's suffix.
		{"AWS/ElastiCache", "EngineCPUUtilization", "Maximum", "aws_elasticache_engine_cpuutilization_maximum"},
		{"AWS/ElastiCache", "FreeableMemory", "Minimum", "aws_elasticache_freeable_memory_minimum"},
		{"AWS/ElastiCache", "NewConnections", "Sum", "aws_elasticache_new_connections_sum"},
		{"AWS/ElastiCache", "SuccessfulReadRequestLatency", "SampleCount", "aws_elasticache_successful_read_request_latency_sample_count"},
		{"AWS/ElastiCache", "SuccessfulReadRequestLatency", "p50", "aws_elasticache_successful_read_request_latency_p50"},
		{"AWS/ElastiCache", "SuccessfulWriteRequestLatency", "p99", "aws_elasticache_successful_write_request_latency_p99"},
		{"AWS/ElastiCache", "SuccessfulWriteRequestLatency", "p99.99", "aws_elasticache_successful_write_request_latency_p99_99"},
		{"AWS/ElastiCache", "SuccessfulWriteRequestLatency", "p0", "aws_elasticache_successful_write_request_latency_p0"},
		{"AWS/ElastiCache", "SuccessfulWriteRequestLatency", "p100", "aws_elasticache_successful_write_request_latency_p100"},
		// The metrics #12 added, and the corrected migration-link name.
		{"AWS/ElastiCache", "MasterLinkHealthStatus", "Minimum", "aws_elasticache_master_link_health_status_minimum"},
		{"AWS/ElastiCache", "NetworkBaselineMaxUsageOutPercentage", "Maximum", "aws_elasticache_network_baseline_max_usage_out_percentage_maximum"},
		{"AWS/ElastiCache", "IamAuthenticationExpirations", "Sum", "aws_elasticache_iam_authentication_expirations_sum"},
		{"AWS/ElastiCache", "PubSubShardChannels", "Average", "aws_elasticache_pub_sub_shard_channels_average"},
		{"AWS/ElastiCache", "UsedMemoryDataset", "Average", "aws_elasticache_used_memory_dataset_average"},
		// No statistic, no suffix.
		{"AWS/ElastiCache", "IsMaster", "", "aws_elasticache_is_master"},
	} {
		if got := MetricName(tc.namespace, tc.metric, tc.stat); got != tc.want {
			t.Errorf("MetricName(%q, %q, %q) = %q, want %q", tc.namespace, tc.metric, tc.stat, got, tc.want)
		}
	}
}

// TestCatalogueNamesGolden lists the exported name of every catalogue
// metric; a change to the conversion or the catalogue shows up as a diff.
// Run with -update to rewrite after a deliberate change.
func TestCatalogueNamesGolden(t *testing.T) {
	var b strings.Builder
	for _, m := range Catalogue() {
		for _, stat := range m.Statistics {
			fmt.Fprintf(&b, "%s %s %s\n", m.Name, stat, MetricName(Namespace, m.Name, stat))
		}
	}
	const path = "testdata/catalogue_names.golden"
	if *update {
		if err := os.WriteFile(path, []byte(b.String()), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -run TestCatalogueNamesGolden -update)", err)
	}
	if b.String() != string(want) {
		t.Errorf("exported names differ from %s; if intended, rerun with -update\ngot:\n%s", path, b.String())
	}
}

var legacyMetricName = regexp.MustCompile(`^[a-zA-Z_:][a-zA-Z0-9_:]*$`)

// FuzzMetricName: any ASCII name yields a valid legacy Prometheus name for
// alphanumeric input, conversion is idempotent, and nothing panics.
func FuzzMetricName(f *testing.F) {
	file, err := os.Open("testdata/catalogue_names.golden")
	if err != nil {
		f.Fatal(err)
	}
	defer file.Close()
	sc := bufio.NewScanner(file)
	for sc.Scan() {
		fields := strings.Fields(sc.Text())
		if len(fields) == 3 {
			f.Add(fields[0], fields[1])
		}
	}
	f.Add("Free%Storage", "p99.9")
	f.Add("glue.driver.aggregate.bytesRead", "Sum")
	f.Fuzz(func(t *testing.T, metric, stat string) {
		name := MetricName(Namespace, metric, stat)
		if !ascii(metric) || !ascii(stat) {
			// Outside ASCII, Unicode case mapping (title case, capitals
			// without a lower case) makes idempotency moot; only require
			// that nothing panics and the result is valid UTF-8.
			if utf8.ValidString(metric) && utf8.ValidString(stat) && !utf8.ValidString(name) {
				t.Errorf("MetricName(%q, %q) = %q is not valid UTF-8", metric, stat, name)
			}
			return
		}
		if again := promString(promString(metric)); again != promString(metric) {
			t.Errorf("promString not idempotent on %q: %q then %q", metric, promString(metric), again)
		}
		if alnum(metric) && alnum(stat) && !legacyMetricName.MatchString(name) {
			t.Errorf("MetricName(%q, %q) = %q is not a valid metric name", metric, stat, name)
		}
		if !strings.HasPrefix(name, "aws_elasticache_") {
			t.Errorf("MetricName(%q, %q) = %q lacks the namespace prefix", metric, stat, name)
		}
	})
}

func ascii(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= utf8.RuneSelf {
			return false
		}
	}
	return true
}

func alnum(s string) bool {
	for _, c := range s {
		if (c < 'a' || c > 'z') && (c < 'A' || c > 'Z') && (c < '0' || c > '9') {
			return false
		}
	}
	return true
}
