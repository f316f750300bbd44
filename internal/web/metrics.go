package web

import (
	"context"
	"math"
	"net/http"
	"strconv"
	"time"

	"github.com/elasticache-exporter/elasticache-exporter/internal/collect"
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

// metricsHandler writes the round's exposition, encoded and compressed
// once per round: nothing here walks the samples.
func metricsHandler(d Deps) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		timeout, offset := d.Timeout()
		wait := ScrapeTimeout(r, timeout, offset)
		ctx, cancel := context.WithTimeout(r.Context(), wait)
		defer cancel()
		exp := d.Scrape(ctx, wait)
		if exp == nil {
			http.Error(w, "no exposition: see the exporter's log", http.StatusInternalServerError)
			return
		}
		h := w.Header()
		h.Set("Content-Type", collect.ContentType)
		h.Add("Vary", "Accept-Encoding")
		body := exp.Gzip()
		if acceptsGzip(r.Header.Get("Accept-Encoding")) {
			h.Set("Content-Encoding", "gzip")
		} else {
			plain, err := exp.Plain()
			if err != nil {
				http.Error(w, "inflating the exposition failed: see the exporter's log", http.StatusInternalServerError)
				d.Logger.Error("inflating the exposition", "err", err)
				return
			}
			body = plain
		}
		h.Set("Content-Length", strconv.Itoa(len(body)))
		if r.Method == http.MethodHead {
			return
		}
		if _, err := w.Write(body); err != nil {
			d.Logger.Debug("writing /metrics", "err", err)
		}
	}
}
