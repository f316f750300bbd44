package cwmetrics

import (
	"sort"
	"time"
)

// CachedValue is one series of the cache as the status page shows it: the
// newest datapoint and the node it belongs to.
type CachedValue struct {
	Metric string
	// Statistic is the CloudWatch statistic (Average, Sum, Maximum ...).
	Statistic      string
	CacheClusterID string
	CacheNodeID    string
	// Node and Shard are the Redis-side labels ("" when discovery does not
	// know the member).
	Node, Shard string
	Value       float64
	// Time is the datapoint's period start; ReceivedAt when a refresh
	// brought it.
	Time, ReceivedAt time.Time
}

// RefreshStatus is the refresher's health as the status page shows it.
type RefreshStatus struct {
	// LastSuccess is when a refresh last succeeded (zero before the first).
	LastSuccess  time.Time
	LastDuration time.Duration
	Refreshes    float64
	Failures     float64
	APICalls     float64
	APIErrors    float64
	// LastError is why the last refresh failed ("" when it succeeded).
	LastError string
	Period    time.Duration
}

// Cached returns the cached values of the named metrics (all of them when
// none is named), ordered by node and metric. It does no I/O.
func (r *Refresher) Cached(metrics ...string) []CachedValue {
	want := map[string]bool{}
	for _, m := range metrics {
		want[m] = true
	}
	r.mu.Lock()
	now := r.now()
	out := make([]CachedValue, 0, len(r.series))
	for k, c := range r.series {
		if (len(want) > 0 && !want[k.Metric]) || r.expired(c, now) {
			continue
		}
		out = append(out, CachedValue{Metric: k.Metric, Statistic: k.Statistic, CacheClusterID: k.CacheClusterID, CacheNodeID: k.CacheNodeID,
			Node: c.Node, Shard: c.Shard, Value: c.Value, Time: c.Time, ReceivedAt: c.ReceivedAt})
	}
	r.mu.Unlock()
	sort.Slice(out, func(i, j int) bool {
		if out[i].Node != out[j].Node {
			return out[i].Node < out[j].Node
		}
		if out[i].Metric != out[j].Metric {
			return out[i].Metric < out[j].Metric
		}
		return out[i].Statistic < out[j].Statistic
	})
	return out
}

// Status returns the refresher's health.
func (r *Refresher) Status() RefreshStatus {
	r.mu.Lock()
	defer r.mu.Unlock()
	s := RefreshStatus{LastSuccess: r.stats.lastSuccess, LastDuration: r.stats.lastDuration, Refreshes: r.stats.refreshes,
		Failures: r.stats.failures, APICalls: r.stats.apiCalls, APIErrors: r.stats.apiErrors, Period: r.period}
	if r.stats.lastFailed && r.stats.lastErr != nil {
		s.LastError = r.stats.lastErr.Error()
	} else if r.stats.lastFailed {
		s.LastError = "the last refresh failed"
	}
	return s
}
