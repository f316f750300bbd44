package collect

// Benchmarks of one scrape, run by `make bench` (not by `make test`). They
// read real redis-server processes started by redistest and filled with a
// few thousand keys, so INFO is as long as a real node's. The speed goals
// (see BENCHMARKS.md) are checked by bench/compare against redis_exporter,
// never by timed assertions here.

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/redis/go-redis/v9"

	"github.com/elasticache-exporter/elasticache-exporter/internal/config"
	"github.com/elasticache-exporter/elasticache-exporter/internal/redisconn"
	"github.com/elasticache-exporter/elasticache-exporter/internal/redisinfo"
	"github.com/elasticache-exporter/elasticache-exporter/internal/redistest"
	"github.com/elasticache-exporter/elasticache-exporter/internal/slowlog"
	"github.com/elasticache-exporter/elasticache-exporter/internal/topology"
	"github.com/elasticache-exporter/elasticache-exporter/internal/web"
)

// benchKeys is the dataset written before measuring: enough for INFO
// keyspace and commandstats to look like a real node's.
const benchKeys = 5000

// fillForBench writes benchKeys keys (a third with a TTL), runs a dozen
// distinct commands and provokes an error reply, through s's own client.
func fillForBench(b *testing.B, s *redistest.Server) {
	b.Helper()
	ctx := context.Background()
	c := s.Client(b)
	p := c.Pipeline()
	for i := range benchKeys {
		key := fmt.Sprintf("ksql:state:%06d", i)
		switch i % 3 {
		case 0:
			p.Set(ctx, key, "value", 0)
		case 1:
			p.Set(ctx, key, "value", 2*time.Hour)
		case 2:
			p.HSet(ctx, key, "a", i)
		}
		p.Get(ctx, key)
	}
	p.Incr(ctx, "counter")
	p.RPush(ctx, "list", "a", "b")
	p.ZAdd(ctx, "zset", redis.Z{Score: 1, Member: "a"})
	p.SAdd(ctx, "set", "a")
	p.Exists(ctx, "ksql:state:000001")
	p.TTL(ctx, "ksql:state:000001")
	p.Incr(ctx, "list") // WRONGTYPE, for errorstats
	_, _ = p.Exec(ctx)  // the WRONGTYPE reply is the point
}

// benchExporter is an Exporter reading the group seeded at addr, with the
// topology discovered once, the way the daemon builds it.
func benchExporter(b *testing.B, addr string, wantNodes int) (*Exporter, func()) {
	b.Helper()
	return benchExporterWith(b, addr, wantNodes, nil)
}

func benchExporterWith(b *testing.B, addr string, wantNodes int, cs []Collector) (*Exporter, func()) {
	b.Helper()
	pool := redisconn.NewPool(redisconn.Credentials{ClientName: "bench", DialTimeout: 5 * time.Second})
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	topo, err := topology.RedisSource([]string{addr}, pool)(ctx)
	if err != nil {
		b.Fatal(err)
	}
	topo.Normalize()
	if len(topo.Nodes) != wantNodes {
		b.Fatalf("discovered %d nodes, want %d", len(topo.Nodes), wantNodes)
	}
	e := New(Options{
		Topology:    func() *topology.Topology { return topo },
		Acquire:     func() ClientLease { return pool.Acquire() },
		Concurrency: func() int { return 16 },
		Collectors:  cs,
	})
	for _, m := range e.Gather(context.Background(), 10*time.Second) { // connect before timing
		_ = m
	}
	return e, pool.Close
}

// BenchmarkScrapeGather is one scrape round without HTTP: INFO per node
// (one round trip), parsing, and the const metrics.
func BenchmarkScrapeGather(b *testing.B) {
	b.Run("standalone", func(b *testing.B) {
		s := redistest.Standalone(b, redistest.Options{})
		fillForBench(b, s)
		benchGather(b, s.Addr, 1)
	})
	b.Run("primary+2replicas", func(b *testing.B) {
		r := redistest.NewReplication(b, 2, redistest.Options{})
		fillForBench(b, r.Primary)
		benchGather(b, r.Primary.Addr, 3)
	})
}

func benchGather(b *testing.B, addr string, nodes int) {
	e, closePool := benchExporter(b, addr, nodes)
	defer closePool()
	ctx := context.Background()
	var n int
	b.ReportAllocs()
	for b.Loop() {
		n = len(e.Gather(ctx, 10*time.Second))
	}
	b.ReportMetric(float64(n), "metrics/op")
}

