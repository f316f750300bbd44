package slowlog

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"
	"github.com/redis/go-redis/v9"

	"github.com/elasticache-exporter/elasticache-exporter/internal/collect"
	"github.com/elasticache-exporter/elasticache-exporter/internal/redisinfo"
	"github.com/elasticache-exporter/elasticache-exporter/internal/redistest"
	"github.com/elasticache-exporter/elasticache-exporter/internal/topology"
)

// roundInput is what a round hands its collectors: the topology and one
// INFO read per node on the node's connection (a nil client: the node did
// not answer).
func roundInput(t *testing.T, topo *topology.Topology, clients map[string]*redis.Client) *collect.Input {
	t.Helper()
	in := &collect.Input{Topology: topo}
	for _, n := range topo.Nodes {
		read := collect.NodeRead{Node: n, Client: clients[n.Name]}
		if read.Client == nil {
			read.Err = context.DeadlineExceeded
		} else if text, err := read.Client.Info(context.Background(), "server").Result(); err != nil {
			read.Err = err
		} else if read.Info, err = redisinfo.Parse(text); err != nil {
			t.Fatal(err)
		}
		in.Nodes = append(in.Nodes, read)
	}
	return in
}

func runUpdate(c collect.Collector, in *collect.Input) ([]prometheus.Metric, error) {
	ch := make(chan prometheus.Metric, 1000)
	err := c.Update(context.Background(), in, ch)
	close(ch)
	var out []prometheus.Metric
	for m := range ch {
		out = append(out, m)
	}
	return out, err
}

// TestTrackerUpdate runs the tracker as a round's collector: it reads
// SLOWLOG on every node that answered, on the round's connection, and
// the next round's topology without a node removes all of that node's
// series, the recorder's included.
func TestTrackerUpdate(t *testing.T) {
	opts := redistest.Options{Args: map[string]string{"slowlog-log-slower-than": "0"}}
	a, b := redistest.Standalone(t, opts), redistest.Standalone(t, opts)
	ctx := context.Background()
	clients := map[string]*redis.Client{a.Addr: exporterClient(t, a), b.Addr: exporterClient(t, b)}
	both := &topology.Topology{Mode: topology.ModeReplication, DiscoveredAt: t0, Nodes: []topology.Node{
		{Name: a.Addr, Addr: a.Addr, Shard: "0"}, {Name: b.Addr, Addr: b.Addr, Shard: "0"},
		{Name: "down:6379", Addr: "down:6379", Shard: "0"}}}

	rec := testRecorder(false)
	tr := NewTracker(rec, 2)
	if _, err := runUpdate(tr, roundInput(t, both, clients)); err != nil { // baseline
		t.Fatalf("first round: %v", err)
	}
	for _, s := range []*redistest.Server{a, b} {
		user := s.Client(t)
		for i := 0; i < 3; i++ {
			if err := user.Incr(ctx, "k").Err(); err != nil {
				t.Fatal(err)
			}
		}
	}
	if _, err := runUpdate(tr, roundInput(t, both, clients)); err != nil {
		t.Fatalf("second round: %v", err)
	}
	for _, s := range []*redistest.Server{a, b} {
		if got := sample(t, rec, "redis_slowlog_entries_total", map[string]string{"node": s.Addr, "shard": "0", "cmd": "incr"}); got != 3 {
			t.Errorf("incr entries of %s = %v, want 3", s.Addr, got)
		}
	}
	if got := sample(t, tr, "redis_slowlog_length", map[string]string{"node": "down:6379"}); got != 0 {
		t.Errorf("a node that did not answer INFO was read")
	}

	// b leaves the group: the next round's topology lacks it.
	onlyA := &topology.Topology{Mode: topology.ModeReplication, DiscoveredAt: t0.Add(time.Minute), Nodes: []topology.Node{both.Nodes[0]}}
	metrics, err := runUpdate(tr, roundInput(t, onlyA, clients))
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range metrics {
		if strings.Contains(m.Desc().String(), "slowlog") && labelled(m, "node", b.Addr) {
			t.Errorf("the tracker still sends a series of %s after it left: %s", b.Addr, m.Desc())
		}
	}
	if n := seriesOf(t, b.Addr, rec, tr); n != 0 {
		t.Errorf("series of %s after it left = %d, want 0", b.Addr, n)
	}

	// A node whose SLOWLOG read fails fails the collector, not the others.
	broken := exporterClient(t, a)
	in := roundInput(t, onlyA, map[string]*redis.Client{a.Addr: broken})
	_ = broken.Close()
	if _, err := runUpdate(tr, in); err == nil || !strings.Contains(err.Error(), "1 of 1 nodes") {
		t.Errorf("Update with a failing node = %v, want a failure naming the count", err)
	}
}

func labelled(m prometheus.Metric, name, value string) bool {
	var pb dto.Metric
	if err := m.Write(&pb); err != nil {
		return false
	}
	for _, l := range pb.GetLabel() {
		if l.GetName() == name && l.GetValue() == value {
			return true
		}
	}
	return false
}

// TestRoundShowsItsOwnReads: the recorder and the tracker run concurrently
// in a round; the entries this round's SLOWLOG read found are in this
// round's series, and no series is sent twice.
func TestRoundShowsItsOwnReads(t *testing.T) {
	s := redistest.Standalone(t, redistest.Options{Args: map[string]string{"slowlog-log-slower-than": "0"}})
	ctx := context.Background()
	clients := map[string]*redis.Client{s.Addr: exporterClient(t, s)}
	topo := &topology.Topology{Mode: topology.ModeReplication, Nodes: []topology.Node{{Name: s.Addr, Addr: s.Addr, Shard: "0"}}}
	rec := testRecorder(false)
	tr := NewTracker(rec, 1)
	round := func() []prometheus.Metric {
		in := roundInput(t, topo, clients)
		ch := make(chan prometheus.Metric, 1000)
		done := make(chan error, 2)
		for _, c := range []collect.Collector{rec, tr} {
			go func() { done <- c.Update(ctx, in, ch) }()
		}
		for i := 0; i < 2; i++ {
			if err := <-done; err != nil {
				t.Fatal(err)
			}
		}
		close(ch)
		var out []prometheus.Metric
		for m := range ch {
			out = append(out, m)
		}
		return out
	}
	round() // baseline
	user := s.Client(t)
	for i := 0; i < 4; i++ {
		if err := user.Incr(ctx, "k").Err(); err != nil {
			t.Fatal(err)
		}
	}
	metrics := round()
	seen := map[string]bool{}
	incr := 0.0
	for _, m := range metrics {
		var pb dto.Metric
		if err := m.Write(&pb); err != nil {
			t.Fatal(err)
		}
		key := m.Desc().String() + pb.String()
		if seen[key] {
			t.Errorf("sent twice: %s", key)
		}
		seen[key] = true
		if strings.Contains(m.Desc().String(), `"redis_slowlog_entries_total"`) && labelled(m, "cmd", "incr") {
			incr += pb.GetCounter().GetValue()
		}
	}
	if incr != 4 {
		t.Errorf("incr entries in the round that read them = %v, want 4", incr)
	}
}
