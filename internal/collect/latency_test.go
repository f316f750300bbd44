package collect

import (
	"context"
	"net"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/redis/go-redis/v9"

	"github.com/elasticache-exporter/elasticache-exporter/internal/redisinfo"
	"github.com/elasticache-exporter/elasticache-exporter/internal/redistest"
	"github.com/elasticache-exporter/elasticache-exporter/internal/topology"
)

// roundTrips counts the pipelines and single commands a client sends.
type roundTrips struct{ n atomic.Int64 }

func (*roundTrips) DialHook(next redis.DialHook) redis.DialHook { return next }

func (h *roundTrips) ProcessHook(next redis.ProcessHook) redis.ProcessHook {
	return func(ctx context.Context, cmd redis.Cmder) error {
		// A connection's handshake (HELLO) is not part of a scrape: the
		// pool's connections persist.
		if cmd.Name() != "hello" {
			h.n.Add(1)
		}
		return next(ctx, cmd)
	}
}

func (h *roundTrips) ProcessPipelineHook(next redis.ProcessPipelineHook) redis.ProcessPipelineHook {
	return func(ctx context.Context, cmds []redis.Cmder) error { h.n.Add(1); return next(ctx, cmds) }
}

// nodeClient is a client of s, as the pool makes them (RESP2), counting
// its round trips.
func nodeClient(t *testing.T, s *redistest.Server) (*redis.Client, *roundTrips) {
	t.Helper()
	o := s.ClientOptions()
	o.Protocol = 2
	c := redis.NewClient(o)
	t.Cleanup(func() { _ = c.Close() })
	trips := &roundTrips{}
	c.AddHook(trips)
	return c, trips
}

// commandCalls is cmdstat_<cmd> calls of a node (0 when never called).
func commandCalls(t *testing.T, s *redistest.Server, cmd string) int {
	t.Helper()
	v, ok := s.Info(t, "commandstats")["cmdstat_"+cmd]
	if !ok {
		return 0
	}
	calls, _, _ := strings.Cut(strings.TrimPrefix(v, "calls="), ",")
	n, err := strconv.Atoi(calls)
	if err != nil {
		t.Fatalf("cmdstat_%s:%s", cmd, v)
	}
	return n
}

func nodeOf(s *redistest.Server) topology.Node {
	return topology.Node{Name: s.Addr, Addr: s.Addr, Shard: "0", Role: topology.RolePrimary}
}

// familiesOf emits one node read and returns its series by family name.
func familiesOf(read NodeRead, policy CommandStatsPolicy) map[string]int {
	out := map[string]int{}
	emitNodeWith(func(m prometheus.Metric) {
		name := m.Desc().String()
		name, _, _ = strings.Cut(strings.TrimPrefix(name, `Desc{fqName: "`), `"`)
		out[name]++
	}, &read, replicationView{}, policy)
	return out
}

// TestReadNodeLatencyInOneRoundTrip reads a real Redis 7.0 with the
// default latency policy: INFO latencystats, LATENCY HISTOGRAM and LATENCY
// LATEST arrive in the one pipeline that carries INFO, and the three
// latency families come out of it.
func TestReadNodeLatencyInOneRoundTrip(t *testing.T) {
	s := redistest.Standalone(t, redistest.Options{Args: map[string]string{"latency-monitor-threshold": "5"}})
	admin := s.Client(t)
	ctx := context.Background()
	if err := admin.Set(ctx, "k", "v", 0).Err(); err != nil {
		t.Fatal(err)
	}
	// A spike above the threshold for LATENCY LATEST (Lua, no DEBUG).
	if err := admin.Eval(ctx, "local i = 0 while i < 3000000 do i = i + 1 end return i", nil).Err(); err != nil {
		t.Fatal(err)
	}
	c, trips := nodeClient(t, s)
	read := readNode(ctx, c, nodeOf(s), false, &legacyInfo{})
	if read.Err != nil {
		t.Fatal(read.Err)
	}
	if n := trips.n.Load(); n != 1 {
		t.Errorf("a node read took %d round trips, want 1", n)
	}
	if len(read.Latency.Histograms) == 0 || len(read.Latency.Latest) == 0 || len(read.Latency.Percentiles) == 0 {
		t.Fatalf("read holds %d histograms, %d spikes, %d percentile lines; want all three", len(read.Latency.Histograms), len(read.Latency.Latest), len(read.Latency.Percentiles))
	}
	fams := familiesOf(read, CommandStatsPolicy{})
	for _, name := range []string{"redis_latency_percentiles_usec", "redis_commands_latencies_usec", "redis_latency_spike_last", "redis_latency_spike_duration_seconds"} {
		if fams[name] == 0 {
			t.Errorf("no %s series from a real node read", name)
		}
	}
	// The per-command latency families follow scrape.commandstats.
	if fams := familiesOf(read, CommandStatsPolicy{Disabled: true}); fams["redis_latency_percentiles_usec"]+fams["redis_commands_latencies_usec"] != 0 {
		t.Errorf("commandstats disabled still emits per-command latency families: %v", fams)
	}
	if fams := familiesOf(read, CommandStatsPolicy{TopN: 1}); fams["redis_latency_percentiles_usec"] != 1 || fams["redis_commands_latencies_usec"] != 1 {
		t.Errorf("top_n 1 emits %d summaries and %d histograms, want 1 each", fams["redis_latency_percentiles_usec"], fams["redis_commands_latencies_usec"])
	}
}