// BenchmarkScrapeHTTP is one GET /metrics through the daemon's handler,
// with the request headers Prometheus sends (OpenMetrics, gzip): the
// scrape, the registry merge and the encoding. "exporter-only" is this
// package alone; "daemon" adds what internal/app wires next to it: the Go
// and process collectors and the slow log (SLOWLOG per node as a NodeHook,
// the recorder and tracker as extra collectors). The difference between
// the two is their share.
func BenchmarkScrapeHTTP(b *testing.B) {
	s := redistest.Standalone(b, redistest.Options{})
	fillForBench(b, s)
	for _, tc := range []struct {
		name   string
		daemon bool
		gzip   bool
	}{
		{"exporter-only/gzip", false, true},
		{"daemon/gzip", true, true},
		{"daemon/identity", true, false},
	} {
		b.Run(tc.name, func(b *testing.B) {
			var cs []Collector
			reg := prometheus.NewRegistry()
			if tc.daemon {
				reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
				cfg := config.Default()
				rec := slowlog.NewRecorder(cfg.Redis.ClientName, cfg.Slowlog, cfg.Logs)
				tracker := slowlog.NewTracker(rec)
				cs = []Collector{FromPrometheus("slowlog_history", rec, nil), slowlogBenchCollector{tracker}}
			}
			e, closePool := benchExporterWith(b, s.Addr, 1, cs)
			defer closePool()
			h, err := web.NewRouter(web.Deps{
				TelemetryPath: "/metrics",
				Gatherer:      reg,
				Scrape:        e.Gather,
				Timeout:       func() (time.Duration, time.Duration) { return 10 * time.Second, 500 * time.Millisecond },
				Ready:         func() (bool, string) { return true, "" },
				Reload:        func() error { return nil },
				Topology:      func() any { return nil },
				Logger:        slog.New(slog.DiscardHandler),
			})
			if err != nil {
				b.Fatal(err)
			}
			req := httptest.NewRequest(http.MethodGet, "/metrics", nil)
			req.Header.Set("Accept", "application/openmetrics-text;version=1.0.0,application/openmetrics-text;version=0.0.1;q=0.75,text/plain;version=0.0.4;q=0.5,*/*;q=0.1")
			if tc.gzip {
				req.Header.Set("Accept-Encoding", "gzip")
			}
			var size int
			b.ReportAllocs()
			for b.Loop() {
				w := &countingWriter{header: http.Header{}}
				h.ServeHTTP(w, req)
				if w.status != 0 && w.status != http.StatusOK {
					b.Fatalf("GET /metrics: status %d", w.status)
				}
				size = w.n
			}
			b.ReportMetric(float64(size), "bytes/scrape")
		})
	}
}

// slowlogBenchCollector reads SLOWLOG on each node's connection after
// INFO, as the daemon's slow log collector does.
type slowlogBenchCollector struct{ t *slowlog.Tracker }

func (slowlogBenchCollector) Name() string { return "slowlog" }

func (c slowlogBenchCollector) Update(ctx context.Context, in *Input, ch chan<- prometheus.Metric) error {
	for i := range in.Nodes {
		n := &in.Nodes[i]
		if n.Up() {
			if err := c.t.Scrape(ctx, n.Client, n.Node.Name, n.Node.Shard, n.RunID()); err != nil {
				return err
			}
		}
	}
	c.t.Collect(ch)
	return nil
}

// countingWriter is a ResponseWriter that only counts, so the benchmark
// measures the handler rather than a buffer.
type countingWriter struct {
	header http.Header
	status int
	n      int
}

func (w *countingWriter) Header() http.Header { return w.header }
func (w *countingWriter) WriteHeader(s int)   { w.status = s }
func (w *countingWriter) Write(p []byte) (int, error) {
	w.n += len(p)
	return len(p), nil
}

// BenchmarkNodeMetrics is the CPU-only part of reading one node: parse an
// INFO reply captured from the filled node, and turn it into metrics.
func BenchmarkNodeMetrics(b *testing.B) {
	s := redistest.Standalone(b, redistest.Options{})
	fillForBench(b, s)
	text, err := s.Client(b).Info(context.Background(), infoSections...).Result()
	if err != nil {
		b.Fatal(err)
	}
	node := topology.Node{Name: s.Addr, Addr: s.Addr, Shard: "0", Role: topology.RolePrimary}
	b.Run("parse", func(b *testing.B) {
		b.SetBytes(int64(len(text)))
		b.ReportAllocs()
		for b.Loop() {
			if _, err := redisinfo.Parse(text); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("parse+emit", func(b *testing.B) {
		b.SetBytes(int64(len(text)))
		b.ReportAllocs()
		var n int
		for b.Loop() {
			info, err := redisinfo.Parse(text)
			if err != nil {
				b.Fatal(err)
			}
			r := NodeRead{Node: node, Info: info}
			n = 0
			emitNode(func(prometheus.Metric) { n++ }, &r, replicationView{})
		}
		b.ReportMetric(float64(n), "metrics/op")
	})
}
