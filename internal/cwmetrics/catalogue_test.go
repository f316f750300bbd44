package cwmetrics

import (
	"fmt"
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
		if len(m.Statistics) == 0 {
			t.Errorf("%s has no default statistic", m.Name)
		}
		for _, stat := range m.Statistics {
			// The catalogue's defaults obey the rules the config enforces.
			if !config.ValidCloudWatchStatistic(stat) {
				t.Errorf("%s: statistic %q is not one config accepts", m.Name, stat)
			}
			n := MetricName(Namespace, m.Name, stat)
			if other, dup := exported[n]; dup {
				t.Errorf("%s and %s both export %s", other, m.Name, n)
			}
			exported[n] = m.Name
		}
	}
	// The list, which must all be there.
	for _, n := range []string{"CPUUtilization", "FreeableMemory", "SwapUsage", "NetworkBytesIn", "NetworkBytesOut",
		"NetworkPacketsIn", "NetworkPacketsOut", "NetworkBandwidthInAllowanceExceeded", "NetworkBandwidthOutAllowanceExceeded",
		"NetworkConntrackAllowanceExceeded", "NetworkLinkLocalAllowanceExceeded", "NetworkPacketsPerSecondAllowanceExceeded",
		"EngineCPUUtilization", "DatabaseMemoryUsagePercentage", "BytesUsedForCache", "CurrConnections", "NewConnections",
		"Evictions", "Reclaimed", "CacheHits", "CacheMisses", "CacheHitRate", "ReplicationLag", "ReplicationBytes",
		"SaveInProgress", "IsMaster",
		// #12 item 4: checked against AWS's published list of AWS/ElastiCache
		// metrics (see docs/cloudwatch.md).
		"MasterLinkHealthStatus", "IamAuthenticationExpirations", "IamAuthenticationThrottling",
		"BlockedConnections", "RejectedConnections", "MajorPageFaults",
		"NetworkBaselineUsageInPercentage", "NetworkBaselineUsageOutPercentage",
		"NetworkBaselineMaxUsageInPercentage", "NetworkBaselineMaxUsageOutPercentage",
		"AllocatorFragmentationBytes", "AllocatorFragmentationRatio", "UsedMemoryDataset",
		"ProcessedCommands", "PubSubChannels", "PubSubShardChannels", "DatabaseAuthorizationFailures"} {
		if !names[n] {
			t.Errorf("catalogue lacks %s", n)
		}
	}
	// ElastiCache never published PrimaryLinkHealthStatus; the migration
	// link's metric is MasterLinkHealthStatus.
	if names["PrimaryLinkHealthStatus"] {
		t.Error("catalogue lists PrimaryLinkHealthStatus, which ElastiCache does not publish")
	}
	if m, _ := Lookup("MasterLinkHealthStatus"); !strings.Contains(m.Help, "migration") || !strings.Contains(m.Help, "Not replica health") {
		t.Errorf("MasterLinkHealthStatus help %q does not say it is the online-migration link", m.Help)
	}
	if !slices.IsSorted(Names()) {
		t.Error("Names() is not sorted; Lookup relies on it")
	}
}

// TestDefaultSelection pins the default: what the five alarms (engine CPU,
// memory, evictions, replication lag, connections), capacity planning and
// request latency need, each with the statistics an SRE reads it by.
func TestDefaultSelection(t *testing.T) {
	got := map[string][]string{}
	for _, m := range DefaultSelection() {
		got[m.Name] = m.Statistics
	}
	want := map[string][]string{
		"BytesUsedForCache":                    {"Average"},
		"CPUUtilization":                       {"Average", "Maximum"},
		"CacheHitRate":                         {"Average"},
		"CurrConnections":                      {"Average"},
		"CurrItems":                            {"Average"},
		"DatabaseMemoryUsagePercentage":        {"Average", "Maximum"},
		"EngineCPUUtilization":                 {"Average", "Maximum"},
		"Evictions":                            {"Sum"},
		"FreeableMemory":                       {"Average"},
		"NetworkBandwidthOutAllowanceExceeded": {"Sum"},
		"NetworkBytesIn":                       {"Sum"},
		"NetworkBytesOut":                      {"Sum"},
		"NewConnections":                       {"Sum"},
		"ReplicationLag":                       {"Average"},
		"SuccessfulReadRequestLatency":         {"p50", "p99"},
		"SuccessfulWriteRequestLatency":        {"p50", "p99"},
		"SwapUsage":                            {"Average"},
	}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("default selection = %v, want %v", got, want)
	}
	if n := QueriesPerNode(DefaultSelection()); n != 22 {
		t.Errorf("default queries per node = %d, want 22 (docs/cloudwatch.md and README state it)", n)
	}
}

func TestSelected(t *testing.T) {
	cfg := config.Default().CloudWatch
	cfg.Metrics = config.MetricSelection{Add: []string{"IsMaster", "CacheHits"}, Remove: []string{"CurrItems", "SwapUsage"}}
	var names []string
	cfg.Metrics.Statistics = map[string][]string{"IsMaster": {"Minimum", "Maximum"}}
	stats := map[string][]string{}
	for _, m := range Selected(cfg.SelectedCloudWatchMetrics(), cfg.Metrics.Statistics) {
		names = append(names, m.Name)
		stats[m.Name] = m.Statistics
	}
	if fmt.Sprint(stats["IsMaster"]) != "[Minimum Maximum]" || fmt.Sprint(stats["CacheHits"]) != "[Sum]" ||
		fmt.Sprint(stats["EngineCPUUtilization"]) != "[Average Maximum]" {
		t.Errorf("statistics = %v: the config's replace IsMaster's, the others keep their defaults", stats)
	}
	if len(names) != 17 || !slices.Contains(names, "IsMaster") || !slices.Contains(names, "CacheHits") ||
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
