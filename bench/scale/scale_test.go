package main

import (
	"bytes"
	"compress/gzip"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/elasticache-exporter/elasticache-exporter/bench/stubcluster"
)

// TestMain lets the test binary serve a stub cluster when started as the
// benchmark's child process, as the scale binary does with -serve-stub.
func TestMain(m *testing.M) {
	if shards := os.Getenv("SCALE_TEST_SERVE_STUB"); shards != "" {
		n, _ := strconv.Atoi(shards)
		host := "127.0.0.1"
		for i, a := range os.Args {
			if a == "-stub-host" && i+1 < len(os.Args) {
				host = os.Args[i+1]
			}
		}
		if err := stubcluster.Serve(context.Background(), stubcluster.Config{Shards: n, NodesPerShard: 3, Host: host}, os.Stdout); err != nil {
			os.Exit(1)
		}
		os.Exit(0)
	}
	os.Exit(m.Run())
}

func TestReadExposition(t *testing.T) {
	text := strings.Join([]string{
		"# HELP redis_up 1 if the node answered",
		"# TYPE redis_up gauge",
		`redis_up{node="127.0.0.1:1",shard="0-5460"} 1`,
		`redis_up{node="127.0.0.1:2",shard="0-5460"} 0`,
		`redis_up{node="a}b",shard="x"} 1 1700000000.000`, // OpenMetrics timestamp, '}' in a label value
		"redis_up 1",
		"redis_uptime_in_seconds 5",
		`redis_upstream{x="1"} 1`,
		"",
		"# EOF",
	}, "\n") + "\n"
	want := exposition{samples: 6, up: 4, upOne: 3, plain: len(text)}
	var gz bytes.Buffer
	zw := gzip.NewWriter(&gz)
	_, _ = zw.Write([]byte(text))
	_ = zw.Close()
	for _, tc := range []struct {
		name string
		body []byte
		gz   bool
	}{{"plain", []byte(text), false}, {"gzip", gz.Bytes(), true}} {
		got, err := readExposition(tc.body, tc.gz)
		want.wire = len(tc.body)
		if err != nil || got != want {
			t.Errorf("%s: %+v, %v; want %+v", tc.name, got, err, want)
		}
	}
	// A line longer than the reader's buffer is one sample, not several.
	long := "x{l=\"" + strings.Repeat("a", 200<<10) + "\"} 1\nredis_up 1\n"
	got, err := readExposition([]byte(long), false)
	if err != nil || got.samples != 2 || got.upOne != 1 || got.plain != len(long) {
		t.Errorf("long line: %+v, %v", got, err)
	}
	if _, err := readExposition([]byte("not gzip"), true); err == nil {
		t.Error("a body claimed gzip but not gzip: no error")
	}
}

func TestParseSizes(t *testing.T) {
	got, err := parseSizes("300, 1500,3000", 3)
	if err != nil || len(got) != 3 || got[1] != 1500 {
		t.Errorf("parseSizes: %v, %v", got, err)
	}
	for _, bad := range []string{"", "301", "0", "-3", "x", "300,,3000", strconv.Itoa(3 * 16385)} {
		if _, err := parseSizes(bad, 3); err == nil {
			t.Errorf("parseSizes(%q): no error", bad)
		}
	}
	if _, err := parseSizes("300", 0); err == nil {
		t.Error("0 nodes per shard: no error")
	}
}

// fakeOurs is a run that meets every goal at n nodes; tests spoil one
// field at a time.
func fakeOurs(n int, mode connMode) *oursRun {
	r := &oursRun{mode: mode, nodes: n, deadline: 10 * time.Second, rss: 200e6, peak: 220e6, sockets: n + 2,
		steadyCPU: 9 * time.Duration(n) * time.Millisecond, steadyScrapes: 9}
	for i := range 10 {
		wall := 900 * time.Millisecond
		if i == 0 {
			wall = 2 * time.Second
		}
		r.scrapes = append(r.scrapes, scrapeResult{wall: wall, cpu: time.Duration(n) * time.Millisecond, expo: exposition{upOne: n, up: n, samples: 100 * n}})
	}
	r.stub = stubDelta{nodes: n, accepted: make([]int64, n), openAfter: make([]int64, n), commands: map[string]int64{"info": int64(10 * n)}}
	for i := range n {
		r.stub.accepted[i], r.stub.openAfter[i] = 1, 1
	}
	return r
}

