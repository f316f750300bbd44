package cwmetrics

import (
	"net"
	"sort"
	"strings"

	"github.com/elasticache-exporter/elasticache-exporter/internal/topology"
)

// DefaultCacheNodeID is the node id of every Valkey/Redis member cluster:
// each member cluster of a replication group holds exactly one node, "0001".
const DefaultCacheNodeID = "0001"

// Target is one cache node CloudWatch publishes metrics for, with the labels
// its Redis-side series carry so both sides join on node and shard.
type Target struct {
	// CacheClusterID is the member cluster id (dimension CacheClusterId).
	CacheClusterID string
	// CacheNodeID is the dimension CacheNodeId; empty means DefaultCacheNodeID.
	CacheNodeID string
	// Node and Shard are the `node` and `shard` labels of the Redis-side
	// series; empty when the node is not known to discovery.
	Node, Shard string
}

// TargetsFunc returns the nodes to query. The refresher calls it at every
// refresh, so nodes found or lost by discovery are followed.
type TargetsFunc func() []Target

// TargetsFromTopology maps a topology to targets.
//
// Without explicit ids, every node that carries a CacheClusterID (an adopted
// replication group) is a target. With explicit ids (cloudwatch.cache_cluster_ids)
// exactly those are targets, and each gets node and shard from the topology
// node whose CacheClusterID matches or, when the group is not adopted, whose
// address host starts with the id: ElastiCache node endpoints are
// <cache-cluster-id>.<hash>.<region-code>.cache.amazonaws.com.
func TargetsFromTopology(topo *topology.Topology, cacheClusterIDs []string) []Target {
	var nodes []topology.Node
	if topo != nil {
		nodes = topo.Nodes
	}
	var out []Target
	if len(cacheClusterIDs) == 0 {
		for _, n := range nodes {
			if n.CacheClusterID == "" {
				continue
			}
			out = append(out, Target{CacheClusterID: n.CacheClusterID, CacheNodeID: n.CacheNodeID, Node: n.Name, Shard: n.Shard})
		}
		return normalizeTargets(out)
	}
	for _, id := range cacheClusterIDs {
		t := Target{CacheClusterID: id}
		if n, ok := nodeForCluster(nodes, id); ok {
			t.CacheNodeID, t.Node, t.Shard = n.CacheNodeID, n.Name, n.Shard
		}
		out = append(out, t)
	}
	return normalizeTargets(out)
}

func nodeForCluster(nodes []topology.Node, id string) (topology.Node, bool) {
	for _, n := range nodes {
		if n.CacheClusterID != "" && strings.EqualFold(n.CacheClusterID, id) {
			return n, true
		}
	}
	for _, n := range nodes {
		if n.CacheClusterID == "" && strings.EqualFold(endpointClusterID(n.Addr), id) {
			return n, true
		}
	}
	return topology.Node{}, false
}

// endpointClusterID returns the first DNS label of an address's host, which
// for an ElastiCache node endpoint is its cache cluster id.
func endpointClusterID(addr string) string {
	host := addr
	if h, _, err := net.SplitHostPort(addr); err == nil {
		host = h
	}
	if net.ParseIP(host) != nil || !strings.Contains(host, ".cache.amazonaws.com") {
		return ""
	}
	label, _, _ := strings.Cut(host, ".")
	return label
}

// normalizeTargets fills the default node id, drops targets without a
// cluster id, removes duplicates (first wins) and sorts, so the query list,
// and with it the number of calls, is stable from one refresh to the next.
func normalizeTargets(in []Target) []Target {
	seen := make(map[[2]string]bool, len(in))
	out := make([]Target, 0, len(in))
	for _, t := range in {
		if t.CacheClusterID == "" {
			continue
		}
		if t.CacheNodeID == "" {
			t.CacheNodeID = DefaultCacheNodeID
		}
		k := [2]string{t.CacheClusterID, t.CacheNodeID}
		if seen[k] {
			continue
		}
		seen[k] = true
		out = append(out, t)
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].CacheClusterID != out[j].CacheClusterID {
			return out[i].CacheClusterID < out[j].CacheClusterID
		}
		return out[i].CacheNodeID < out[j].CacheNodeID
	})
	return out
}
