package config

import (
	"fmt"
	"regexp"
	"strings"
	"time"
)

// CloudWatchMetricNames lists every AWS/ElastiCache metric the exporter
// knows, sorted, so that config rejects a misspelt name in
// cloudwatch.metrics without importing the metrics package. A test there
// keeps this list equal to its catalogue.
var CloudWatchMetricNames = []string{
	"ActiveDefragHits", "AllocatorFragmentationBytes", "AllocatorFragmentationRatio", "AuthenticationFailures",
	"BlockedConnections", "BytesReadFromDisk", "BytesUsedForCache", "BytesWrittenToDisk", "CPUCreditBalance",
	"CPUCreditUsage", "CPUUtilization", "CacheHitRate", "CacheHits", "CacheMisses", "ChannelAuthorizationFailures",
	"ClusterBasedCmds", "ClusterBasedCmdsLatency", "CommandAuthorizationFailures", "CurrConnections", "CurrItems",
	"CurrVolatileItems", "DB0AverageTTL", "DatabaseAuthorizationFailures",
	"DatabaseCapacityUsageCountedForEvictPercentage", "DatabaseCapacityUsagePercentage",
	"DatabaseMemoryUsageCountedForEvictPercentage", "DatabaseMemoryUsagePercentage", "EngineCPUUtilization", "ErrorCount",
	"EvalBasedCmds", "EvalBasedCmdsLatency", "Evictions", "FreeableMemory", "GeoSpatialBasedCmds",
	"GeoSpatialBasedCmdsLatency", "GetTypeCmds", "GetTypeCmdsLatency", "GlobalDatastoreReplicationLag", "HashBasedCmds",
	"HashBasedCmdsLatency", "HyperLogLogBasedCmds", "HyperLogLogBasedCmdsLatency", "IamAuthenticationExpirations",
	"IamAuthenticationThrottling", "IsMaster", "JsonBasedCmds", "JsonBasedCmdsLatency", "JsonBasedGetCmds",
	"JsonBasedGetCmdsLatency", "JsonBasedSetCmds", "JsonBasedSetCmdsLatency", "KeyAuthorizationFailures", "KeyBasedCmds",
	"KeyBasedCmdsLatency", "KeysTracked", "ListBasedCmds", "ListBasedCmdsLatency", "MajorPageFaults",
	"MasterLinkHealthStatus", "MemoryFragmentationRatio", "NetworkBandwidthInAllowanceExceeded",
	"NetworkBandwidthOutAllowanceExceeded", "NetworkBaselineMaxUsageInPercentage", "NetworkBaselineMaxUsageOutPercentage",
	"NetworkBaselineUsageInPercentage", "NetworkBaselineUsageOutPercentage", "NetworkBytesIn", "NetworkBytesOut",
	"NetworkConntrackAllowanceExceeded", "NetworkLinkLocalAllowanceExceeded", "NetworkMaxBytesIn", "NetworkMaxBytesOut",
	"NetworkMaxPacketsIn", "NetworkMaxPacketsOut", "NetworkPacketsIn", "NetworkPacketsOut",
	"NetworkPacketsPerSecondAllowanceExceeded", "NewConnections", "NonKeyTypeCmds", "NonKeyTypeCmdsLatency",
	"NumItemsReadFromDisk", "NumItemsWrittenToDisk", "ProcessedCommands", "PubSubBasedCmds", "PubSubBasedCmdsLatency",
	"PubSubChannels", "PubSubShardChannels", "Reclaimed", "RejectedConnections", "ReplicationBytes", "ReplicationLag",
	"SaveInProgress", "SetBasedCmds", "SetBasedCmdsLatency", "SetTypeCmds", "SetTypeCmdsLatency", "SortedSetBasedCmds",
	"SortedSetBasedCmdsLatency", "StreamBasedCmds", "StreamBasedCmdsLatency", "StringBasedCmds", "StringBasedCmdsLatency",
	"SuccessfulReadRequestLatency", "SuccessfulWriteRequestLatency", "SwapUsage", "TrafficManagementActive",
	"UsedMemoryDataset",
}