func TestVerdicts(t *testing.T) {
	build := func(spoil func(s, big *sizeResult)) *report {
		s := &sizeResult{nodes: goalNodes, shards: goalNodes / 3, keepAlive: fakeOurs(goalNodes, keepAlive), newConn: fakeOurs(goalNodes, newConnection)}
		big := &sizeResult{nodes: deadlineNodes, shards: deadlineNodes / 3, keepAlive: fakeOurs(deadlineNodes, keepAlive), newConn: fakeOurs(deadlineNodes, newConnection)}
		big.keepAlive.scrapes[0].wall = 10 * time.Second
		if spoil != nil {
			spoil(s, big)
		}
		return &report{opts: options{scrapeTimeout: 10 * time.Second, nodesPerShard: 3}, sizes: []*sizeResult{s, big}}
	}
	for _, v := range build(nil).verdicts() {
		if !v.ok {
			t.Errorf("goal %q missed with %s; the fake run meets every goal", v.goal, v.measured)
		}
	}
	if n := len(build(nil).verdicts()); n != 14 {
		t.Errorf("%d verdicts, want 6 goals × 2 modes at %d nodes + 2 at %d", n, goalNodes, deadlineNodes)
	}
	for _, tc := range []struct {
		goal  string
		spoil func(s, big *sizeResult)
	}{
		{"redis_up 1", func(s, _ *sizeResult) { s.keepAlive.scrapes[4].expo.upOne-- }},
		{"redis_up 1", func(s, _ *sizeResult) {
			s.newConn.scrapes[3] = scrapeResult{wall: time.Second, err: "GET /metrics: 503"}
		}},
		{"median scrape", func(s, _ *sizeResult) {
			for i := range s.newConn.scrapes[1:] {
				s.newConn.scrapes[i+1].wall += 101 * time.Millisecond
			}
		}},
		{"first scrape ≤ 2.0 s", func(s, _ *sizeResult) { s.keepAlive.scrapes[0].wall += time.Millisecond }},
		{"RSS", func(s, _ *sizeResult) { s.keepAlive.rss = 256e6 + 1 }},
		{"exactly 1 connection", func(s, _ *sizeResult) { s.newConn.stub.accepted[7] = 2 }},
		{"exactly 1 connection", func(s, _ *sizeResult) { s.newConn.stub.openAfter[7] = 0 }},
		{"CPU per node", func(s, _ *sizeResult) { s.keepAlive.steadyCPU = 9 * time.Duration(s.nodes) * 1010 * time.Microsecond }},
		{"deadline", func(_, big *sizeResult) { big.newConn.scrapes[0].wall = 10*time.Second + time.Millisecond }},
		{"deadline", func(_, big *sizeResult) { big.newConn.scrapes[0].expo.upOne = big.nodes - 1 }},
	} {
		missed := 0
		for _, v := range build(tc.spoil).verdicts() {
			if !v.ok {
				missed++
				if !strings.Contains(v.goal, tc.goal) {
					t.Errorf("spoiling %q missed %q", tc.goal, v.goal)
				}
			}
		}
		if missed == 0 {
			t.Errorf("spoiling %q: every goal still holds", tc.goal)
		}
	}
}

func TestRender(t *testing.T) {
	r := &report{started: time.Now(), finished: time.Now(), opts: options{scrapeTimeout: 10 * time.Second, nodesPerShard: 3, scrapes: 10, concurrency: 16, theirsRounds: 1},
		commit: "abc", versions: map[string]string{"go": "go1"}}
	for _, n := range []int{300, goalNodes} {
		s := &sizeResult{nodes: n, shards: n / 3, keepAlive: fakeOurs(n, keepAlive), newConn: fakeOurs(n, newConnection)}
		r.sizes = append(r.sizes, s)
	}
	r.sizes[0].theirs = &theirsRun{nodes: 300, concurrency: 16, deadline: 10 * time.Second,
		rounds: []theirsRound{{wall: time.Second, cpu: 900 * time.Millisecond, latencies: []time.Duration{time.Millisecond, 11 * time.Second}, upOne: 300}},
		stub:   stubDelta{accepted: []int64{1, 1}, commands: map[string]int64{"info": 300, "unknown:config": 300}},
		rss:    30e6, peak: 40e6}
	out := r.render()
	for _, want := range []string{
		"## Scale: 300 and 1,500 nodes", "### Scale goals (issue #11)", "### 300 nodes (100 shards × 3)", "### 1,500 nodes (500 shards × 3)",
		"| **exporter CPU per node and scrape (ms)**, scrapes 2–10 / every round | **1.000** | **1.000** | **3.000** |",
		"CPU per node is **0.33×** redis_exporter's", "1 of 2 requests (slowest 11.00 s)", "`unknown:config` 1",
		"| 1,500 | newconn | 10 |",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("render lacks %q", want)
		}
	}
	if strings.Contains(out, "<!--") {
		t.Error("render writes markers itself; mdsection owns them")
	}
}

// TestRedisExporterRound runs the measuring code end to end on a small
// stub in a child process: redis_exporter reads every node once per round,
// on a new Redis connection each.
func TestRedisExporterRound(t *testing.T) {
	bin, err := exec.LookPath("/usr/bin/prometheus-redis-exporter")
	if err != nil {
		t.Fatalf("%v (install the Debian package prometheus-redis-exporter: make deps)", err)
	}
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	t.Setenv("SCALE_TEST_SERVE_STUB", "2")
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	stub, err := startStub(ctx, self, 2, 3, "::1", filepath.Join(t.TempDir(), "stub.log"))
	if err != nil {
		t.Fatal(err)
	}
	defer stub.stop()
	o := options{redisExporter: bin, theirsRounds: 2, concurrency: 4, scrapeTimeout: 10 * time.Second}
	run, err := measureTheirs(ctx, o, stub, filepath.Join(t.TempDir(), "redis_exporter.log"))
	if err != nil {
		t.Fatal(err)
	}
	if len(run.rounds) != 2 || run.minUp() != 6 || run.rounds[1].samples < 6*100 {
		t.Errorf("rounds %d, fewest up %d, samples %d; want 2 rounds of 6 nodes up with their INFO", len(run.rounds), run.minUp(), run.rounds[1].samples)
	}
	if acc := spreadOf(run.stub.accepted); acc.min != 2 || acc.max != 2 {
		t.Errorf("connections accepted per node %+v, want 2 (one per round)", acc)
	}
	if run.stub.commands["info"] != 12 || run.stub.unknownCmds["unknown:config"] != 12 {
		t.Errorf("commands %v", run.stub.commands)
	}
	if !strings.HasPrefix(stub.ready.Seed, "[::1]:") {
		t.Errorf("stub seed %s, want one on ::1", stub.ready.Seed)
	}
	if run.rss <= 0 || run.peak < run.rss {
		t.Errorf("rss %d peak %d", run.rss, run.peak)
	}
}
