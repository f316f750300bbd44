package app

import (
	"context"
	"encoding/json"
	"math"
	"net/http"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/elasticache-exporter/elasticache-exporter/internal/config"
	"github.com/elasticache-exporter/elasticache-exporter/internal/redistest"
)

// measuredFailover is the part of an /api/v1/events entry a measured
// failover carries.
type measuredFailover struct {
	Event           string    `json:"event"`
	Node            string    `json:"node"`
	Shard           string    `json:"shard"`
	Time            time.Time `json:"time"`
	Source          string    `json:"source"`
	DurationSeconds float64   `json:"duration_seconds"`
	OldPrimary      string    `json:"old_primary"`
	NewPrimary      string    `json:"new_primary"`
}

// A real failover: the primary of a primary + 2 replicas group is killed,
// a replica is promoted 5 s later and the other repointed to it, while
// Prometheus scrapes every second. The exporter, seeded with all three
// addresses, keeps the dead node (redis_up 0), finds the new primary and
// measures the failover as the promotion delay within one scrape interval,
// in the histogram, the last-failover time and /api/v1/events.
func TestFailoverMeasuredEndToEnd(t *testing.T) {
	const (
		interval = time.Second
		delay    = 5 * time.Second
	)
	rg := redistest.NewReplication(t, 2, redistest.Options{})
	oldPrimary, promoted, other := rg.Primary, rg.Replicas[0], rg.Replicas[1]
	r := startApp(t, func(c *config.Config) {
		c.Redis.Addrs = []string{oldPrimary.Addr, promoted.Addr, other.Addr}
	})

	// Prometheus: one scrape a second until the test ends.
	ctx, cancel := context.WithCancel(context.Background())
	var scrapes sync.WaitGroup
	scrapes.Go(func() {
		tick := time.NewTicker(interval)
		defer tick.Stop()
		for {
			if resp, err := http.Get(r.srv.URL + "/metrics"); err == nil {
				resp.Body.Close()
			}
			select {
			case <-ctx.Done():
				return
			case <-tick.C:
			}
		}
	})
	t.Cleanup(func() { cancel(); scrapes.Wait() })

	waitUntil(t, 15*time.Second, "a scrape with all three nodes up and the replicas linked", func() bool {
		fams := r.scrape(t)
		up := 0
		for _, s := range []*redistest.Server{oldPrimary, promoted, other} {
			if v, ok := nodeValue(fams, "redis_up", s.Addr); ok && v == 1 {
				up++
			}
		}
		return up == 3 && len(series(fams, "redis_master_link_up")) == 2
	})
	time.Sleep(2 * interval) // a few healthy scrapes of the old primary

	killedAt := time.Now()
	oldPrimary.Kill()
	time.Sleep(delay - time.Since(killedAt))
	pctx, pcancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer pcancel()
	if err := promoted.Client(t).ReplicaOf(pctx, "NO", "ONE").Err(); err != nil {
		t.Fatalf("REPLICAOF NO ONE: %v", err)
	}
	promotedAt := time.Now()
	if err := other.Client(t).ReplicaOf(pctx, "127.0.0.1", strconv.Itoa(promoted.Port)).Err(); err != nil {
		t.Fatalf("REPLICAOF the new primary: %v", err)
	}
	actualDelay := promotedAt.Sub(killedAt)

	var measured measuredFailover
	waitUntil(t, 20*time.Second, "the failover in /api/v1/events", func() bool {
		code, body := r.get(t, "/api/v1/events?event=failover")
		if code != http.StatusOK {
			t.Fatalf("/api/v1/events: %d %s", code, body)
		}
		var resp struct {
			Data []measuredFailover `json:"data"`
		}
		if err := json.Unmarshal([]byte(body), &resp); err != nil {
			t.Fatalf("/api/v1/events: %v: %s", err, body)
		}
		for _, ev := range resp.Data {
			if ev.DurationSeconds > 0 {
				measured = ev
				return true
			}
		}
		return false
	})
	t.Logf("killed the primary, promoted a replica %.3f s later; measured %.3f s (start from %s)",
		actualDelay.Seconds(), measured.DurationSeconds, measured.Source)
	// The measurement runs from the last scrape before the kill to the
	// first one after the promotion: never shorter than the delay, longer
	// by less than one interval, plus the partial resync of the repointed
	// replica and the spread of the reads within a round (a few ms;
	// readJitter bounds them).
	const readJitter = 250 * time.Millisecond
	got := time.Duration(measured.DurationSeconds * float64(time.Second))
	if got < actualDelay-readJitter || got > actualDelay+interval+readJitter {
		t.Errorf("measured %s for a %s promotion delay: not within one scrape interval (%s) above it", got, actualDelay, interval)
	}
	if measured.Event != "failover" || measured.OldPrimary != oldPrimary.Addr || measured.NewPrimary != promoted.Addr ||
		measured.Node != promoted.Addr || measured.Shard != "0" || measured.Source != "scrape" || measured.Time.Before(promotedAt.Add(-time.Second)) {
		t.Errorf("event: %+v", measured)
	}

	fams := r.scrape(t)
	var count uint64
	var sum float64
	if f := fams["elasticache_exporter_failover_duration_seconds"]; f != nil {
		for _, m := range f.Metric {
			if h := m.GetHistogram(); h != nil && len(m.Label) == 1 && m.Label[0].GetValue() == "0" {
				count, sum = h.GetSampleCount(), h.GetSampleSum()
			}
		}
	}
	if count != 1 || math.Abs(sum-measured.DurationSeconds) > 1e-6 {
		t.Errorf("elasticache_exporter_failover_duration_seconds{shard=\"0\"}: count %d sum %v, want 1 and %v", count, sum, measured.DurationSeconds)
	}
	last := series(fams, "elasticache_exporter_last_failover_timestamp_seconds")["shard=0"]
	if math.Abs(last-float64(measured.Time.UnixNano())/1e9) > 1e-3 {
		t.Errorf("elasticache_exporter_last_failover_timestamp_seconds = %v, want the event's time %v", last, measured.Time)
	}
	if v, ok := nodeValue(fams, "redis_up", oldPrimary.Addr); !ok || v != 0 {
		t.Errorf("the dead primary: redis_up %v (present %v), want 0", v, ok)
	}
	if v, _ := nodeValue(fams, "redis_node_is_primary", promoted.Addr); v != 1 {
		t.Errorf("redis_node_is_primary of the new primary = %v, want 1", v)
	}
}
