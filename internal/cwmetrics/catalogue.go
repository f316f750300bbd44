package cwmetrics

import (
	"sort"
)

// Namespace is the CloudWatch namespace ElastiCache publishes to.
const Namespace = "AWS/ElastiCache"

// Level says where CloudWatch takes a metric from.
type Level string

const (
	// LevelHost metrics describe the node's host (hypervisor view).
	LevelHost Level = "host"
	// LevelEngine metrics are derived by ElastiCache from the engine (mostly INFO).
	LevelEngine Level = "engine"
)

// Metric is one catalogue entry: a CloudWatch metric of AWS/ElastiCache and
// the statistics we ask for. Each statistic is one MetricDataQuery per node
// and period, and one Prometheus gauge named with YACE's suffix for it.
type Metric struct {
	// Name is the CloudWatch metric name (e.g. EngineCPUUtilization).
	Name string
	// Unit is the CloudWatch unit, reported in HELP (values are not converted,
	// so that YACE dashboards keep working).
	Unit string
	// Statistics are what GetMetricData aggregates each period with, in
	// the order they are queried; the catalogue holds the defaults and
	// cloudwatch.metrics.statistics replaces them per metric.
	Statistics []string
	Level      Level
	Help       string
	// Default marks the selection used when the config does not change it:
	// what the five alarms and capacity planning need.
	Default bool
}

// Sum suits metrics that count events per period, Average levels and ratios,
// Maximum/Minimum flags where one bad sample in the period matters, and
// percentiles the two request latencies, which ElastiCache publishes as
// distributions (the per-command-family latencies are one average a minute,
// so they keep Average). The CPU and memory gauges the alarms watch also
// get Maximum, so that a period-long mean cannot hide a spike once
// cloudwatch.period is longer than ElastiCache's 60 s publishing interval
// (at 60 s a period usually holds one datapoint and the two agree).
const (
	statAverage = "Average"
	statSum     = "Sum"
	statMaximum = "Maximum"
	statMinimum = "Minimum"
	statP50     = "p50"
	statP99     = "p99"
)

