package app

import (
	"context"
	"testing"

	"github.com/elasticache-exporter/elasticache-exporter/internal/config"
	"github.com/elasticache-exporter/elasticache-exporter/internal/redistest"
)

// TestStoppedReplicaKeepsTheOthersSlowlog: a SIGSTOPped replica holds the
// round to its deadline; the primary's and the healthy replica's slow
// commands are still counted in that scrape and the slowlog collector
// succeeds (the stopped node is redis_up 0). The tracker used to read
// SLOWLOG after every node's INFO, when the stopped node had spent the
// deadline: "SLOWLOG read failed on 2 of 2 nodes … context deadline
// exceeded", and no entries.
func TestStoppedReplicaKeepsTheOthersSlowlog(t *testing.T) {
	rg := redistest.NewReplication(t, 2, redistest.Options{Args: map[string]string{"slowlog-log-slower-than": "0"}})
	primary, healthy, stopped := rg.Primary, rg.Replicas[0], rg.Replicas[1]
	r := startApp(t, func(c *config.Config) { c.Redis.Addrs = []string{primary.Addr} })
	fams := r.scrape(t) // the first read of a node is its baseline
	for _, s := range rg.Servers() {
		if v, _ := nodeValue(fams, "redis_up", s.Addr); v != 1 {
			t.Fatalf("before the stop: redis_up{node=%q} = %v, want 1", s.Addr, v)
		}
	}
	ctx := context.Background()
	const incrs, gets = 3, 2
	for range incrs {
		if err := primary.Client(t).Incr(ctx, "k").Err(); err != nil {
			t.Fatal(err)
		}
	}
	for range gets {
		if err := healthy.Client(t).Get(ctx, "k").Err(); err != nil {
			t.Fatal(err)
		}
	}
	stopped.Pause()
	t.Cleanup(stopped.Resume)

	fams = r.scrape(t, "X-Prometheus-Scrape-Timeout-Seconds", "1.5")
	if v, _ := nodeValue(fams, "redis_up", stopped.Addr); v != 0 {
		t.Errorf("stopped replica redis_up = %v, want 0", v)
	}
	for _, c := range []struct {
		node, cmd string
		want      float64
	}{{primary.Addr, "incr", incrs}, {healthy.Addr, "get", gets}} {
		if got := sumWhere(fams, "redis_slowlog_entries_total", map[string]string{"node": c.node, "cmd": c.cmd}); got != c.want {
			t.Errorf("redis_slowlog_entries_total{node=%q,cmd=%q} in the scrape with a stopped replica = %v, want %v", c.node, c.cmd, got, c.want)
		}
	}
	if got := series(fams, "elasticache_exporter_scrape_collector_success")["collector=slowlog"]; got != 1 {
		t.Errorf("slowlog collector success = %v, want 1; logs:\n%s", got, r.logs.String())
	}
}
