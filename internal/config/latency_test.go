package config

import (
	"strings"
	"testing"
	"time"
)

// TestLatencyDefaultsOnAndSwitchesApart: the three latency reads are on
// by default, as in redis_exporter, and each can be switched off alone.
func TestLatencyDefaultsOnAndSwitchesApart(t *testing.T) {
	if got := Default().Scrape.Latency; got != (LatencyConfig{Percentiles: true, Histogram: true, Spikes: true, Interval: time.Minute}) {
		t.Errorf("default scrape.latency = %+v, want all on", got)
	}
	c, err := Parse([]byte("redis: {addrs: [\"127.0.0.1:6379\"]}\nscrape: {latency: {histogram: false}}\n"))
	if err != nil {
		t.Fatal(err)
	}
	if got := c.Scrape.Latency; got != (LatencyConfig{Percentiles: true, Histogram: false, Spikes: true, Interval: time.Minute}) {
		t.Errorf("scrape.latency = %+v, want only histogram off", got)
	}
	if _, err := Parse([]byte("redis: {addrs: [\"127.0.0.1:6379\"]}\nscrape: {latency: {histograms: false}}\n")); err == nil {
		t.Error("a misspelt scrape.latency field was accepted")
	}
}

func TestLatencyIntervalBounds(t *testing.T) {
	for _, tc := range []struct {
		interval time.Duration
		wantErr  bool
	}{{0, false}, {time.Minute, false}, {time.Hour, false}, {-time.Second, true}, {2 * time.Hour, true}} {
		c := Default()
		c.Redis.Addrs = []string{"127.0.0.1:6379"}
		c.Scrape.Latency.Interval = tc.interval
		err := c.Validate()
		if tc.wantErr != (err != nil && strings.Contains(err.Error(), "scrape.latency.interval")) {
			t.Errorf("interval %s: err = %v, want an error naming scrape.latency.interval: %v", tc.interval, err, tc.wantErr)
		}
	}
}
