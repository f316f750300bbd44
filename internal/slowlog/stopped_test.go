package slowlog

import (
	"bytes"
	"context"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
	"github.com/redis/go-redis/v9"

	"github.com/elasticache-exporter/elasticache-exporter/internal/collect"
	"github.com/elasticache-exporter/elasticache-exporter/internal/redisconn"
	"github.com/elasticache-exporter/elasticache-exporter/internal/redistest"
	"github.com/elasticache-exporter/elasticache-exporter/internal/syncbuf"
	"github.com/elasticache-exporter/elasticache-exporter/internal/topology"
)

// roundValue is the value of the sample of name whose labels include want
// in a round's exposition, and whether there is one.
func roundValue(t *testing.T, exp *collect.Exposition, name string, want map[string]string) (float64, bool) {
	t.Helper()
	plain, err := exp.Plain()
	if err != nil {
		t.Fatal(err)
	}
	parser := expfmt.NewTextParser(model.UTF8Validation)
	fams, err := parser.TextToMetricFamilies(bytes.NewReader(plain))
	if err != nil {
		t.Fatalf("the exposition does not parse: %v", err)
	}
	mf, ok := fams[name]
	if !ok {
		return 0, false
	}
next:
	for _, m := range mf.GetMetric() {
		labels := map[string]string{}
		for _, l := range m.GetLabel() {
			labels[l.GetName()] = l.GetValue()
		}
		for k, v := range want {
			if labels[k] != v {
				continue next
			}
		}
		switch {
		case m.GetCounter() != nil:
			return m.GetCounter().GetValue(), true
		default:
			return m.GetGauge().GetValue(), true
		}
	}
	return 0, false
}

// TestStoppedReplicaDoesNotFailTheOthersSlowlog is the round a SIGSTOPped
// replica holds up: it accepts TCP and never answers, so its INFO read
// takes the round's whole deadline. The healthy nodes' SLOWLOG must still
// be read in that round, and the slowlog collector must not fail for them
// (it used to start after every node's read, on an expired context:
// "SLOWLOG read failed on 2 of 2 nodes … context deadline exceeded").
func TestStoppedReplicaDoesNotFailTheOthersSlowlog(t *testing.T) {
	rep := redistest.NewReplication(t, 2, redistest.Options{Args: map[string]string{"slowlog-log-slower-than": "0"}})
	primary, healthy, stopped := rep.Primary, rep.Replicas[0], rep.Replicas[1]

	pool := redisconn.NewPool(redisconn.Credentials{ClientName: exporterName, DialTimeout: time.Second})
	t.Cleanup(pool.Close)
	topo := topology.SeedTopology([]string{primary.Addr, healthy.Addr, stopped.Addr})
	var logs syncbuf.Buffer
	tracker := NewTracker(testRecorder(false), 4)
	exp := collect.New(collect.Options{
		Topology:    func() *topology.Topology { return topo },
		Acquire:     func() collect.ClientLease { return pool.Acquire() },
		Concurrency: func() int { return 4 },
		Collectors:  []collect.Collector{tracker},
		Logger:      slog.New(slog.NewTextHandler(&logs, nil)),
	})
	ctx := context.Background()
	const timeout = 1500 * time.Millisecond
	// First sight of every node: the baseline, nothing counted.
	first := exp.Gather(ctx, timeout)
	if v, _ := roundValue(t, first, "elasticache_exporter_scrape_collector_success", map[string]string{"collector": "slowlog"}); v != 1 {
		t.Fatalf("baseline round: slowlog collector success = %v, want 1; log:\n%s", v, logs.String())
	}

	const incrs, gets = 3, 2
	for range incrs {
		if err := primary.Client(t).Incr(ctx, "k").Err(); err != nil {
			t.Fatal(err)
		}
	}
	for range gets {
		if err := healthy.Client(t).Get(ctx, "k").Err(); err != nil && !strings.Contains(err.Error(), "nil") {
			t.Fatal(err)
		}
	}
	stopped.Pause()
	t.Cleanup(stopped.Resume)

	round := exp.Gather(ctx, timeout)
	if v, ok := roundValue(t, round, "redis_up", map[string]string{"node": stopped.Addr}); !ok || v != 0 {
		t.Errorf("stopped replica redis_up = %v (present %v), want 0", v, ok)
	}
	for _, c := range []struct {
		node, cmd string
		want      float64
	}{{primary.Addr, "incr", incrs}, {healthy.Addr, "get", gets}} {
		got, _ := roundValue(t, round, "redis_slowlog_entries_total", map[string]string{"node": c.node, "cmd": c.cmd})
		if got != c.want {
			t.Errorf("redis_slowlog_entries_total{node=%q,cmd=%q} in the round the replica was stopped = %v, want %v", c.node, c.cmd, got, c.want)
		}
	}
	v, _ := roundValue(t, round, "elasticache_exporter_scrape_collector_success", map[string]string{"collector": "slowlog"})
	for _, line := range strings.Split(logs.String(), "\n") {
		if !strings.Contains(line, "collector=slowlog") {
			continue
		}
		for _, addr := range []string{primary.Addr, healthy.Addr} {
			if strings.Contains(line, addr) || strings.Contains(line, "of 2 nodes") {
				t.Errorf("the slowlog collector's failure names a node that answered (%s): %s", addr, line)
			}
		}
	}
	if v != 1 {
		t.Errorf("slowlog collector success = %v, want 1: the stopped replica is redis_up 0 and its SLOWLOG is not read; log:\n%s", v, logs.String())
	}
}