// listed are the documented ElastiCache host-level and Valkey/Redis OSS
// metrics, in CloudWatch's own words where they are short enough.
var listed = []Metric{
	// Host level.
	{Name: "CPUUtilization", Unit: "Percent", Statistics: []string{statAverage, statMaximum}, Level: LevelHost, Default: true,
		Help: "CPU utilisation of the whole host, all cores."},
	{Name: "CPUCreditBalance", Unit: "Count", Statistics: []string{statAverage}, Level: LevelHost,
		Help: "CPU credits earned and not yet spent (burstable T node types only)."},
	{Name: "CPUCreditUsage", Unit: "Count", Statistics: []string{statSum}, Level: LevelHost,
		Help: "CPU credits spent (burstable T node types only)."},
	{Name: "FreeableMemory", Unit: "Bytes", Statistics: []string{statAverage}, Level: LevelHost, Default: true,
		Help: "Memory the host could make available."},
	{Name: "SwapUsage", Unit: "Bytes", Statistics: []string{statAverage}, Level: LevelHost, Default: true,
		Help: "Swap used on the host; above 50 MB means the node is short of memory."},
	{Name: "NetworkBytesIn", Unit: "Bytes", Statistics: []string{statSum}, Level: LevelHost, Default: true,
		Help: "Bytes the host read from the network."},
	{Name: "NetworkBytesOut", Unit: "Bytes", Statistics: []string{statSum}, Level: LevelHost, Default: true,
		Help: "Bytes the host wrote to the network."},
	{Name: "NetworkPacketsIn", Unit: "Count", Statistics: []string{statSum}, Level: LevelHost,
		Help: "Packets the host received."},
	{Name: "NetworkPacketsOut", Unit: "Count", Statistics: []string{statSum}, Level: LevelHost,
		Help: "Packets the host sent."},
	{Name: "NetworkMaxBytesIn", Unit: "Bytes", Statistics: []string{statMaximum}, Level: LevelHost,
		Help: "Largest one-second burst of bytes received within the minute."},
	{Name: "NetworkMaxBytesOut", Unit: "Bytes", Statistics: []string{statMaximum}, Level: LevelHost,
		Help: "Largest one-second burst of bytes sent within the minute."},
	{Name: "NetworkMaxPacketsIn", Unit: "Count", Statistics: []string{statMaximum}, Level: LevelHost,
		Help: "Largest one-second burst of packets received within the minute."},
	{Name: "NetworkMaxPacketsOut", Unit: "Count", Statistics: []string{statMaximum}, Level: LevelHost,
		Help: "Largest one-second burst of packets sent within the minute."},
	{Name: "NetworkBandwidthInAllowanceExceeded", Unit: "Count", Statistics: []string{statSum}, Level: LevelHost,
		Help: "Packets queued or dropped because inbound bandwidth exceeded the instance allowance."},
	{Name: "NetworkBandwidthOutAllowanceExceeded", Unit: "Count", Statistics: []string{statSum}, Level: LevelHost, Default: true,
		Help: "Packets queued or dropped because outbound bandwidth exceeded the instance allowance."},
	{Name: "NetworkConntrackAllowanceExceeded", Unit: "Count", Statistics: []string{statSum}, Level: LevelHost,
		Help: "Packets dropped because connection tracking exceeded the instance allowance."},
	{Name: "NetworkLinkLocalAllowanceExceeded", Unit: "Count", Statistics: []string{statSum}, Level: LevelHost,
		Help: "Packets dropped because traffic to local proxy services exceeded the allowance."},
	{Name: "NetworkPacketsPerSecondAllowanceExceeded", Unit: "Count", Statistics: []string{statSum}, Level: LevelHost,
		Help: "Packets queued or dropped because the packet rate exceeded the instance allowance."},
	{Name: "NetworkBaselineUsageInPercentage", Unit: "Percent", Statistics: []string{statAverage}, Level: LevelHost,
		Help: "Inbound bandwidth as a percentage of the node type's baseline; above 100 the node spends burst credits."},
	{Name: "NetworkBaselineUsageOutPercentage", Unit: "Percent", Statistics: []string{statAverage}, Level: LevelHost,
		Help: "Outbound bandwidth as a percentage of the node type's baseline; above 100 the node spends burst credits."},
	{Name: "NetworkBaselineMaxUsageInPercentage", Unit: "Percent", Statistics: []string{statMaximum}, Level: LevelHost,
		Help: "Busiest second of inbound bandwidth within the minute, as a percentage of the baseline."},
	{Name: "NetworkBaselineMaxUsageOutPercentage", Unit: "Percent", Statistics: []string{statMaximum}, Level: LevelHost,
		Help: "Busiest second of outbound bandwidth within the minute, as a percentage of the baseline."},
	{Name: "MajorPageFaults", Unit: "Count", Statistics: []string{statSum}, Level: LevelHost,
		Help: "Major page faults on the host: memory pressure the engine's own figures do not show."},

	// Engine level (Valkey and Redis OSS).
	{Name: "UsedMemoryDataset", Unit: "Bytes", Statistics: []string{statAverage}, Level: LevelEngine,
		Help: "Bytes used by the dataset itself, without the engine's overhead (used_memory_dataset)."},
	{Name: "AllocatorFragmentationBytes", Unit: "Bytes", Statistics: []string{statAverage}, Level: LevelEngine,
		Help: "Bytes the allocator holds in fragmented pages, which active defragmentation can reclaim (allocator_frag_bytes)."},
	{Name: "AllocatorFragmentationRatio", Unit: "None", Statistics: []string{statAverage}, Level: LevelEngine,
		Help: "Allocator fragmentation ratio (allocator_frag_ratio); what the activedefrag parameter acts on."},
	{Name: "BlockedConnections", Unit: "Count", Statistics: []string{statMaximum}, Level: LevelEngine,
		Help: "Client connections blocked in a blocking command such as BLPOP or XREAD BLOCK (blocked_clients)."},
	{Name: "RejectedConnections", Unit: "Count", Statistics: []string{statSum}, Level: LevelEngine,
		Help: "Connections refused because maxclients was reached (rejected_connections)."},
	{Name: "ProcessedCommands", Unit: "Count", Statistics: []string{statSum}, Level: LevelEngine,
		Help: "Commands processed, all command types (total_commands_processed)."},
	{Name: "PubSubChannels", Unit: "Count", Statistics: []string{statAverage}, Level: LevelEngine,
		Help: "Classic pub/sub channels with at least one subscriber (pubsub_channels)."},
	{Name: "PubSubShardChannels", Unit: "Count", Statistics: []string{statAverage}, Level: LevelEngine,
		Help: "Sharded pub/sub channels with at least one subscriber (pubsubshard_channels)."},
	{Name: "IamAuthenticationExpirations", Unit: "Count", Statistics: []string{statSum}, Level: LevelEngine,
		Help: "IAM-authenticated connections closed because their authentication expired."},
	{Name: "IamAuthenticationThrottling", Unit: "Count", Statistics: []string{statSum}, Level: LevelEngine,
		Help: "IAM-authenticated AUTH or HELLO requests that were throttled."},
	{Name: "DatabaseAuthorizationFailures", Unit: "Count", Statistics: []string{statSum}, Level: LevelEngine,
		Help: "Accesses to a logical database refused by ACL."},
	{Name: "EngineCPUUtilization", Unit: "Percent", Statistics: []string{statAverage, statMaximum}, Level: LevelEngine, Default: true,
		Help: "CPU utilisation of the engine's main thread."},
	{Name: "DatabaseMemoryUsagePercentage", Unit: "Percent", Statistics: []string{statAverage, statMaximum}, Level: LevelEngine, Default: true,
		Help: "Memory in use as a percentage of maxmemory (used_memory/maxmemory)."},
	{Name: "DatabaseMemoryUsageCountedForEvictPercentage", Unit: "Percent", Statistics: []string{statAverage}, Level: LevelEngine,
		Help: "Memory counted for eviction as a percentage of maxmemory."},
	{Name: "DatabaseCapacityUsagePercentage", Unit: "Percent", Statistics: []string{statAverage}, Level: LevelEngine,
		Help: "Capacity in use as a percentage of the cluster's capacity (includes data tiering SSD)."},
	{Name: "DatabaseCapacityUsageCountedForEvictPercentage", Unit: "Percent", Statistics: []string{statAverage}, Level: LevelEngine,
		Help: "Capacity counted for eviction as a percentage of the cluster's capacity."},
	{Name: "BytesUsedForCache", Unit: "Bytes", Statistics: []string{statAverage}, Level: LevelEngine, Default: true,
		Help: "Bytes the engine allocated for all purposes (used_memory)."},
	{Name: "MemoryFragmentationRatio", Unit: "None", Statistics: []string{statAverage}, Level: LevelEngine,
		Help: "used_memory_rss divided by used_memory."},
	{Name: "CurrConnections", Unit: "Count", Statistics: []string{statAverage}, Level: LevelEngine, Default: true,
		Help: "Client connections, excluding replicas' connections."},
	{Name: "NewConnections", Unit: "Count", Statistics: []string{statSum}, Level: LevelEngine, Default: true,
		Help: "Connections accepted by the server."},
	{Name: "CurrItems", Unit: "Count", Statistics: []string{statAverage}, Level: LevelEngine, Default: true,
		Help: "Keys in the cache, all databases."},
	{Name: "CurrVolatileItems", Unit: "Count", Statistics: []string{statAverage}, Level: LevelEngine,
		Help: "Keys with a TTL, all databases."},
	{Name: "Evictions", Unit: "Count", Statistics: []string{statSum}, Level: LevelEngine, Default: true,
		Help: "Keys evicted because of the maxmemory limit."},
	{Name: "Reclaimed", Unit: "Count", Statistics: []string{statSum}, Level: LevelEngine,
		Help: "Key expiry events."},
	{Name: "CacheHits", Unit: "Count", Statistics: []string{statSum}, Level: LevelEngine,
		Help: "Successful read-only key lookups."},
	{Name: "CacheMisses", Unit: "Count", Statistics: []string{statSum}, Level: LevelEngine,
		Help: "Unsuccessful read-only key lookups."},
	{Name: "CacheHitRate", Unit: "Percent", Statistics: []string{statAverage}, Level: LevelEngine, Default: true,
		Help: "Hits as a percentage of hits plus misses."},
	{Name: "ReplicationLag", Unit: "Seconds", Statistics: []string{statAverage}, Level: LevelEngine, Default: true,
		Help: "How far the replica is behind the primary (replicas only)."},
	{Name: "ReplicationBytes", Unit: "Bytes", Statistics: []string{statSum}, Level: LevelEngine,
		Help: "Bytes the primary sends to all its replicas (primaries only)."},
	{Name: "SaveInProgress", Unit: "Count", Statistics: []string{statMaximum}, Level: LevelEngine,
		Help: "1 while a background save (fork) runs, otherwise 0."},
	{Name: "IsMaster", Unit: "Count", Statistics: []string{statMaximum}, Level: LevelEngine,
		Help: "1 if the node is the primary of its shard, otherwise 0."},
	{Name: "MasterLinkHealthStatus", Unit: "None", Statistics: []string{statMinimum}, Level: LevelEngine,
		Help: "Online migration only: 1 while the ElastiCache primary is in sync with the Valkey or Redis OSS server on EC2 being migrated from, 0 while it is not (finish with CompleteMigration). Not replica health: use ReplicationLag or redis_master_link_up for that."},
	{Name: "GlobalDatastoreReplicationLag", Unit: "Seconds", Statistics: []string{statAverage}, Level: LevelEngine,
		Help: "Lag between the secondary region's primary and the primary region's primary (Global Datastore only)."},
	{Name: "ActiveDefragHits", Unit: "Count", Statistics: []string{statSum}, Level: LevelEngine,
		Help: "Value reallocations performed by active defragmentation."},
	{Name: "AuthenticationFailures", Unit: "Count", Statistics: []string{statSum}, Level: LevelEngine,
		Help: "Failed AUTH attempts."},
	{Name: "CommandAuthorizationFailures", Unit: "Count", Statistics: []string{statSum}, Level: LevelEngine,
		Help: "Commands refused by ACL."},
	{Name: "KeyAuthorizationFailures", Unit: "Count", Statistics: []string{statSum}, Level: LevelEngine,
		Help: "Key accesses refused by ACL."},
	{Name: "ChannelAuthorizationFailures", Unit: "Count", Statistics: []string{statSum}, Level: LevelEngine,
		Help: "Channel accesses refused by ACL."},
	{Name: "DB0AverageTTL", Unit: "Milliseconds", Statistics: []string{statAverage}, Level: LevelEngine,
		Help: "Average TTL of keys in database 0 (avg_ttl)."},
	{Name: "KeysTracked", Unit: "Count", Statistics: []string{statAverage}, Level: LevelEngine,
		Help: "Keys tracked for client-side caching."},
	{Name: "TrafficManagementActive", Unit: "Count", Statistics: []string{statMaximum}, Level: LevelEngine,
		Help: "1 while ElastiCache throttles incoming traffic to protect the node."},
	{Name: "ErrorCount", Unit: "Count", Statistics: []string{statSum}, Level: LevelEngine,
		Help: "Failed commands."},
	{Name: "SuccessfulReadRequestLatency", Unit: "Microseconds", Statistics: []string{statP50, statP99}, Level: LevelEngine, Default: true,
		Help: "Latency of successful read requests, measured by ElastiCache from command arrival to reply; statistics over every request of the period."},
	{Name: "SuccessfulWriteRequestLatency", Unit: "Microseconds", Statistics: []string{statP50, statP99}, Level: LevelEngine, Default: true,
		Help: "Latency of successful write requests, measured by ElastiCache from command arrival to reply; statistics over every request of the period."},
	{Name: "BytesReadFromDisk", Unit: "Bytes", Statistics: []string{statSum}, Level: LevelEngine,
		Help: "Bytes read from disk (data tiering only)."},
	{Name: "BytesWrittenToDisk", Unit: "Bytes", Statistics: []string{statSum}, Level: LevelEngine,
		Help: "Bytes written to disk (data tiering only)."},
	{Name: "NumItemsReadFromDisk", Unit: "Count", Statistics: []string{statSum}, Level: LevelEngine,
		Help: "Items read from disk (data tiering only)."},
	{Name: "NumItemsWrittenToDisk", Unit: "Count", Statistics: []string{statSum}, Level: LevelEngine,
		Help: "Items written to disk (data tiering only)."},
}