// TestLatencyPolicyOffSendsNothing: switched off, the node is not asked.
func TestLatencyPolicyOffSendsNothing(t *testing.T) {
	s := redistest.Standalone(t, redistest.Options{})
	c, _ := nodeClient(t, s)
	legacy := &legacyInfo{latency: func() LatencyPolicy { return LatencyPolicy{} }}
	read := readNode(context.Background(), c, nodeOf(s), false, legacy)
	if read.Err != nil {
		t.Fatal(read.Err)
	}
	if len(read.Latency.Histograms) > 0 || len(read.Latency.Latest) > 0 || len(read.Latency.Percentiles) > 0 || read.Info.Section("latency_percentiles_usec_info") != "" {
		t.Error("latency replies read although the policy is off")
	}
	if n := commandCalls(t, s, "latency|histogram") + commandCalls(t, s, "latency|latest"); n != 0 {
		t.Errorf("the node saw %d LATENCY calls, want 0", n)
	}
}

// TestRefusedLatencyIsNotRepeated: a node that refuses LATENCY (renamed
// away, or Redis < 7 for HISTOGRAM) is read as up without those families,
// is not asked again while the same process runs (its error counters would
// grow by one every scrape), and is asked again after a restart.
func TestRefusedLatencyIsNotRepeated(t *testing.T) {
	s := redistest.Standalone(t, redistest.Options{Args: map[string]string{"rename-command": `LATENCY ""`}})
	ctx := context.Background()
	// Interval 0: LATENCY HISTOGRAM is due every read, so only the
	// refusal keeps it from being sent again.
	legacy := &legacyInfo{latency: func() LatencyPolicy { p := DefaultLatencyPolicy(); p.Interval = 0; return p }}
	errorReplies := func() int {
		n, _ := strconv.Atoi(s.Info(t, "stats")["total_error_replies"])
		return n
	}
	c, _ := nodeClient(t, s)
	for i := range 3 {
		read := readNode(ctx, c, nodeOf(s), false, legacy)
		if read.Err != nil {
			t.Fatalf("read %d: %v (a refused LATENCY must not fail the node)", i+1, read.Err)
		}
		if len(read.Latency.Histograms) > 0 || len(read.Latency.Latest) > 0 {
			t.Fatalf("read %d: latency replies from a node without LATENCY", i+1)
		}
		if !read.Info.ClusterEnabled() && read.Info.RunID() == "" {
			t.Fatalf("read %d: INFO missing", i+1)
		}
	}
	if n := errorReplies(); n != 2 {
		t.Errorf("after 3 reads the node sent %d error replies, want 2 (HISTOGRAM and LATEST once)", n)
	}
	s.Restart(t)
	c2, _ := nodeClient(t, s)
	readNode(ctx, c2, nodeOf(s), false, legacy) // learns the new run_id
	readNode(ctx, c2, nodeOf(s), false, legacy) // asks again
	readNode(ctx, c2, nodeOf(s), false, legacy)
	if n := errorReplies(); n != 2 {
		t.Errorf("after a restart and 3 reads the new process sent %d error replies, want 2", n)
	}
}

