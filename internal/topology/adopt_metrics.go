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
func GroupInfoMetrics(t *Topology, g *GroupInfo, ch chan<- prometheus.Metric) {
	if g == nil {
		return
	}
	ch <- prometheus.MustNewConstMetric(replicationGroupInfoDesc, prometheus.GaugeValue, 1,
		g.ReplicationGroupID,
		g.ClusterModeLabel(),
		g.EngineVersion,
		g.NodeType,
		strconv.FormatBool(g.TransitEncryption),
		strconv.FormatBool(g.AtRestEncryption),
		strconv.FormatBool(g.AuthTokenEnabled),
		g.AutomaticFailover,
		g.MultiAZ,
	)
	if t == nil {
		return
	}
	for _, n := range t.Nodes {
		ch <- prometheus.MustNewConstMetric(nodeInfoDesc, prometheus.GaugeValue, 1,
			n.Name, n.Shard, n.CacheNodeID, n.AvailabilityZone, string(n.Role))
	}
}
