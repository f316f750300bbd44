package leader

import (
	"context"

	"github.com/prometheus/client_golang/prometheus"
)

// Elector runs the once-per-group work on one process at a time.
type Elector interface {
	// Run campaigns until ctx ends. Each time this process becomes the
	// leader it calls lead, in its own goroutine, with a context that ends
	// when leadership is lost or ctx ends; lead must return soon after.
	// Run returns once ctx has ended and the last lead has returned (or
	// has been given up on) and the lease is released.
	Run(ctx context.Context, lead func(ctx context.Context))
	// IsLeader reports whether this process leads now. Collectors of
	// once-per-group series (the CloudWatch cache) emit only while it is
	// true, so a former leader's cache is not served twice.
	IsLeader() bool
	prometheus.Collector
}

var (
	leaderDesc = prometheus.NewDesc(
		"elasticache_exporter_leader",
		"1 while this process does the once-per-group work (CloudWatch metrics, log tails, alarm management): it holds the Kubernetes Lease named by lease, or leader election is off (lease=\"\") and every process does it.",
		[]string{"lease"}, nil)
	transitionsDesc = prometheus.NewDesc(
		"elasticache_exporter_leader_transitions_total",
		"Times this process acquired the Kubernetes Lease named by lease and became the leader; summed over the processes sharing the lease, the number of leader changes.",
		[]string{"lease"}, nil)
)

// Noop is the elector of --ha.lease=off: every process is the leader, as
// before leader election existed.
type Noop struct{}

var _ Elector = Noop{}

// Run calls lead once with ctx and returns when lead has returned and ctx
// has ended.
func (Noop) Run(ctx context.Context, lead func(ctx context.Context)) {
	lead(ctx)
	<-ctx.Done()
}

// IsLeader is always true.
func (Noop) IsLeader() bool { return true }

// Describe implements prometheus.Collector.
func (Noop) Describe(ch chan<- *prometheus.Desc) { ch <- leaderDesc }

// Collect emits elasticache_exporter_leader{lease=""} 1.
func (Noop) Collect(ch chan<- prometheus.Metric) {
	ch <- prometheus.MustNewConstMetric(leaderDesc, prometheus.GaugeValue, 1, "")
}
