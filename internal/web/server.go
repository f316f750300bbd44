// Package web owns the HTTP surface: the router, the handlers that turn the
// exporter's state into responses, and the status page. It decides nothing
// about what is collected.
package web

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"time"

	"github.com/go-chi/chi/v5"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"github.com/prometheus/common/version"

	"github.com/elasticache-exporter/elasticache-exporter/internal/collect"
	"github.com/elasticache-exporter/elasticache-exporter/internal/statuspage"
	toolkit "github.com/prometheus/exporter-toolkit/web"
)

// Deps is what the handlers need from the running daemon.
type Deps struct {
	TelemetryPath string
	// Scrape returns the series of one scrape. ctx ends when this client
	// stops waiting (its deadline or a disconnect); timeout is its budget.
	// Neither may cancel work shared with other clients.
	Scrape func(ctx context.Context, timeout time.Duration) *collect.Exposition
	// Probe reads one node; ok is false when target is neither a
	// discovered node nor allow-listed.
	Probe func(ctx context.Context, target string) (c prometheus.Collector, ok bool)
	// Timeout returns the configured scrape timeout and offset.
	Timeout func() (timeout, offset time.Duration)
	// Ready reports whether the exporter serves every node of its group;
	// when not, reason says what it waits for, in a short plain sentence.
	Ready    func() (ready bool, reason string)
	Reload   func() error
	Topology func() any
	Rules    func() ([]byte, error)
	// APIs are extra JSON endpoints under /api/v1 (slowlog, events), by path.
	APIs map[string]http.Handler
	// Status builds the status page's model from memory (nil: / is a
	// plain page of links and /api/v1/status is not served).
	Status func() *statuspage.Status
	Logger *slog.Logger
}

// NewRouter builds the HTTP handler. Oversized query strings are refused
// and request bodies bounded before any route sees them; error bodies
// quote client input only as a short prefix (quoteInput).
func NewRouter(d Deps) (http.Handler, error) {
	r := chi.NewRouter()
	r.Method(http.MethodGet, d.TelemetryPath, metricsHandler(d))
	r.Get("/probe", probeHandler(d))
	r.Get("/healthz", func(w http.ResponseWriter, _ *http.Request) { _, _ = w.Write([]byte("ok\n")) })
	r.Get("/readyz", func(w http.ResponseWriter, _ *http.Request) {
		if ok, reason := d.Ready(); !ok {
			clientError(w, http.StatusServiceUnavailable, "not ready: "+reason)
			return
		}
		_, _ = w.Write([]byte("ok\n"))
	})
	r.Post("/-/reload", func(w http.ResponseWriter, _ *http.Request) {
		if err := d.Reload(); err != nil {
			clientError(w, http.StatusBadRequest, "reload failed, the previous configuration stays in force: "+err.Error())
			return
		}
		_, _ = w.Write([]byte("configuration reloaded\n"))
	})
	if d.Rules != nil {
		r.Get("/rules", func(w http.ResponseWriter, _ *http.Request) {
			b, err := d.Rules()
			if err != nil {
				clientError(w, http.StatusInternalServerError, err.Error())
				return
			}
			w.Header().Set("Content-Type", "application/yaml")
			_, _ = w.Write(b)
		})
	}
	r.Get("/api/v1/topology", func(w http.ResponseWriter, _ *http.Request) { writeJSON(w, d.Topology()) })
	links := []toolkit.LandingLinks{
		{Address: d.TelemetryPath, Text: "Metrics", Description: "every node of the group, CloudWatch and log tail series"},
		{Address: "/probe?target=", Text: "Probe", Description: "one discovered node, for very large clusters"},
		{Address: "/api/v1/topology", Text: "Topology", Description: "shards, nodes, roles and endpoints as JSON"},
		{Address: "/healthz", Text: "Health"},
		{Address: "/readyz", Text: "Readiness"},
	}
	if d.Rules != nil {
		links = append(links, toolkit.LandingLinks{Address: "/rules", Text: "Alert rules", Description: "the five critical alarms as a Prometheus rule file"})
	}
	for path, h := range d.APIs {
		r.Method(http.MethodGet, "/api/v1/"+path, h)
		links = append(links, toolkit.LandingLinks{Address: "/api/v1/" + path, Text: "Recent " + path})
	}
	if d.Status != nil {
		links = append(links, toolkit.LandingLinks{Address: "/api/v1/status", Text: "Status JSON", Description: "this page's data"})
		page := make([]statuspage.Link, 0, len(links))
		for _, l := range links {
			page = append(page, statuspage.Link{Address: l.Address, Text: l.Text, Description: l.Description})
		}
		logger := d.Logger
		if logger == nil {
			logger = slog.New(slog.DiscardHandler)
		}
		status := newSharedStatus(d.Status, logger)
		r.Get("/api/v1/status", statusAPIHandler(status, logger))
		r.Get("/", statusPageHandler(status, page))
		return limitRequests(r), nil
	}
	landing, err := toolkit.NewLandingPage(toolkit.LandingConfig{
		Name:        "ElastiCache Exporter",
		Description: "Prometheus exporter for Amazon ElastiCache Redis replication groups used as ksqlDB state storage",
		Version:     version.Info(),
		Links:       links,
	})
	if err != nil {
		return nil, err
	}
	r.Handle("/", landing)
	return limitRequests(r), nil
}

// maxTargetBytes bounds a /probe target: a DNS name (253) and a port.
const maxTargetBytes = 260

func probeHandler(d Deps) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		target := r.URL.Query().Get("target")
		if _, _, err := net.SplitHostPort(target); err != nil || len(target) > maxTargetBytes {
			clientError(w, http.StatusBadRequest, fmt.Sprintf("target %s: give a node as host:port (a discovered node or one listed in probe.allow)", quoteInput(target)))
			return
		}
		timeout, offset := d.Timeout()
		ctx, cancel := context.WithTimeout(r.Context(), ScrapeTimeout(r, timeout, offset))
		defer cancel()
		c, ok := d.Probe(ctx, target)
		if !ok {
			clientError(w, http.StatusForbidden, fmt.Sprintf("target %s is neither a discovered node nor listed in probe.allow; the exporter only reads its own group", quoteInput(target)))
			return
		}
		reg := prometheus.NewRegistry()
		reg.MustRegister(c)
		promhttp.HandlerFor(reg, promhttp.HandlerOpts{ErrorHandling: promhttp.ContinueOnError}).ServeHTTP(w, r)
	}
}

func writeJSON(w http.ResponseWriter, v any) {
	w.Header().Set("Content-Type", "application/json")
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	_ = enc.Encode(v)
}
