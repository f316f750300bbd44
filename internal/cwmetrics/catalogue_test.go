package cwmetrics

import (
	"slices"
	"strings"
	"testing"

	"github.com/elasticache-exporter/elasticache-exporter/internal/config"
)

func TestCatalogueEntriesComplete(t *testing.T) {
	names := map[string]bool{}
	exported := map[string]string{}
	for _, m := range Catalogue() {
		if names[m.Name] {
			t.Errorf("%s listed twice", m.Name)
		}
		names[m.Name] = true
		if m.Unit == "" || m.Help == "" || m.Level == "" {
			t.Errorf("%s lacks unit, help or level: %+v", m.Name, m)
		}
		switch m.Statistic {
		case statAverage, statSum, statMaximum, statMinimum:
		default:
			t.Errorf("%s: statistic %q", m.Name, m.Statistic)
		}
		n := MetricName(Namespace, m.Name, m.Statistic)
		if other, dup := exported[n]; dup {
			t.Errorf("%s and %s both export %s", other, m.Name, n)
		}
		exported[n] = m.Name
	}
	// The list, which must all be there.
	for _, n := range []string{"CPUUtilization", "FreeableMemory", "SwapUsage", "NetworkBytesIn", "NetworkBytesOut",
		"NetworkPacketsIn", "NetworkPacketsOut", "NetworkBandwidthInAllowanceExceeded", "NetworkBandwidthOutAllowanceExceeded",
		"NetworkConntrackAllowanceExceeded", "NetworkLinkLocalAllowanceExceeded", "NetworkPacketsPerSecondAllowanceExceeded",
		"EngineCPUUtilization", "DatabaseMemoryUsagePercentage", "BytesUsedForCache", "CurrConnections", "NewConnections",
		"Evictions", "Reclaimed", "CacheHits", "CacheMisses", "CacheHitRate", "ReplicationLag", "ReplicationBytes",
		"SaveInProgress", "IsMaster"} {
		if !names[n] {
			t.Errorf("catalogue lacks %s", n)
		}
	}
	if !slices.IsSorted(Names()) {
		t.Error("Names() is not sorted; Lookup relies on it")
	}
}

// TestDefaultSelection pins the default: what the five alarms (engine CPU,
// memory, evictions, replication lag, connections) and capacity need.
func TestDefaultSelection(t *testing.T) {
	var got []string
	for _, m := range DefaultSelection() {
		got = append(got, m.Name)
	}
	want := []string{"BytesUsedForCache", "CPUUtilization", "CacheHitRate", "CurrConnections", "CurrItems",
		"DatabaseMemoryUsagePercentage", "EngineCPUUtilization", "Evictions", "FreeableMemory",
		"NetworkBandwidthOutAllowanceExceeded", "NetworkBytesIn", "NetworkBytesOut", "NewConnections",
		"ReplicationLag", "SwapUsage"}
	if !slices.Equal(got, want) {
		t.Errorf("default selection = %v, want %v", got, want)
	}
}

func TestSelected(t *testing.T) {
	cfg := config.Default().CloudWatch
	cfg.Metrics = config.MetricSelection{Add: []string{"IsMaster", "CacheHits"}, Remove: []string{"CurrItems", "SwapUsage"}}
	var names []string
	for _, m := range Selected(cfg.SelectedCloudWatchMetrics()) {
		names = append(names, m.Name)
	}
	if len(names) != 15 || !slices.Contains(names, "IsMaster") || !slices.Contains(names, "CacheHits") ||
		slices.Contains(names, "CurrItems") || slices.Contains(names, "SwapUsage") {
		t.Errorf("selection = %v", names)
	}
}

// TestConfigRejectsUnknownMetric: the catalogue reaches config's validation,
// so --config.check catches a misspelt name before the daemon starts.
func TestConfigRejectsUnknownMetric(t *testing.T) {
	c, err := config.Parse([]byte("redis: {addrs: [\"localhost:6379\"]}\ncloudwatch: {enabled: true, cache_cluster_ids: [kafka-platform-prod-001], metrics: {add: [Evictionz]}}\n"))
	if err != nil {
		t.Fatal(err)
	}
	err = c.Validate()
	if err == nil || !strings.Contains(err.Error(), `cloudwatch.metrics.add[0]: "Evictionz" is not an AWS/ElastiCache metric`) {
		t.Errorf("Validate() = %v", err)
	}
}

func TestConfigRejectsBadCacheClusterID(t *testing.T) {
	for id, ok := range map[string]bool{
		"kafka-platform-prod-001": true, "kafka-platform-prod-0001-002": true, "a": true,
		"1abc": false, "kafka--prod": false, "kafka-prod-": false, "kafka_prod": false, strings.Repeat("a", 51): false,
	} {
		c := config.Default()
		c.Redis.Addrs = []string{"localhost:6379"}
		c.CloudWatch.Enabled = true
		c.CloudWatch.CacheClusterIDs = []string{id}
		err := c.Validate()
		if got := err == nil; got != ok {
			t.Errorf("cache_cluster_ids [%q]: Validate() = %v, want ok=%v", id, err, ok)
		}
		if !ok && err != nil && !strings.Contains(err.Error(), "cloudwatch.cache_cluster_ids[0]") {
			t.Errorf("error %q does not name the field", err)
		}
	}
}

// TestCatalogueMatchesConfigNames: config validates cloudwatch.metrics
// against its own static list, so that list must be exactly the catalogue.
func TestCatalogueMatchesConfigNames(t *testing.T) {
	want := Names()
	got := slices.Clone(config.CloudWatchMetricNames)
	slices.Sort(got)
	if !slices.Equal(got, want) {
		var missing, extra []string
		for _, n := range want {
			if !slices.Contains(got, n) {
				missing = append(missing, n)
			}
		}
		for _, n := range got {
			if !slices.Contains(want, n) {
				extra = append(extra, n)
			}
		}
		t.Errorf("config.CloudWatchMetricNames differs from the catalogue: missing %q, not in the catalogue %q", missing, extra)
	}
}
