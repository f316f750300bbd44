package app

import (
	"context"
	"log/slog"
	"os"
	"strings"
	"sync"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/elasticache-exporter/elasticache-exporter/internal/collect"
	"github.com/elasticache-exporter/elasticache-exporter/internal/config"
	"github.com/elasticache-exporter/elasticache-exporter/internal/leader"
	"github.com/elasticache-exporter/elasticache-exporter/internal/shard"
)

// serviceAccountNamespace is where a pod finds its namespace.
const serviceAccountNamespace = "/var/run/secrets/kubernetes.io/serviceaccount/namespace"

// newAssignment is this process' share of the group's shards.
func newAssignment(c config.ShardingConfig) (shard.Assignment, error) {
	if c.FromPodName != "" {
		return shard.FromPodName(c.FromPodName, c.Count)
	}
	a := shard.Assignment{Count: c.Count, Index: c.Index}
	return a, a.Validate()
}

// newElector decides who does the once-per-group work: every process
// (lease off) or the holder of a Kubernetes Lease. It does no network I/O.
func newElector(c config.HAConfig, logger *slog.Logger) (leader.Elector, error) {
	if c.Lease != config.LeaseKubernetes {
		return leader.Noop{}, nil
	}
	lc := leader.Config{
		Name: c.Name, Namespace: c.Namespace, Identity: c.Identity, Kubeconfig: c.Kubeconfig,
		LeaseDuration: c.LeaseDuration, RenewDeadline: c.RenewDeadline, RetryPeriod: c.RetryPeriod,
	}
	if lc.Namespace == "" {
		lc.Namespace = os.Getenv("POD_NAMESPACE")
	}
	if lc.Namespace == "" {
		if b, err := os.ReadFile(serviceAccountNamespace); err == nil {
			lc.Namespace = strings.TrimSpace(string(b))
		}
	}
	if lc.Identity == "" {
		lc.Identity = os.Getenv("POD_NAME")
	}
	if lc.Identity == "" {
		lc.Identity, _ = os.Hostname()
	}
	if err := lc.Validate(); err != nil {
		return nil, err
	}
	return leader.New(lc, logger)
}

// leaderOnly serves a once-per-group collector's series only while this
// process leads, so a former leader's cache is never served next to the
// new leader's.
func leaderOnly(e leader.Elector, c collect.Collector) collect.Collector {
	return collect.CollectorFunc{CollectorName: c.Name(), Fn: func(ctx context.Context, in *collect.Input, ch chan<- prometheus.Metric) error {
		if !e.IsLeader() {
			return nil
		}
		return c.Update(ctx, in, ch)
	}}
}

// runPerGroup runs the once-per-group work (CloudWatch, log tails, alarm
// management) whenever this process leads, until ctx ends.
func (a *App) runPerGroup(ctx context.Context) {
	if len(a.perGroup) == 0 {
		return
	}
	a.elector.Run(ctx, func(lead context.Context) {
		var wg sync.WaitGroup
		for _, run := range a.perGroup {
			wg.Add(1)
			go func() { defer wg.Done(); run(lead) }()
		}
		wg.Wait()
	})
}