// CloudWatchDefaultMetricNames is the selection used when
// cloudwatch.metrics changes nothing (17 metrics per node; with their
// default statistics, 22 queries per node), sorted; a test in the metrics
// package keeps it equal to the catalogue's defaults.
var CloudWatchDefaultMetricNames = []string{
	"BytesUsedForCache", "CPUUtilization", "CacheHitRate", "CurrConnections", "CurrItems",
	"DatabaseMemoryUsagePercentage", "EngineCPUUtilization", "Evictions", "FreeableMemory",
	"NetworkBandwidthOutAllowanceExceeded", "NetworkBytesIn", "NetworkBytesOut", "NewConnections",
	"ReplicationLag", "SuccessfulReadRequestLatency", "SuccessfulWriteRequestLatency", "SwapUsage",
}

// SelectedCloudWatchMetrics applies cloudwatch.metrics.add and remove to the
// default selection and returns the names, sorted. Unknown names are
// ignored here; validation reports them.
func (c *CloudWatchConfig) SelectedCloudWatchMetrics() []string {
	chosen := map[string]bool{}
	for _, n := range CloudWatchDefaultMetricNames {
		chosen[n] = true
	}
	for _, n := range c.Metrics.Add {
		chosen[n] = true
	}
	for _, n := range c.Metrics.Remove {
		delete(chosen, n)
	}
	out := make([]string, 0, len(chosen))
	for _, n := range CloudWatchMetricNames {
		if chosen[n] {
			out = append(out, n)
		}
	}
	return out
}

// cacheClusterIDPattern follows ElastiCache's rules: 1 to 50 letters, digits
// or hyphens, starting with a letter, no trailing or double hyphen.
var cacheClusterIDPattern = regexp.MustCompile(`^[a-zA-Z](-?[a-zA-Z0-9])*$`)

// CloudWatchConfig controls the CloudWatch metrics merged into /metrics.
type CloudWatchConfig struct {
	Enabled bool `yaml:"enabled"`
	// CacheClusterIDs names member clusters when no group is adopted.
	CacheClusterIDs []string `yaml:"cache_cluster_ids,omitempty"`
	// Period is both the refresh interval and the datapoint period.
	Period time.Duration `yaml:"period"`
	// Delay is how far behind now the query window ends (CloudWatch publishes late).
	Delay time.Duration `yaml:"delay"`
	// MaxAge drops a series whose newest value is older than this (0: 5 periods).
	MaxAge time.Duration `yaml:"max_age"`
	// Concurrency bounds parallel GetMetricData calls.
	Concurrency int `yaml:"concurrency"`
	// Metrics adds to or removes from the default selection, by CloudWatch metric name.
	Metrics MetricSelection `yaml:"metrics"`
}

// MetricSelection edits the default metric selection.
type MetricSelection struct {
	Add    []string `yaml:"add,omitempty"`
	Remove []string `yaml:"remove,omitempty"`
	// Statistics replaces the default statistics of selected metrics, by
	// CloudWatch metric name: Average, Maximum, Minimum, Sum, SampleCount
	// or a percentile such as p99. Each statistic is one query (and one
	// series) per node; they are named with YACE's suffixes.
	Statistics map[string][]string `yaml:"statistics,omitempty"`
}

func (c *CloudWatchConfig) setDefaults() {
	c.Period = 60 * time.Second
	c.Delay = 120 * time.Second
	c.Concurrency = 4
}

// EffectiveMaxAge resolves the 0 default.
func (c *CloudWatchConfig) EffectiveMaxAge() time.Duration {
	if c.MaxAge > 0 {
		return c.MaxAge
	}
	return 5 * c.Period
}

// Bounds of the CloudWatch settings.
const (
	maxCloudWatchPeriod      = time.Hour
	maxCloudWatchDelay       = time.Hour
	maxCloudWatchMaxAge      = 24 * time.Hour
	maxCloudWatchConcurrency = 32 // GetMetricData allows 50 calls a second per account
)

// renamedCloudWatchMetrics are names earlier versions accepted for a
// metric ElastiCache publishes under another name (docs/cloudwatch.md).
var renamedCloudWatchMetrics = map[string]string{
	"PrimaryLinkHealthStatus": "MasterLinkHealthStatus",
}

