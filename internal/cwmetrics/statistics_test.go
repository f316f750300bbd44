package cwmetrics

import (
	"context"
	"fmt"
	"testing"

	"github.com/elasticache-exporter/elasticache-exporter/internal/awstest"
	"github.com/elasticache-exporter/elasticache-exporter/internal/config"
)

// statisticsLayout seeds one period of node 1 with several datapoints, so
// that every statistic has its own value: EngineCPUUtilization 10, 20, 30
// and 90 (Average 37.5, Maximum 90, Minimum 10, SampleCount 4), and
// SuccessfulReadRequestLatency 1..100 (p50 50, p99 99). kumo keeps one
// store per process, so each test names its own group.
func statisticsLayout(t *testing.T, e *emulator, group string) []Target {
	t.Helper()
	var targets []Target
	for i := 1; i <= 3; i++ {
		id := fmt.Sprintf("%s-0001-%03d", group, i)
		targets = append(targets, Target{CacheClusterID: id, CacheNodeID: DefaultCacheNodeID, Node: id, Shard: "0001"})
	}
	id := targets[0].CacheClusterID
	data := []awstest.Datum{
		{Metric: "EngineCPUUtilization", CacheClusterID: id, Value: 10},
		{Metric: "EngineCPUUtilization", CacheClusterID: id, Value: 20},
		{Metric: "EngineCPUUtilization", CacheClusterID: id, Value: 30},
		{Metric: "EngineCPUUtilization", CacheClusterID: id, Value: 90},
	}
	for v := 100; v >= 1; v-- {
		data = append(data, awstest.Datum{Metric: "SuccessfulReadRequestLatency", CacheClusterID: id, Value: float64(v)})
	}
	awstest.SeedMetrics(t, e.kumo.URL, awstest.SeedTime(), data)
	return targets
}

// mustValidate checks cw the way the daemon does before it starts.
func mustValidate(t *testing.T, cw config.CloudWatchConfig) {
	t.Helper()
	c := config.Default()
	c.Redis.Addrs = []string{"127.0.0.1:6379"}
	c.CloudWatch = cw
	c.CloudWatch.CacheClusterIDs = []string{"kafka-platform-prod-0001-001"}
	if err := c.Validate(); err != nil {
		t.Fatal(err)
	}
}

// refreshOnce runs one refresh with cfg on its own refresher and returns
// the GetMetricData calls it made, the metrics it counted as requested, and
// node 1's CloudWatch series by exported name.
func refreshOnce(t *testing.T, e *emulator, cfg config.CloudWatchConfig, targets []Target) (calls int64, requested float64, node1 map[string]float64) {
	t.Helper()
	before := e.getMetricData.Load()
	r, reg := newTestRefresher(t, e, cfg, targets, clockCovering(cfg))
	if err := r.Refresh(context.Background()); err != nil {
		t.Fatal(err)
	}
	node1 = map[string]float64{}
	for k, g := range gatherCloudWatch(t, reg) {
		if k[1] == targets[0].CacheClusterID {
			node1[k[0]] = g.value
		}
	}
	return e.getMetricData.Load() - before, selfMetric(t, reg, "elasticache_exporter_cloudwatch_metrics_requested_total"), node1
}

// TestTwoStatisticsOneCall is #12's CloudWatch "done when": the default
// Average and Maximum of EngineCPUUtilization (and p50 and p99 of
// SuccessfulReadRequestLatency) come back from ONE GetMetricData call, each
// under YACE's name with its own value, and asking for the second statistic
// adds queries (what AWS bills) but not calls.
func TestTwoStatisticsOneCall(t *testing.T) {
	e := newEmulator(t)
	targets := statisticsLayout(t, e, "kafka-two-stats")

	one := testConfig()
	one.Metrics.Statistics = map[string][]string{"EngineCPUUtilization": {"Average"}}
	mustValidate(t, one)
	oneCalls, oneRequested, oneValues := refreshOnce(t, e, one, targets)
	if _, ok := oneValues["aws_elasticache_engine_cpuutilization_maximum"]; ok {
		t.Error("Maximum exported although only Average was asked for")
	}

	two := testConfig() // the defaults: Average and Maximum
	twoCalls, twoRequested, got := refreshOnce(t, e, two, targets)

	if oneCalls != 1 || twoCalls != 1 {
		t.Errorf("GetMetricData calls per refresh: %d with one statistic, %d with two; want 1 and 1", oneCalls, twoCalls)
	}
	if d := twoRequested - oneRequested; d != float64(len(targets)) {
		t.Errorf("the second statistic added %v requested metrics, want one per node (%d)", d, len(targets))
	}
	if twoRequested != float64(len(targets)*defaultQueriesPerNode) {
		t.Errorf("metrics_requested_total = %v, want %d nodes x %d", twoRequested, len(targets), defaultQueriesPerNode)
	}
	for name, want := range map[string]float64{
		"aws_elasticache_engine_cpuutilization_average":           37.5,
		"aws_elasticache_engine_cpuutilization_maximum":           90,
		"aws_elasticache_successful_read_request_latency_p50":     50,
		"aws_elasticache_successful_read_request_latency_p99":     99,
		"aws_elasticache_successful_write_request_latency_p50":    -1, // not seeded: absent, never 0
		"aws_elasticache_successful_read_request_latency_average": -1,
	} {
		v, ok := got[name]
		switch {
		case want < 0 && ok:
			t.Errorf("%s = %v, want absent", name, v)
		case want >= 0 && !ok:
			t.Errorf("%s missing", name)
		case want >= 0 && v != want:
			t.Errorf("%s = %v, want %v", name, v, want)
		}
	}
	if oneValues["aws_elasticache_engine_cpuutilization_average"] != 37.5 {
		t.Errorf("with one statistic, average = %v, want 37.5", oneValues["aws_elasticache_engine_cpuutilization_average"])
	}
}

// TestConfiguredStatistics: statistics set in the config replace the
// defaults, and SampleCount and a fractional percentile get YACE's names.
func TestConfiguredStatistics(t *testing.T) {
	e := newEmulator(t)
	targets := statisticsLayout(t, e, "kafka-configured-stats")
	cfg := testConfig()
	cfg.Metrics.Statistics = map[string][]string{
		"EngineCPUUtilization":         {"Minimum", "SampleCount", "p99.9", "Sum"},
		"SuccessfulReadRequestLatency": {"p90", "Maximum"},
	}
	mustValidate(t, cfg)
	calls, _, got := refreshOnce(t, e, cfg, targets)
	if calls != 1 {
		t.Errorf("%d GetMetricData calls, want 1", calls)
	}
	for name, want := range map[string]float64{
		"aws_elasticache_engine_cpuutilization_minimum":           10,
		"aws_elasticache_engine_cpuutilization_sample_count":      4,
		"aws_elasticache_engine_cpuutilization_p99_9":             90,
		"aws_elasticache_engine_cpuutilization_sum":               150,
		"aws_elasticache_successful_read_request_latency_p90":     90,
		"aws_elasticache_successful_read_request_latency_maximum": 100,
	} {
		if v, ok := got[name]; !ok || v != want {
			t.Errorf("%s = %v (present %v), want %v", name, v, ok, want)
		}
	}
	for _, gone := range []string{"aws_elasticache_engine_cpuutilization_average", "aws_elasticache_engine_cpuutilization_maximum",
		"aws_elasticache_successful_read_request_latency_p50", "aws_elasticache_successful_read_request_latency_p99"} {
		if _, ok := got[gone]; ok {
			t.Errorf("%s exported although the config replaced the defaults", gone)
		}
	}
}