// commandFamilies are the documented per-command-type metrics; each has a
// count (<Family>) and an average latency (<Family>Latency).
var commandFamilies = []struct{ name, what string }{
	{"ClusterBasedCmds", "cluster commands"},
	{"EvalBasedCmds", "eval-based commands"},
	{"GeoSpatialBasedCmds", "geospatial commands"},
	{"GetTypeCmds", "read-only commands"},
	{"HashBasedCmds", "hash commands"},
	{"HyperLogLogBasedCmds", "HyperLogLog commands"},
	{"JsonBasedCmds", "JSON commands"},
	{"JsonBasedGetCmds", "read-only JSON commands"},
	{"JsonBasedSetCmds", "write JSON commands"},
	{"KeyBasedCmds", "key-based commands"},
	{"ListBasedCmds", "list commands"},
	{"NonKeyTypeCmds", "commands that are not key-based"},
	{"PubSubBasedCmds", "pub/sub commands"},
	{"SetBasedCmds", "set commands"},
	{"SetTypeCmds", "write commands"},
	{"SortedSetBasedCmds", "sorted set commands"},
	{"StringBasedCmds", "string commands"},
	{"StreamBasedCmds", "stream commands"},
}

// catalogue is every known metric, sorted by name: the listed ones plus a
// count and a latency per command family. config.CloudWatchMetricNames is
// the same list spelt out, so that config validates names without importing
// this package; TestCatalogueMatchesConfigNames keeps the two equal.
var catalogue = func() []Metric {
	all := append([]Metric(nil), listed...)
	for _, f := range commandFamilies {
		all = append(all,
			Metric{Name: f.name, Unit: "Count", Statistics: []string{statSum}, Level: LevelEngine,
				Help: "Number of " + f.what + " processed."},
			Metric{Name: f.name + "Latency", Unit: "Microseconds", Statistics: []string{statAverage}, Level: LevelEngine,
				Help: "Average latency of " + f.what + "."})
	}
	sort.SliceStable(all, func(i, j int) bool { return all[i].Name < all[j].Name })
	return all
}()