// TestNodeStoppedAfterItsInfoFailsOnlyItsOwnRead: a node that answered the
// round's INFO and then stopped (SIGSTOP) while the tracker reads every
// node itself, one at a time (its own Update, without the round's
// NodeReader hook). The node uses its share of the deadline and no more:
// the nodes queued behind it are read, and the collector's failure names
// the stopped node alone.
func TestNodeStoppedAfterItsInfoFailsOnlyItsOwnRead(t *testing.T) {
	opts := redistest.Options{Args: map[string]string{"slowlog-log-slower-than": "0"}}
	stopped := redistest.Standalone(t, opts)
	healthy := []*redistest.Server{redistest.Standalone(t, opts), redistest.Standalone(t, opts), redistest.Standalone(t, opts)}
	clients := map[string]*redis.Client{stopped.Addr: deadlineClient(t, stopped)}
	topo := &topology.Topology{Mode: topology.ModeReplication, DiscoveredAt: t0, Nodes: []topology.Node{{Name: stopped.Addr, Addr: stopped.Addr, Shard: "0"}}}
	for _, s := range healthy {
		clients[s.Addr] = deadlineClient(t, s)
		topo.Nodes = append(topo.Nodes, topology.Node{Name: s.Addr, Addr: s.Addr, Shard: "0"})
	}
	rec := testRecorder(false)
	tr := NewTracker(rec, 1)
	if _, err := runUpdate(tr, roundInput(t, topo, clients)); err != nil { // baseline
		t.Fatalf("first round: %v", err)
	}
	ctx := context.Background()
	for _, s := range healthy {
		if err := s.Client(t).Incr(ctx, "k").Err(); err != nil {
			t.Fatal(err)
		}
	}
	in := roundInput(t, topo, clients) // every node answers INFO
	stopped.Pause()
	t.Cleanup(stopped.Resume)

	roundCtx, cancel := context.WithTimeout(ctx, 1500*time.Millisecond)
	defer cancel()
	ch := make(chan prometheus.Metric, 1000)
	err := tr.Update(roundCtx, in, ch)
	close(ch)
	for _, s := range healthy {
		if got := sample(t, rec, "redis_slowlog_entries_total", map[string]string{"node": s.Addr, "cmd": "incr"}); got != 1 {
			t.Errorf("incr entries of %s, queued behind the stopped node = %v, want 1", s.Addr, got)
		}
	}
	switch {
	case err == nil:
		t.Fatal("Update with a stopped node succeeded; want a failure naming it")
	case !strings.Contains(err.Error(), "1 of 4 nodes") || !strings.Contains(err.Error(), stopped.Addr):
		t.Errorf("Update = %v; want a failure of 1 of 4 nodes naming %s", err, stopped.Addr)
	}
	for _, s := range healthy {
		if strings.Contains(err.Error(), s.Addr) {
			t.Errorf("the failure names %s, which answered: %v", s.Addr, err)
		}
	}
}

// deadlineClient is a connection as the exporter's pool builds it
// (redisconn.NewClient): named, and bounded by the caller's context.
func deadlineClient(t *testing.T, s *redistest.Server) *redis.Client {
	c := redisconn.NewClient(redisconn.Credentials{ClientName: exporterName, DialTimeout: time.Second}, s.Addr, "")
	t.Cleanup(func() { _ = c.Close() })
	return c
}
