package collect

import (
	"context"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/redis/go-redis/v9"

	"github.com/elasticache-exporter/elasticache-exporter/internal/redisinfo"
	"github.com/elasticache-exporter/elasticache-exporter/internal/topology"
)

// Collector is the one contract for every source of series: the per-node
// Redis reads, SLOWLOG tracking, the CloudWatch cache, the log tails, the
// adopted group's description and the exporter's own metrics. Every
// collector is registered in one list; a round runs them concurrently, times
// each, and recovers a panic in any one of them into
// elasticache_exporter_scrape_collector_success{collector}=0 (node_exporter's
// Collector, mysqld_exporter's Scraper).
type Collector interface {
	// Name is the collector label of the self-metrics: short, stable,
	// lower case.
	Name() string
	// Update sends the collector's series for one round. ctx is the
	// round's own context (never a client's) and carries its deadline. in
	// holds what the round read from the nodes before the collectors run;
	// collectors that keep their own cache ignore it. An error marks the
	// collector failed for this round; the series it sent are still served.
	Update(ctx context.Context, in *Input, ch chan<- prometheus.Metric) error
}

// NodeReader is the per-node part of a collector that talks to the nodes
// itself (SLOWLOG). The round calls ReadNode for every node that answered
// INFO, right after that node's read, in the same worker, on the node's
// one connection (read.Client) and with the round's context, so a node
// that does not answer holds up nobody else's reads: read after every
// node's INFO instead, the others' would wait for the round to give up on
// it and then find the deadline spent. The collector's Update sends what
// ReadNode read. ReadNode is called for different nodes concurrently; a
// panic in it is logged and leaves the node's INFO read as it was. A
// Collector that is also a NodeReader is called so without registering
// it in Options.NodeReaders.
type NodeReader interface {
	ReadNode(ctx context.Context, read *NodeRead)
}

// Input is what a round learnt before its collectors run: the topology it
// used and one INFO read per node, in the topology's node order.
type Input struct {
	Topology *topology.Topology
	Nodes    []NodeRead
}

// NodeRead is one node's INFO read in a round.
type NodeRead struct {
	Node topology.Node
	// Client is the node's persistent connection, valid until the round
	// ends; collectors that talk to the node (SLOWLOG) use it and nothing
	// else, so a node never gets a second connection.
	Client *redis.Client
	// Err is why the node did not answer; nil when it did.
	Err error
	// Info is INFO; ClusterInfo is CLUSTER INFO in cluster mode.
	Info        redisinfo.Info
	ClusterInfo redisinfo.Info
	// Latency is what the latency reads returned (LatencyPolicy).
	Latency  LatencyReplies
	ReadAt   time.Time
	Duration time.Duration
}

// Up reports whether the node answered INFO in this round.
func (n *NodeRead) Up() bool { return n.Err == nil }

// RunID is INFO server run_id ("" when the node did not answer); a change
// means the node restarted.
func (n *NodeRead) RunID() string {
	if !n.Up() {
		return ""
	}
	return n.Info.RunID()
}

// Role is what the node said in this round, falling back to discovery's.
func (n *NodeRead) Role() topology.Role {
	if n.Up() {
		switch n.Info.Role() {
		case "master":
			return topology.RolePrimary
		case "slave":
			return topology.RoleReplica
		}
	}
	return n.Node.Role
}

// CollectorFunc adapts a function to Collector.
type CollectorFunc struct {
	CollectorName string
	Fn            func(ctx context.Context, in *Input, ch chan<- prometheus.Metric) error
}

// Name implements Collector.
func (f CollectorFunc) Name() string { return f.CollectorName }

// Update implements Collector.
func (f CollectorFunc) Update(ctx context.Context, in *Input, ch chan<- prometheus.Metric) error {
	return f.Fn(ctx, in, ch)
}

// FromPrometheus adapts a prometheus.Collector whose Collect does no I/O
// (a cache, a set of counters) to Collector; healthy, when not nil, turns
// the collector's success to 0 when it reports a failed refresh.
func FromPrometheus(name string, c prometheus.Collector, healthy func() error) Collector {
	return CollectorFunc{CollectorName: name, Fn: func(_ context.Context, _ *Input, ch chan<- prometheus.Metric) error {
		c.Collect(ch)
		if healthy != nil {
			return healthy()
		}
		return nil
	}}
}
