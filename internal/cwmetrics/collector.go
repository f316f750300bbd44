package cwmetrics

import (
	"fmt"
	"sort"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/elasticache-exporter/elasticache-exporter/internal/collect"
)

// seriesLabels are the labels of every CloudWatch series: YACE's dimension
// labels, then the labels the Redis-side series carry.
var seriesLabels = []string{dimensionLabel("CacheClusterId"), dimensionLabel("CacheNodeId"), "node", "shard"}

// descKey names one exported family: a metric and one of its statistics.
type descKey struct{ metric, statistic string }

// newMetricDescs makes one descriptor per metric and statistic, named as
// YACE names it (aws_elasticache_<metric>_<statistic>).
func newMetricDescs(metrics []Metric, period time.Duration) map[descKey]*prometheus.Desc {
	out := make(map[descKey]*prometheus.Desc, QueriesPerNode(metrics))
	for _, m := range metrics {
		for _, stat := range m.Statistics {
			help := fmt.Sprintf("CloudWatch %s %s (%s), statistic %s over %s periods, refreshed every %s (not per scrape). %s",
				Namespace, m.Name, m.Unit, stat, period, period, m.Help)
			out[descKey{m.Name, stat}] = prometheus.NewDesc(MetricName(Namespace, m.Name, stat), help, seriesLabels, nil)
		}
	}
	return out
}

type selfDescs struct {
	lastSuccess, duration, refreshes, failures, apiCalls, apiErrors, requested, series *prometheus.Desc
}

func newSelfDescs() selfDescs {
	const ns = "elasticache_exporter_cloudwatch_"
	return selfDescs{
		lastSuccess: prometheus.NewDesc(ns+"last_success_timestamp_seconds",
			"Unix time the last CloudWatch refresh succeeded; 0 before the first success.", nil, nil),
		duration: prometheus.NewDesc(ns+"refresh_duration_seconds",
			"Wall time the last CloudWatch refresh took, retries included.", nil, nil),
		refreshes: prometheus.NewDesc(ns+"refreshes_total",
			"CloudWatch refreshes that queried a new window.", nil, nil),
		failures: prometheus.NewDesc(ns+"refresh_failures_total",
			"CloudWatch refreshes that failed (after the SDK's retries); the cache kept serving the last values.", nil, nil),
		apiCalls: prometheus.NewDesc(ns+"api_calls_total",
			"CloudWatch API calls made, by API, each page counted.", []string{"api"}, nil),
		apiErrors: prometheus.NewDesc(ns+"api_errors_total",
			"CloudWatch API calls that failed after the SDK's retries, by API.", []string{"api"}, nil),
		requested: prometheus.NewDesc(ns+"metrics_requested_total",
			"Metrics requested from GetMetricData, which is what AWS bills ($0.01 per 1,000 in most regions).", nil, nil),
		series: prometheus.NewDesc(ns+"series",
			"CloudWatch series currently exported (values younger than cloudwatch.max_age).", nil, nil),
	}
}

// Describe sends every descriptor Collect can use.
func (r *Refresher) Describe(ch chan<- *prometheus.Desc) {
	keys := make([]descKey, 0, len(r.descs))
	for k := range r.descs {
		keys = append(keys, k)
	}
	sort.Slice(keys, func(i, j int) bool {
		if keys[i].metric != keys[j].metric {
			return keys[i].metric < keys[j].metric
		}
		return keys[i].statistic < keys[j].statistic
	})
	for _, k := range keys {
		ch <- r.descs[k]
	}
	d := r.selfDescs
	for _, desc := range []*prometheus.Desc{d.lastSuccess, d.duration, d.refreshes, d.failures, d.apiCalls, d.apiErrors, d.requested, d.series} {
		ch <- desc
	}
}

// Collect sends the cached values and the refresher's own metrics. It never
// does I/O and never waits for a refresh in progress: it copies the cache
// under a short lock and sends afterwards. Series older than max_age are
// left out even if no refresh has run to drop them.
func (r *Refresher) Collect(ch chan<- prometheus.Metric) {
	now := r.now()
	type point struct {
		key seriesKey
		c   cached
	}
	r.mu.Lock()
	points := make([]point, 0, len(r.series))
	for k, c := range r.series {
		if !r.expired(c, now) {
			points = append(points, point{k, *c})
		}
	}
	st := r.stats
	r.mu.Unlock()

	for _, p := range points {
		desc, ok := r.descs[descKey{p.key.Metric, p.key.Statistic}]
		if !ok {
			continue
		}
		// The ids come from the ElastiCache API (or discovery): bounded,
		// valid UTF-8 label values, whatever it sent.
		ch <- prometheus.MustNewConstMetric(desc, prometheus.GaugeValue, p.c.Value,
			collect.LabelValue(p.key.CacheClusterID), collect.LabelValue(p.key.CacheNodeID),
			collect.LabelValue(p.c.Node), collect.LabelValue(p.c.Shard))
	}

	d := r.selfDescs
	var last float64
	if !st.lastSuccess.IsZero() {
		last = float64(st.lastSuccess.UnixNano()) / 1e9
	}
	ch <- prometheus.MustNewConstMetric(d.lastSuccess, prometheus.GaugeValue, last)
	if st.refreshed {
		ch <- prometheus.MustNewConstMetric(d.duration, prometheus.GaugeValue, st.lastDuration.Seconds())
	}
	ch <- prometheus.MustNewConstMetric(d.refreshes, prometheus.CounterValue, st.refreshes)
	ch <- prometheus.MustNewConstMetric(d.failures, prometheus.CounterValue, st.failures)
	ch <- prometheus.MustNewConstMetric(d.apiCalls, prometheus.CounterValue, st.apiCalls, "GetMetricData")
	ch <- prometheus.MustNewConstMetric(d.apiErrors, prometheus.CounterValue, st.apiErrors, "GetMetricData")
	ch <- prometheus.MustNewConstMetric(d.requested, prometheus.CounterValue, st.metricsRequests)
	ch <- prometheus.MustNewConstMetric(d.series, prometheus.GaugeValue, float64(len(points)))
}

var _ prometheus.Collector = (*Refresher)(nil)
