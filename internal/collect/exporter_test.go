package collect

import (
	"bytes"
	"context"
	"errors"
	"strings"
	"sync/atomic"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"

	"github.com/elasticache-exporter/elasticache-exporter/internal/redisconn"
	"github.com/elasticache-exporter/elasticache-exporter/internal/redistest"
	"github.com/elasticache-exporter/elasticache-exporter/internal/topology"
)

// testExporter reads the given nodes (all in shard "0") with extra collectors.
func testExporter(t *testing.T, addrs []string, cs ...Collector) *Exporter {
	t.Helper()
	pool := redisconn.NewPool(redisconn.Credentials{ClientName: "test", DialTimeout: time.Second})
	t.Cleanup(pool.Close)
	topo := topology.SeedTopology(addrs)
	return New(Options{
		Topology:    func() *topology.Topology { return topo },
		Acquire:     func() ClientLease { return pool.Acquire() },
		Concurrency: func() int { return 4 },
		Collectors:  cs,
	})
}

// sample is one metric's name, labels and value, for assertions.
type sample struct {
	name   string
	labels map[string]string
	value  float64
}

// samples parses an exposition, checking it is valid text format.
func samples(t *testing.T, exp *Exposition) []sample {
	t.Helper()
	if exp == nil {
		t.Fatal("nil exposition")
	}
	plain, err := exp.Plain()
	if err != nil {
		t.Fatal(err)
	}
	parser := expfmt.NewTextParser(model.UTF8Validation)
	fams, err := parser.TextToMetricFamilies(bytes.NewReader(plain))
	if err != nil {
		t.Fatalf("the exposition does not parse: %v\n%s", err, plain)
	}
	var out []sample
	for name, mf := range fams {
		for _, m := range mf.GetMetric() {
			s := sample{name: name, labels: map[string]string{}}
			for _, l := range m.GetLabel() {
				s.labels[l.GetName()] = l.GetValue()
			}
			switch {
			case m.Gauge != nil:
				s.value = m.GetGauge().GetValue()
			case m.Counter != nil:
				s.value = m.GetCounter().GetValue()
			case m.Untyped != nil:
				s.value = m.GetUntyped().GetValue()
			}
			out = append(out, s)
		}
	}
	return out
}

func find(ss []sample, name string, labels map[string]string) []sample {
	var out []sample
next:
	for _, s := range ss {
		if s.name != name {
			continue
		}
		for k, v := range labels {
			if s.labels[k] != v {
				continue next
			}
		}
		out = append(out, s)
	}
	return out
}

func value(t *testing.T, ss []sample, name string, labels map[string]string) float64 {
	t.Helper()
	got := find(ss, name, labels)
	if len(got) != 1 {
		t.Fatalf("%s%v: %d series, want 1", name, labels, len(got))
	}
	return got[0].value
}

// An error reply whose code is not UTF-8 reaches INFO errorstats; the
// scrape must sanitise it, not panic, and the next scrapes must work.
func TestInvalidUTF8ErrorCodeIsSanitised(t *testing.T) {
	s := redistest.Standalone(t, redistest.Options{})
	c := s.Client(t)
	ctx := context.Background()
	for _, code := range []string{"\xff\xfeBAD oops", "\xff\xfdBAD oops", strings.Repeat("\xc3", 300) + " x"} {
		err := c.Eval(ctx, "return redis.error_reply(ARGV[1])", nil, code).Err()
		if err == nil {
			t.Fatal("EVAL error_reply returned no error")
		}
	}
	e := testExporter(t, []string{s.Addr})
	for range 3 {
		ss := samples(t, e.Gather(ctx, 5*time.Second))
		if v := value(t, ss, "redis_up", map[string]string{"node": s.Addr}); v != 1 {
			t.Fatalf("redis_up = %v", v)
		}
		if v := value(t, ss, "elasticache_exporter_scrape_collector_success", map[string]string{"collector": "redis"}); v != 1 {
			t.Fatalf("collector_success{redis} = %v", v)
		}
		errs := find(ss, "redis_errors_total", nil)
		if len(errs) == 0 {
			t.Fatal("no redis_errors_total series")
		}
		var merged float64
		for _, s := range errs {
			if !utf8.ValidString(s.labels["err"]) || len(s.labels["err"]) > MaxLabelBytes {
				t.Fatalf("err label %q is not valid UTF-8 or too long", s.labels["err"])
			}
			if s.labels["err"] == "\uFFFDBAD" {
				merged = s.value
			}
		}
		if merged != 2 {
			t.Fatalf("the two codes that sanitise to the same label should add up to 2, got %v in %v", merged, errs)
		}
	}
}