// Catalogue returns every known metric, sorted by name.
func Catalogue() []Metric {
	out := make([]Metric, len(catalogue))
	for i, m := range catalogue {
		m.Statistics = append([]string(nil), m.Statistics...)
		out[i] = m
	}
	return out
}

// Names returns the CloudWatch names of every catalogue metric, sorted.
func Names() []string {
	out := make([]string, len(catalogue))
	for i, m := range catalogue {
		out[i] = m.Name
	}
	return out
}

// Lookup finds a metric by its CloudWatch name (exact, case-sensitive, as
// CloudWatch itself is).
func Lookup(name string) (Metric, bool) {
	i := sort.Search(len(catalogue), func(i int) bool { return catalogue[i].Name >= name })
	if i < len(catalogue) && catalogue[i].Name == name {
		return catalogue[i], true
	}
	return Metric{}, false
}

// DefaultSelection returns the metrics queried when the config changes nothing.
func DefaultSelection() []Metric {
	var out []Metric
	for _, m := range catalogue {
		if m.Default {
			m.Statistics = append([]string(nil), m.Statistics...)
			out = append(out, m)
		}
	}
	return out
}

// Selected returns the catalogue entries of the validated selection
// (config.CloudWatchConfig.SelectedCloudWatchMetrics), in catalogue order,
// each with the statistics cloudwatch.metrics.statistics gives it or its
// defaults; internal/config has already refused unknown names, unknown
// statistics and an empty choice.
func Selected(names []string, statistics map[string][]string) []Metric {
	chosen := make(map[string]bool, len(names))
	for _, n := range names {
		chosen[n] = true
	}
	out := make([]Metric, 0, len(chosen))
	for _, m := range catalogue {
		if !chosen[m.Name] {
			continue
		}
		if s, ok := statistics[m.Name]; ok && len(s) > 0 {
			m.Statistics = s
		}
		m.Statistics = append([]string(nil), m.Statistics...)
		out = append(out, m)
	}
	return out
}

// QueriesPerNode is how many MetricDataQueries (billed metrics) one node
// costs per period with these metrics: one per statistic.
func QueriesPerNode(metrics []Metric) int {
	n := 0
	for _, m := range metrics {
		n += len(m.Statistics)
	}
	return n
}
