package cwmetrics

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/elasticache-exporter/elasticache-exporter/internal/config"
)

// Refresher queries CloudWatch once per period and keeps the newest value of
// every series for Collect. It is safe for concurrent use.
type Refresher struct {
	api      MetricDataAPI
	targets  TargetsFunc
	logger   *slog.Logger
	metrics  []Metric
	period   time.Duration
	delay    time.Duration
	maxAge   time.Duration
	parallel int
	// now is the clock; tests replace it to control windows and ages.
	now func() time.Time

	descs     map[descKey]*prometheus.Desc
	selfDescs selfDescs

	// refreshMu serialises refreshes; mu guards everything below it and is
	// never held during I/O, so Collect never waits for CloudWatch.
	refreshMu sync.Mutex
	mu        sync.Mutex
	series    map[seriesKey]*cached
	lastEnd   time.Time
	stats     stats
}

// cached is one series' newest value and when a refresh last brought a newer
// one; the latter decides when the series is too old to show.
type cached struct {
	sample
	ReceivedAt  time.Time
	Node, Shard string
}

type stats struct {
	lastSuccess     time.Time
	lastDuration    time.Duration
	refreshed       bool
	refreshes       float64
	failures        float64
	apiCalls        float64
	apiErrors       float64
	metricsRequests float64
	lastFailed      bool
	lastErr         error // why the last refresh failed; nil when it succeeded
}

// New validates the metric selection and builds a refresher. It does no I/O;
// call Run (or Refresh) to start querying.
func New(cfg config.CloudWatchConfig, api MetricDataAPI, targets TargetsFunc, logger *slog.Logger) (*Refresher, error) {
	if api == nil {
		return nil, errors.New("cloudwatch: no GetMetricData client")
	}
	if targets == nil {
		return nil, errors.New("cloudwatch: no targets function")
	}
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	// cfg is validated by internal/config: period, delay, concurrency and
	// the metric selection are used as they are.
	metrics := Selected(cfg.SelectedCloudWatchMetrics(), cfg.Metrics.Statistics)
	parallel := cfg.Concurrency
	r := &Refresher{
		api:      api,
		targets:  targets,
		logger:   logger,
		metrics:  metrics,
		period:   cfg.Period,
		delay:    cfg.Delay,
		maxAge:   cfg.EffectiveMaxAge(),
		parallel: parallel,
		now:      time.Now,
		series:   map[seriesKey]*cached{},
	}
	r.descs = newMetricDescs(metrics, cfg.Period)
	r.selfDescs = newSelfDescs()
	return r, nil
}

// Metrics returns the selected metrics (for the landing page and docs).
func (r *Refresher) Metrics() []Metric { return append([]Metric(nil), r.metrics...) }

// Run refreshes at once, then once per period as each period's data becomes
// due, until ctx is done. Failures are logged and counted; the cache keeps
// serving until values pass max_age.
func (r *Refresher) Run(ctx context.Context) {
	for {
		if err := r.Refresh(ctx); err != nil && ctx.Err() == nil {
			r.logger.Warn("CloudWatch refresh failed; serving the last values", "err", err)
		}
		r.mu.Lock()
		wait := untilNextWindow(r.now(), r.lastEnd, r.period, r.delay)
		r.mu.Unlock()
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return
		case <-t.C:
		}
	}
}

