package web

import (
	"context"
	"log/slog"
	"net/http"
	"strconv"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// ScrapeTimeout is Prometheus' X-Prometheus-Scrape-Timeout-Seconds minus
// the offset, or the configured timeout when the header is absent or bad.
func ScrapeTimeout(r *http.Request, timeout, offset time.Duration) time.Duration {
	if v := r.Header.Get("X-Prometheus-Scrape-Timeout-Seconds"); v != "" {
		if secs, err := strconv.ParseFloat(v, 64); err == nil && secs > 0 {
			d := time.Duration(secs*float64(time.Second)) - offset
			if d > 0 {
				return d
			}
			return time.Duration(secs * float64(time.Second) / 2)
		}
	}
	return timeout
}

func metricsHandler(d Deps) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		timeout, offset := d.Timeout()
		ctx, cancel := context.WithTimeout(r.Context(), ScrapeTimeout(r, timeout, offset))
		defer cancel()
		reg := prometheus.NewRegistry()
		reg.MustRegister(d.Scrape(ctx))
		promhttp.HandlerFor(prometheus.Gatherers{d.Gatherer, reg}, promhttp.HandlerOpts{
			ErrorHandling:      promhttp.ContinueOnError,
			DisableCompression: true, // withFastGzip compresses
			ErrorLog:           slog.NewLogLogger(d.Logger.Handler(), slog.LevelError),
		}).ServeHTTP(w, r)
	}
}