// cloudWatchMetricFix is the fix for an unknown metric name: the one name
// meant when it is a renamed metric or a known one in another case, else
// the list.
func cloudWatchMetricFix(name string) string {
	if to, ok := renamedCloudWatchMetrics[name]; ok {
		return "write " + to + " (ElastiCache publishes the online-migration link under that name; earlier versions listed " + name + ", which it never published)"
	}
	for _, n := range CloudWatchMetricNames {
		if strings.EqualFold(n, name) {
			return "write " + n + " (metric names are case-sensitive)"
		}
	}
	return "use one of " + strings.Join(CloudWatchMetricNames, ", ")
}

func (c *CloudWatchConfig) validate() []error {
	var errs []error
	if c.Period < time.Minute || c.Period%time.Minute != 0 || c.Period > maxCloudWatchPeriod {
		errs = append(errs, fieldError("cloudwatch.period", fmt.Sprintf("%s is not a whole number of minutes from 1m to 1h", c.Period), "use 60s or a multiple of it (ElastiCache publishes 60 s datapoints)"))
	}
	if c.Delay < 0 || c.Delay > maxCloudWatchDelay {
		errs = append(errs, fieldError("cloudwatch.delay", fmt.Sprintf("%s is outside 0s..1h", c.Delay), "use 0 or more (default 120s)"))
	}
	if c.MaxAge < 0 || (c.MaxAge > 0 && c.MaxAge < c.Period) || c.MaxAge > maxCloudWatchMaxAge {
		errs = append(errs, fieldError("cloudwatch.max_age", fmt.Sprintf("%s is shorter than one period or longer than 24h", c.MaxAge), "use at least cloudwatch.period, or 0 for 5 periods"))
	}
	for i, id := range c.CacheClusterIDs {
		if !isCacheClusterID(id) {
			errs = append(errs, fieldError(fmt.Sprintf("cloudwatch.cache_cluster_ids[%d]", i), fmt.Sprintf("%s is not a cache cluster id", quote(id)),
				"use the member cluster id as shown by describe-cache-clusters, e.g. kafka-platform-prod-001"))
		}
	}
	known := make(map[string]bool, len(CloudWatchMetricNames))
	for _, n := range CloudWatchMetricNames {
		known[n] = true
	}
	for _, list := range []struct {
		field string
		names []string
	}{{"cloudwatch.metrics.add", c.Metrics.Add}, {"cloudwatch.metrics.remove", c.Metrics.Remove}} {
		for i, n := range list.names {
			if !known[n] {
				errs = append(errs, fieldError(fmt.Sprintf("%s[%d]", list.field, i), fmt.Sprintf("%s is not an AWS/ElastiCache metric", quote(n)), cloudWatchMetricFix(n)))
			}
		}
	}
	errs = append(errs, c.validateStatistics(known)...)
	if c.Enabled && len(c.SelectedCloudWatchMetrics()) == 0 {
		errs = append(errs, fieldError("cloudwatch.metrics", "removes every metric", "keep at least one metric, or set cloudwatch.enabled to false"))
	}
	if c.Concurrency < 1 || c.Concurrency > maxCloudWatchConcurrency {
		errs = append(errs, fieldError("cloudwatch.concurrency", fmt.Sprintf("%d is outside 1..%d", c.Concurrency, maxCloudWatchConcurrency), "use e.g. 4 (default)"))
	}
	return errs
}

func isCacheClusterID(id string) bool {
	return len(id) <= 50 && cacheClusterIDPattern.MatchString(id)
}

// memberIDPattern is ElastiCache's naming of a replication group's member
// cluster: <group>-001, or <group>-0001-001 in cluster mode. The alarms
// package derives the alarm prefix the same way; a test keeps them equal.
var memberIDPattern = regexp.MustCompile(`^(.+?)-(?:[0-9]{3}|[0-9]{4}-[0-9]{3})$`)

// ReplicationGroupOfMember returns the replication group a member cache
// cluster id belongs to by ElastiCache's naming; ok is false otherwise.
func ReplicationGroupOfMember(id string) (group string, ok bool) {
	m := memberIDPattern.FindStringSubmatch(id)
	if m == nil {
		return "", false
	}
	return m[1], true
}