// TestLatencySnapshotServedWithinInterval: the costly latency reads
// (latencystats, LATENCY HISTOGRAM) go to the node once per interval; the
// rounds in between serve the last read, LATENCY LATEST is read every
// round, and a restarted node's old distributions are not served.
func TestLatencySnapshotServedWithinInterval(t *testing.T) {
	s := redistest.Standalone(t, redistest.Options{})
	ctx := context.Background()
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	legacy := &legacyInfo{now: func() time.Time { return now }}
	c, _ := nodeClient(t, s)
	read := func() NodeRead {
		t.Helper()
		r := readNode(ctx, c, nodeOf(s), false, legacy)
		if r.Err != nil {
			t.Fatal(r.Err)
		}
		return r
	}
	first := read()
	if len(first.Latency.Histograms) == 0 || len(first.Latency.Percentiles) == 0 {
		t.Fatal("the first read has no latency snapshot")
	}
	now = now.Add(DefaultLatencyInterval / 2)
	second := read()
	if len(second.Latency.Histograms) == 0 || len(second.Latency.Percentiles) == 0 || !second.Latency.At.Equal(first.Latency.At) {
		t.Errorf("within the interval the snapshot of %v was not served (got one of %v)", first.Latency.At, second.Latency.At)
	}
	if n := commandCalls(t, s, "latency|histogram"); n != 1 {
		t.Errorf("LATENCY HISTOGRAM sent %d times within one interval, want 1", n)
	}
	if n := commandCalls(t, s, "latency|latest"); n != 2 {
		t.Errorf("LATENCY LATEST sent %d times in 2 reads, want 2", n)
	}
	now = now.Add(DefaultLatencyInterval)
	third := read()
	if n := commandCalls(t, s, "latency|histogram"); n != 2 || !third.Latency.At.After(first.Latency.At) {
		t.Errorf("after the interval: LATENCY HISTOGRAM sent %d times (want 2), snapshot of %v", n, third.Latency.At)
	}
	s.Restart(t)
	c2, _ := nodeClient(t, s)
	c = c2
	if r := read(); len(r.Latency.Histograms) > 0 || len(r.Latency.Percentiles) > 0 {
		t.Error("a restarted node was served the old process' latency distributions")
	}
	if r := read(); len(r.Latency.Histograms) == 0 {
		t.Error("the round after a restart did not read the new process' histogram")
	}
}

// TestReadNodeWrongPasswordFailsTheNode: a connection the node refuses
// (WRONGPASS) fails the read, although go-redis reports it for the
// pipeline and not for its commands.
func TestReadNodeWrongPasswordFailsTheNode(t *testing.T) {
	s := redistest.Standalone(t, redistest.Options{Password: "right"})
	o := s.ClientOptions()
	o.Protocol, o.Password, o.MaxRetries = 2, "wrong", -1
	c := redis.NewClient(o)
	defer c.Close()
	if read := readNode(context.Background(), c, nodeOf(s), false, &legacyInfo{}); read.Err == nil {
		t.Fatalf("a node that refused the password read as up (INFO %d fields)", len(read.Info.Fields))
	}
}

// TestReadNodeIOErrorFailsTheNode: a node that stops answering is down,
// whatever the LATENCY commands in the same pipeline did.
func TestReadNodeIOErrorFailsTheNode(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	go func() {
		for {
			conn, err := ln.Accept()
			if err != nil {
				return
			}
			defer conn.Close() // accepts, never answers
		}
	}()
	c := redis.NewClient(&redis.Options{Addr: ln.Addr().String(), Protocol: 2, DisableIdentity: true, ReadTimeout: 200 * time.Millisecond, MaxRetries: -1})
	defer c.Close()
	read := readNode(context.Background(), c, topology.Node{Name: "x", Addr: ln.Addr().String()}, false, &legacyInfo{})
	if read.Err == nil {
		t.Fatal("a node that never answers read as up")
	}
}

// BenchmarkNodeMetricsLatency is BenchmarkNodeMetrics' parse+emit with the
// latency reads on, as a default scrape has them: INFO with latencystats
// and the decoded LATENCY HISTOGRAM and LATENCY LATEST replies of the
// filled node.
func BenchmarkNodeMetricsLatency(b *testing.B) {
	s := redistest.Standalone(b, redistest.Options{Args: map[string]string{"latency-monitor-threshold": "1"}})
	fillForBench(b, s)
	c := s.Client(b)
	ctx := context.Background()
	if err := c.Eval(ctx, "local i = 0 while i < 3000000 do i = i + 1 end return i", nil).Err(); err != nil {
		b.Fatal(err)
	}
	text, err := c.Info(ctx, infoSectionsWithLatency...).Result()
	if err != nil {
		b.Fatal(err)
	}
	histogram, err := c.Do(ctx, "LATENCY", "HISTOGRAM").Result()
	if err != nil {
		b.Fatal(err)
	}
	latest, err := c.Do(ctx, "LATENCY", "LATEST").Result()
	if err != nil {
		b.Fatal(err)
	}
	node := topology.Node{Name: s.Addr, Addr: s.Addr, Shard: "0", Role: topology.RolePrimary}
	// The snapshot is taken once per LatencyPolicy.Interval, not per read.
	info, err := redisinfo.Parse(text)
	if err != nil {
		b.Fatal(err)
	}
	snapshot := newLatencySnapshot(info, histogram, time.Now())
	snapshot.Latest, _ = redisinfo.ParseLatencyLatest(latest)
	b.SetBytes(int64(len(text)))
	b.ReportAllocs()
	var n int
	for b.Loop() {
		info, err := redisinfo.Parse(text)
		if err != nil {
			b.Fatal(err)
		}
		r := NodeRead{Node: node, Info: info, ReadAt: time.Now(), Latency: snapshot}
		n = 0
		emitNode(func(prometheus.Metric) { n++ }, &r, replicationView{})
	}
	b.ReportMetric(float64(n), "metrics/op")
}
