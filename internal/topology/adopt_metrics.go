package topology

import (
	"strconv"

	"github.com/prometheus/client_golang/prometheus"
)

var (
	replicationGroupInfoDesc = prometheus.NewDesc(
		"elasticache_replication_group_info",
		"Settings of the adopted replication group as DescribeReplicationGroups and DescribeCacheClusters report them; always 1.",
		[]string{"replication_group_id", "cluster_mode", "engine_version", "node_type", "transit_encryption", "at_rest_encryption", "auth_token_enabled", "automatic_failover", "multi_az"},
		nil,
	)
	nodeInfoDesc = prometheus.NewDesc(
		"elasticache_node_info",
		"One series per member cache cluster of the adopted replication group, from the ElastiCache API; always 1. role is empty in cluster mode until Redis reports it.",
		[]string{"node", "shard", "cache_node_id", "availability_zone", "role"},
		nil,
	)
)

// DescribeGroupInfoMetrics sends the descriptors GroupInfoMetrics uses.
func DescribeGroupInfoMetrics(ch chan<- *prometheus.Desc) {
	ch <- replicationGroupInfoDesc
	ch <- nodeInfoDesc
}

// GroupInfoMetrics emits elasticache_replication_group_info and one
// elasticache_node_info per node. It emits nothing without an adopted group,
// so a daemon started with plain --redis.addr exposes neither.
//
// Every label value but the booleans and the role comes from the ElastiCache
// API (or the nodes) and goes out through label, the collector's sanitiser
// (collect.LabelValue: valid UTF-8, bounded; collect imports this package,
// so it is passed in): an invalid-UTF-8 or huge id would otherwise panic
// MustNewConstMetric and lose the collector's series. Nodes whose sanitised
// labels equal an earlier node's are exported once (a duplicate series fails
// the scrape).
func GroupInfoMetrics(t *Topology, g *GroupInfo, label func(string) string, ch chan<- prometheus.Metric) {
	if g == nil {
		return
	}
	ch <- prometheus.MustNewConstMetric(replicationGroupInfoDesc, prometheus.GaugeValue, 1,
		label(g.ReplicationGroupID),
		g.ClusterModeLabel(),
		label(g.EngineVersion),
		label(g.NodeType),
		strconv.FormatBool(g.TransitEncryption),
		strconv.FormatBool(g.AtRestEncryption),
		strconv.FormatBool(g.AuthTokenEnabled),
		label(g.AutomaticFailover),
		label(g.MultiAZ),
	)
	if t == nil {
		return
	}
	seen := make(map[[5]string]bool, len(t.Nodes))
	for _, n := range t.Nodes {
		ls := [5]string{label(n.Name), label(n.Shard), label(n.CacheNodeID), label(n.AvailabilityZone), label(string(n.Role))}
		if seen[ls] {
			continue
		}
		seen[ls] = true
		ch <- prometheus.MustNewConstMetric(nodeInfoDesc, prometheus.GaugeValue, 1, ls[:]...)
	}
}
