package web

import (
	"context"
	"log/slog"
	"math"
	"net/http"
	"strconv"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// maxScrapeTimeout caps what a client may ask for: no Prometheus waits
// longer, and a client's wish must not hold a handler goroutine for ever.
const maxScrapeTimeout = 2 * time.Minute

// ScrapeTimeout is how long this client waits: Prometheus'
// X-Prometheus-Scrape-Timeout-Seconds minus the offset (half the header
// when the offset would leave nothing), or the configured timeout when the
// header is absent, not a number, not finite or not positive. The result
// is capped at two minutes; a tiny one is honoured (the client gets the
// newest complete round rather than waiting).
func ScrapeTimeout(r *http.Request, timeout, offset time.Duration) time.Duration {
	v := r.Header.Get("X-Prometheus-Scrape-Timeout-Seconds")
	if v == "" {
		return min(timeout, maxScrapeTimeout)
	}
	secs, err := strconv.ParseFloat(v, 64)
	if err != nil || math.IsNaN(secs) || math.IsInf(secs, 0) || secs <= 0 {
		return min(timeout, maxScrapeTimeout)
	}
	if secs > maxScrapeTimeout.Seconds() {
		return maxScrapeTimeout
	}
	header := time.Duration(secs * float64(time.Second))
	if d := header - offset; d > 0 {
		return d
	}
	return header / 2
}

func metricsHandler(d Deps) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		timeout, offset := d.Timeout()
		wait := ScrapeTimeout(r, timeout, offset)
		ctx, cancel := context.WithTimeout(r.Context(), wait)
		defer cancel()
		reg := prometheus.NewRegistry()
		reg.MustRegister(staticCollector(d.Scrape(ctx, wait)))
		promhttp.HandlerFor(prometheus.Gatherers{d.Gatherer, reg}, promhttp.HandlerOpts{
			ErrorHandling:      promhttp.ContinueOnError,
			DisableCompression: true, // withFastGzip compresses
			ErrorLog:           slog.NewLogLogger(d.Logger.Handler(), slog.LevelError),
		}).ServeHTTP(w, r)
	}
}

// staticCollector serves metrics built before the request's gather.
type staticCollector []prometheus.Metric

func (staticCollector) Describe(chan<- *prometheus.Desc) {}
func (c staticCollector) Collect(ch chan<- prometheus.Metric) {
	for _, m := range c {
		ch <- m
	}
}