// A panicking collector fails alone: the round ends, the Redis series are
// served, and the next round runs normally.
func TestPanickingCollectorFailsAlone(t *testing.T) {
	s := redistest.Standalone(t, redistest.Options{})
	var calls atomic.Int32
	boom := CollectorFunc{CollectorName: "boom", Fn: func(context.Context, *Input, chan<- prometheus.Metric) error {
		calls.Add(1)
		panic("collector bug")
	}}
	e := testExporter(t, []string{s.Addr}, boom)
	for i := range 3 {
		start := time.Now()
		ss := samples(t, e.Gather(context.Background(), 5*time.Second))
		if d := time.Since(start); d > 2*time.Second {
			t.Fatalf("round %d took %s: a panic left it waiting for its deadline", i, d)
		}
		if v := value(t, ss, "redis_up", map[string]string{"node": s.Addr}); v != 1 {
			t.Fatalf("round %d: redis_up = %v", i, v)
		}
		if v := value(t, ss, "elasticache_exporter_scrape_collector_success", map[string]string{"collector": "boom"}); v != 0 {
			t.Fatalf("round %d: collector_success{boom} = %v, want 0", i, v)
		}
	}
	if calls.Load() != 3 {
		t.Fatalf("the panicking collector ran %d times in 3 rounds", calls.Load())
	}
}

// A collector that outlives its round is reported failed and skipped by
// later rounds until it returns, instead of piling up goroutines.
func TestStuckCollectorIsSkippedNotStacked(t *testing.T) {
	release := make(chan struct{})
	var calls atomic.Int32
	stuck := CollectorFunc{CollectorName: "stuck", Fn: func(context.Context, *Input, chan<- prometheus.Metric) error {
		calls.Add(1)
		<-release
		return nil
	}}
	e := testExporter(t, nil, stuck)
	defer close(release)
	for i := range 3 {
		ss := samples(t, e.Gather(context.Background(), MinRoundTimeout))
		if v := value(t, ss, "elasticache_exporter_scrape_collector_success", map[string]string{"collector": "stuck"}); v != 0 {
			t.Fatalf("round %d: collector_success{stuck} = %v, want 0", i, v)
		}
	}
	if n := calls.Load(); n != 1 {
		t.Fatalf("a stuck collector was started %d times, want 1", n)
	}
}

// The round belongs to nobody: the client that started it leaving at once
// (a disconnect, or a 1 ms deadline) changes nothing for the clients that
// wait for it, and the impatient client gets the newest complete round.
func TestRoundOutlivesItsFirstClient(t *testing.T) {
	s := redistest.Standalone(t, redistest.Options{})
	slow := make(chan struct{})
	slowCollector := CollectorFunc{CollectorName: "slow", Fn: func(ctx context.Context, _ *Input, _ chan<- prometheus.Metric) error {
		select {
		case <-slow:
		case <-ctx.Done():
		}
		return nil
	}}
	e := testExporter(t, []string{s.Addr}, slowCollector)

	// A first complete round, so there is something to fall back on.
	close(slow)
	e.Gather(context.Background(), 5*time.Second)
	slow = make(chan struct{})

	cancelled, cancel := context.WithCancel(context.Background())
	cancel()
	impatient := samples(t, e.Gather(cancelled, time.Millisecond)) // starts the round and leaves
	if v := value(t, impatient, "redis_up", map[string]string{"node": s.Addr}); v != 1 {
		t.Fatalf("impatient client: redis_up = %v, want the previous round's 1", v)
	}
	firstRound := value(t, impatient, "elasticache_exporter_scrape_round_timestamp_seconds", nil)
	if firstRound <= 0 {
		t.Fatalf("impatient client: round timestamp = %v, want the previous round's", firstRound)
	}

	done := make(chan []sample)
	go func() { done <- samples(t, e.Gather(context.Background(), 5*time.Second)) }()
	time.Sleep(200 * time.Millisecond)
	close(slow)
	patient := <-done
	if v := value(t, patient, "redis_up", map[string]string{"node": s.Addr}); v != 1 {
		t.Fatalf("a client joined to the round of one that left reads redis_up = %v", v)
	}
	if v := value(t, patient, "elasticache_exporter_scrape_round_timestamp_seconds", nil); v <= firstRound {
		t.Fatalf("patient client: round timestamp = %v, want a round newer than %v", v, firstRound)
	}
}

