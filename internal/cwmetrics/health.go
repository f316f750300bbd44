package cwmetrics

// Name is the collector label of elasticache_exporter_scrape_collector_success.
func (r *Refresher) Name() string { return "cloudwatch" }

// Healthy reports whether the last refresh succeeded (true before the
// first one: nothing has failed yet). Scrapes keep serving the last values
// either way; this only feeds the collector_success metric.
func (r *Refresher) Healthy() bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	return !r.stats.lastFailed
}
