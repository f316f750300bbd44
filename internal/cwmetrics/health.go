package cwmetrics

import (
	"context"
	"fmt"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/elasticache-exporter/elasticache-exporter/internal/collect"
)

var _ collect.Collector = (*Refresher)(nil)

// Name implements collect.Collector: the collector label of
// elasticache_exporter_scrape_collector_success.
func (r *Refresher) Name() string { return "cloudwatch" }

// Healthy reports whether the last refresh succeeded (true before the
// first one: nothing has failed yet). Scrapes keep serving the last values
// either way; this only feeds the collector_success metric.
func (r *Refresher) Healthy() bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	return !r.stats.lastFailed
}

// Update implements collect.Collector: it sends the cached values (no I/O;
// the refresh runs on its own schedule in Run) and fails while the last
// refresh failed, which turns the collector's success to 0 while the cache
// keeps being served.
func (r *Refresher) Update(_ context.Context, _ *collect.Input, ch chan<- prometheus.Metric) error {
	r.Collect(ch)
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.stats.lastFailed {
		if r.stats.lastErr != nil {
			return fmt.Errorf("the last CloudWatch refresh failed, serving the cached values: %w", r.stats.lastErr)
		}
		return fmt.Errorf("the last CloudWatch refresh failed, serving the cached values")
	}
	return nil
}