// Refresh asks CloudWatch for every period completed since the last
// successful refresh and merges the newest datapoint of each series into the
// cache. It returns nil without calling CloudWatch when no new period has
// completed, so calling it more often than once per period costs nothing.
// A refresh is bounded by one period so that it never overlaps the next.
func (r *Refresher) Refresh(ctx context.Context) error {
	r.refreshMu.Lock()
	defer r.refreshMu.Unlock()

	started := r.now()
	targets := normalizeTargets(r.targets())
	r.mu.Lock()
	r.retarget(targets, started)
	w, due := nextWindow(started, r.lastEnd, r.period, r.delay, r.maxAge)
	r.mu.Unlock()
	if !due {
		return nil
	}

	ctx, cancel := context.WithTimeout(ctx, r.period)
	defer cancel()
	results, err := r.fetch(ctx, buildQueries(targets, r.metrics), w)

	finished := r.now()
	r.mu.Lock()
	defer r.mu.Unlock()
	r.merge(results, targets, finished)
	r.stats.refreshes++
	r.stats.refreshed = true
	r.stats.lastDuration = finished.Sub(started)
	r.stats.lastFailed = err != nil
	r.stats.lastErr = nil
	if err != nil {
		r.stats.failures++
		err = fmt.Errorf("CloudWatch refresh for %s..%s: %w", w.Start.Format(time.RFC3339), w.End.Format(time.RFC3339), err)
		r.stats.lastErr = err
		return err
	}
	r.lastEnd = w.End
	r.stats.lastSuccess = finished
	return nil
}

// fetch runs the batches with bounded concurrency. Batches that succeed are
// kept even when others fail: their values are as good as any.
func (r *Refresher) fetch(ctx context.Context, qs []query, w window) (map[seriesKey]sample, error) {
	bs := batches(qs, MaxQueriesPerCall)
	type result struct {
		values map[seriesKey]sample
		err    error
	}
	results := make([]result, len(bs))
	sem := make(chan struct{}, r.parallel)
	var wg sync.WaitGroup
	for i, b := range bs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			select {
			case sem <- struct{}{}:
			case <-ctx.Done():
				results[i].err = ctx.Err()
				return
			}
			defer func() { <-sem }()
			results[i].values, results[i].err = fetchBatch(ctx, r.api, b, w, r.period, r)
		}()
	}
	wg.Wait()
	merged := make(map[seriesKey]sample, len(qs))
	var errs []error
	for _, res := range results {
		if res.err != nil {
			errs = append(errs, res.err)
			continue
		}
		for k, v := range res.values {
			merged[k] = v
		}
	}
	return merged, errors.Join(errs...)
}

// countCall implements callCounter.
func (r *Refresher) countCall(queries int, err error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.stats.apiCalls++
	r.stats.metricsRequests += float64(queries)
	if err != nil {
		r.stats.apiErrors++
	}
}

// retarget drops series of nodes that are no longer targets and relabels the
// rest with the current node and shard. Caller holds mu.
func (r *Refresher) retarget(targets []Target, now time.Time) {
	byNode := make(map[[2]string]Target, len(targets))
	for _, t := range targets {
		byNode[[2]string{t.CacheClusterID, t.CacheNodeID}] = t
	}
	for k, c := range r.series {
		t, ok := byNode[[2]string{k.CacheClusterID, k.CacheNodeID}]
		if !ok || r.expired(c, now) {
			delete(r.series, k)
			continue
		}
		c.Node, c.Shard = t.Node, t.Shard
	}
}

// merge keeps, per series, the newest datapoint ever seen. Caller holds mu.
func (r *Refresher) merge(results map[seriesKey]sample, targets []Target, now time.Time) {
	r.retarget(targets, now)
	byNode := make(map[[2]string]Target, len(targets))
	for _, t := range targets {
		byNode[[2]string{t.CacheClusterID, t.CacheNodeID}] = t
	}
	for k, s := range results {
		t, ok := byNode[[2]string{k.CacheClusterID, k.CacheNodeID}]
		if !ok {
			continue
		}
		c, ok := r.series[k]
		switch {
		case !ok:
			r.series[k] = &cached{sample: s, ReceivedAt: now, Node: t.Node, Shard: t.Shard}
		case s.Time.After(c.Time):
			c.sample, c.ReceivedAt = s, now
		case s.Time.Equal(c.Time):
			// A re-read period (after a failed refresh) may carry a late
			// correction; take the value but not the freshness.
			c.Value = s.Value
		}
	}
}

// expired says whether a series went max_age without a newer datapoint.
func (r *Refresher) expired(c *cached, now time.Time) bool {
	return now.Sub(c.ReceivedAt) > r.maxAge
}
