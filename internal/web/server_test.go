package web

import (
	"net/http/httptest"
	"testing"
	"time"
)

func TestScrapeTimeout(t *testing.T) {
	tests := []struct {
		header string
		want   time.Duration
	}{
		{"", 10 * time.Second},           // no header: the configured timeout
		{"15", 14500 * time.Millisecond}, // Prometheus' timeout minus the offset
		{"2.5", 2 * time.Second},         // fractions
		{"0.4", 200 * time.Millisecond},  // shorter than the offset: half of it
		{"garbage", 10 * time.Second},    // unparsable: configured
		{"-3", 10 * time.Second},         // negative: configured
	}
	for _, tt := range tests {
		r := httptest.NewRequest("GET", "/metrics", nil)
		if tt.header != "" {
			r.Header.Set("X-Prometheus-Scrape-Timeout-Seconds", tt.header)
		}
		if got := ScrapeTimeout(r, 10*time.Second, 500*time.Millisecond); got != tt.want {
			t.Errorf("header %q: %s, want %s", tt.header, got, tt.want)
		}
	}
}

func TestAcceptsGzip(t *testing.T) {
	for header, want := range map[string]bool{
		"gzip": true, "deflate, gzip;q=1.0, *;q=0.5": true, "GZIP": true,
		"": false, "identity": false, "gzip;q=0": false, "br": false,
	} {
		if got := acceptsGzip(header); got != want {
			t.Errorf("acceptsGzip(%q) = %v, want %v", header, got, want)
		}
	}
}
