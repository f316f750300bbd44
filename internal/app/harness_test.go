package app

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"

	"github.com/elasticache-exporter/elasticache-exporter/internal/config"
	"github.com/elasticache-exporter/elasticache-exporter/internal/syncbuf"
)

// running is an App served by httptest, with discovery running.
type running struct {
	app  *App
	srv  *httptest.Server
	logs *syncbuf.Buffer
	// stop ends the daemon (its background work included) before the
	// test does; it is idempotent.
	stop func()
}

// startApp builds the daemon from cfg (after defaults), starts discovery,
// waits for the first discovery and serves HTTP on loopback.
func startApp(t *testing.T, edit func(c *config.Config)) *running {
	t.Helper()
	r := startAppNoWait(t, edit)
	deadline := time.Now().Add(10 * time.Second)
	for !r.app.discovery.Ready() {
		if time.Now().After(deadline) {
			t.Fatalf("discovery did not succeed within 10s; logs:\n%s", r.logs)
		}
		time.Sleep(20 * time.Millisecond)
	}
	return r
}

// startAppNoWait is startApp without waiting for discovery.
func startAppNoWait(t *testing.T, edit func(c *config.Config)) *running {
	t.Helper()
	cfg := config.Default()
	cfg.Discovery.Interval = time.Second
	edit(cfg)
	logs := &syncbuf.Buffer{}
	logger := slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	load := func() (*config.Config, error) {
		c := *cfg
		return &c, c.ValidateServe()
	}
	ctx, cancel := context.WithCancel(context.Background())
	a, err := New(ctx, load, logger)
	if err != nil {
		cancel()
		t.Fatal(err)
	}
	wait := a.Start(ctx)
	h, err := a.Handler("/metrics")
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(h)
	var once sync.Once
	stop := func() {
		once.Do(func() {
			srv.Close()
			cancel()
			wait()
			a.Close()
		})
	}
	t.Cleanup(stop)
	return &running{app: a, srv: srv, logs: logs, stop: stop}
}

// scrape fetches /metrics and parses it.
func (r *running) scrape(t *testing.T, header ...string) map[string]*dto.MetricFamily {
	t.Helper()
	_, fams := r.scrapeRaw(t, header...)
	return fams
}

func (r *running) scrapeRaw(t *testing.T, header ...string) (string, map[string]*dto.MetricFamily) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, r.srv.URL+"/metrics", nil)
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("/metrics: %s: %s", resp.Status, body)
	}
	parser := expfmt.NewTextParser(model.UTF8Validation)
	fams, err := parser.TextToMetricFamilies(bytes.NewReader(body))
	if err != nil {
		t.Fatalf("parse exposition: %v", err)
	}
	return string(body), fams
}

func (r *running) get(t *testing.T, path string) (int, string) {
	t.Helper()
	resp, err := http.Get(r.srv.URL + path)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// series returns the value of every series of a family by its label set
// rendered as k=v,k=v (sorted as exposed).
func series(fams map[string]*dto.MetricFamily, name string) map[string]float64 {
	out := map[string]float64{}
	f, ok := fams[name]
	if !ok {
		return out
	}
	for _, m := range f.Metric {
		var parts []string
		for _, l := range m.Label {
			parts = append(parts, l.GetName()+"="+l.GetValue())
		}
		var v float64
		switch {
		case m.Gauge != nil:
			v = m.Gauge.GetValue()
		case m.Counter != nil:
			v = m.Counter.GetValue()
		case m.Untyped != nil:
			v = m.Untyped.GetValue()
		}
		out[strings.Join(parts, ",")] = v
	}
	return out
}

// nodeValue returns the value of name for node (any shard).
func nodeValue(fams map[string]*dto.MetricFamily, name, node string) (float64, bool) {
	for k, v := range series(fams, name) {
		if strings.Contains(k, "node="+node+",") || strings.HasSuffix(k, "node="+node) {
			return v, true
		}
	}
	return 0, false
}

func waitUntil(t *testing.T, timeout time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %s waiting for %s", timeout, what)
		}
		time.Sleep(50 * time.Millisecond)
	}
}