// Before any round completed, a client that cannot wait gets every node:
// those read by then with their values, the others as redis_up 0.
func TestImpatientClientBeforeFirstRoundGetsEveryNode(t *testing.T) {
	up := redistest.Standalone(t, redistest.Options{})
	paused := redistest.Standalone(t, redistest.Options{})
	paused.Pause()
	defer paused.Resume()
	e := testExporter(t, []string{up.Addr, paused.Addr})
	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel()
	ss := samples(t, e.Gather(ctx, 3*time.Second))
	if v := value(t, ss, "redis_up", map[string]string{"node": up.Addr}); v != 1 {
		t.Fatalf("answering node: redis_up = %v", v)
	}
	if v := value(t, ss, "redis_up", map[string]string{"node": paused.Addr}); v != 0 {
		t.Fatalf("paused node: redis_up = %v", v)
	}
}

func TestRoundTimeoutIsClamped(t *testing.T) {
	for _, tc := range []struct{ in, want time.Duration }{
		{time.Millisecond, MinRoundTimeout},
		{-time.Second, MinRoundTimeout},
		{10 * time.Second, 10 * time.Second},
		{time.Hour, MaxRoundTimeout},
	} {
		if got := RoundTimeout(tc.in); got != tc.want {
			t.Errorf("RoundTimeout(%s) = %s, want %s", tc.in, got, tc.want)
		}
	}
}

// An error from a collector is data: success 0, its series still served.
func TestFailingCollectorKeepsItsSeries(t *testing.T) {
	desc := prometheus.NewDesc("test_value", "h", nil, nil)
	failing := CollectorFunc{CollectorName: "cache", Fn: func(_ context.Context, _ *Input, ch chan<- prometheus.Metric) error {
		ch <- prometheus.MustNewConstMetric(desc, prometheus.GaugeValue, 7)
		return errors.New("refresh failed")
	}}
	e := testExporter(t, nil, failing)
	ss := samples(t, e.Gather(context.Background(), time.Second))
	if v := value(t, ss, "test_value", nil); v != 7 {
		t.Fatalf("test_value = %v", v)
	}
	if v := value(t, ss, "elasticache_exporter_scrape_collector_success", map[string]string{"collector": "cache"}); v != 0 {
		t.Fatalf("collector_success{cache} = %v", v)
	}
}

// The node series are never given up on: even when building them takes
// longer than the round's deadline (a starved CPU), every node is in the
// answer, and the next round builds them again.
func TestNodeSeriesOutliveTheDeadline(t *testing.T) {
	s := redistest.Standalone(t, redistest.Options{})
	pool := redisconn.NewPool(redisconn.Credentials{ClientName: "test", DialTimeout: time.Second})
	t.Cleanup(pool.Close)
	topo := topology.SeedTopology([]string{s.Addr})
	e := New(Options{
		Topology:    func() *topology.Topology { return topo },
		Acquire:     func() ClientLease { return pool.Acquire() },
		Concurrency: func() int { return 4 },
		// Called while the node series are built: a stand-in for a CPU
		// so busy that building them outlasts the round.
		CommandStats: func() CommandStatsPolicy { time.Sleep(2 * MinRoundTimeout); return CommandStatsPolicy{} },
	})
	for i := range 2 {
		ss := samples(t, e.Gather(context.Background(), MinRoundTimeout))
		if v := value(t, ss, "redis_up", map[string]string{"node": s.Addr}); v != 1 {
			t.Fatalf("round %d: redis_up = %v", i, v)
		}
	}
}

// badMetric panics when it is written.
type badMetric struct{ d *prometheus.Desc }

func (b badMetric) Desc() *prometheus.Desc { return b.d }
func (badMetric) Write(*dto.Metric) error  { panic("broken metric") }

// A collector that sends a nil metric or one that panics while being
// written fails alone; the process and the other series go on.
func TestBrokenMetricsFailTheirCollectorOnly(t *testing.T) {
	s := redistest.Standalone(t, redistest.Options{})
	d := prometheus.NewDesc("test_broken", "Broken.", nil, nil)
	broken := CollectorFunc{CollectorName: "broken", Fn: func(_ context.Context, _ *Input, ch chan<- prometheus.Metric) error {
		ch <- nil
		ch <- badMetric{d}
		return nil
	}}
	e := testExporter(t, []string{s.Addr}, broken)
	for i := range 2 {
		ss := samples(t, e.Gather(context.Background(), 5*time.Second))
		if v := value(t, ss, "redis_up", map[string]string{"node": s.Addr}); v != 1 {
			t.Fatalf("round %d: redis_up = %v", i, v)
		}
		if v := value(t, ss, "elasticache_exporter_scrape_collector_success", map[string]string{"collector": "broken"}); v != 0 {
			t.Fatalf("round %d: collector_success{broken} = %v, want 0", i, v)
		}
	}
}
