package collect

// Benchmarks of one scrape, run by `make bench` (not by `make test`). They
// read real redis-server processes started by redistest and filled with a
// few thousand keys, so INFO is as long as a real node's. The speed goals
// (see BENCHMARKS.md) are checked by bench/compare against redis_exporter,
// never by timed assertions here.

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/redis/go-redis/v9"

	"github.com/elasticache-exporter/elasticache-exporter/internal/redisconn"
	"github.com/elasticache-exporter/elasticache-exporter/internal/redisinfo"
	"github.com/elasticache-exporter/elasticache-exporter/internal/redistest"
	"github.com/elasticache-exporter/elasticache-exporter/internal/topology"
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
	e.Gather(context.Background(), 10*time.Second) // connect before timing
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
		n = e.Gather(ctx, 10*time.Second).Samples
	}
	b.ReportMetric(float64(n), "samples/op")
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
