package web

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/elasticache-exporter/elasticache-exporter/internal/collect"
)

// testDeps are handler dependencies with no daemon behind them: /probe
// knows no node, a reload fails with reloadErr.
func testDeps(t *testing.T) Deps {
	t.Helper()
	return Deps{
		TelemetryPath: "/metrics",
		Scrape: func(context.Context, time.Duration) *collect.Exposition {
			exp, err := collect.Encode(nil, []prometheus.Metric{prometheus.MustNewConstMetric(
				prometheus.NewDesc("redis_up", "Up.", nil, nil), prometheus.GaugeValue, 1)})
			if err != nil {
				t.Error(err)
			}
			return exp
		},
		Probe: func(context.Context, string) (prometheus.Collector, bool) {
			return nil, false
		},
		Timeout:  func() (time.Duration, time.Duration) { return 10 * time.Second, 500 * time.Millisecond },
		Ready:    func() (bool, string) { return true, "" },
		Reload:   func() error { return errors.New("config: " + strings.Repeat("x", 1<<20)) },
		Topology: func() any { return map[string]string{} },
		Logger:   slog.New(slog.DiscardHandler),
	}
}

func TestQuoteInput(t *testing.T) {
	long := strings.Repeat("a", 127) + "é" + strings.Repeat("b", 100) // é straddles byte 128
	for _, tt := range []struct {
		in, want string
	}{
		{"10.0.0.1:6379", `"10.0.0.1:6379"`},
		{"\xff\xfe:1", `"\xff\xfe:1"`},
		{"a\nb\x00", `"a\nb\x00"`},
		{strings.Repeat("A", 128), `"` + strings.Repeat("A", 128) + `"`},
		{strings.Repeat("A", 1<<20), `"` + strings.Repeat("A", 128) + `"…`},
		{long, `"` + strings.Repeat("a", 127) + `"…`},
	} {
		got := quoteInput(tt.in)
		if got != tt.want {
			t.Errorf("quoteInput(%.40q…) = %.60q…, want %.60q…", tt.in, got, tt.want)
		}
		if !utf8.ValidString(got) {
			t.Errorf("quoteInput(%.40q) is not valid UTF-8", tt.in)
		}
	}
}

// /probe and the API answer errors with a bounded, quoted, UTF-8-safe
// prefix of the input, never the input itself.
func TestErrorBodiesAreBounded(t *testing.T) {
	h, err := NewRouter(testDeps(t))
	if err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		name, method, target string
		status               int
		mustContain          string
	}{
		{"long target", http.MethodGet, "/probe?target=" + strings.Repeat("A", 1500) + ":1", http.StatusBadRequest, `"AAAA`},
		{"long host:port not in the group", http.MethodGet, "/probe?target=" + strings.Repeat("A", 250) + ":1", http.StatusForbidden, "…"},
		{"invalid UTF-8 target", http.MethodGet, "/probe?target=" + url.QueryEscape("\xff\xfe:6379"), http.StatusForbidden, `"\xff\xfe:6379"`},
		{"newline in target", http.MethodGet, "/probe?target=" + url.QueryEscape("evil\nX-Injected: 1"), http.StatusForbidden, `"evil\nX-Injected: 1"`},
		{"query string over the limit", http.MethodGet, "/probe?target=" + strings.Repeat("B", maxQueryBytes), http.StatusRequestURITooLong, "at most"},
		{"reload error of 1 MB", http.MethodPost, "/-/reload", http.StatusBadRequest, "previous configuration stays"},
	} {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest(tt.method, tt.target, nil))
		body := rec.Body.String()
		if rec.Code != tt.status {
			t.Errorf("%s: status %d, want %d: %.200q", tt.name, rec.Code, tt.status, body)
		}
		if len(body) > maxErrorBytes+8 {
			t.Errorf("%s: body of %d bytes, want at most %d", tt.name, len(body), maxErrorBytes)
		}
		if strings.Count(body, "A") > maxEchoBytes || strings.Count(body, "B") > maxEchoBytes {
			t.Errorf("%s: body echoes more than %d bytes of the input: %.300q", tt.name, maxEchoBytes, body)
		}
		if !utf8.ValidString(body) {
			t.Errorf("%s: body is not valid UTF-8: %q", tt.name, body)
		}
		if !strings.Contains(body, tt.mustContain) {
			t.Errorf("%s: body %.300q lacks %q", tt.name, body, tt.mustContain)
		}
	}
}

// A request body is read at most maxBodyBytes far.
func TestRequestBodiesAreBounded(t *testing.T) {
	var read int64
	h := limitRequests(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		read, _ = io.Copy(io.Discard, r.Body)
	}))
	h.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest(http.MethodPost, "/-/reload", strings.NewReader(strings.Repeat("z", 1<<20))))
	if read > maxBodyBytes {
		t.Errorf("a handler read %d bytes of body, want at most %d", read, maxBodyBytes)
	}
}
