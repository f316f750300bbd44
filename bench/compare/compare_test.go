package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/elasticache-exporter/elasticache-exporter/bench/benchutil"
)

func readTestdata(t testing.TB, name string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func TestParseStatCPU(t *testing.T) {
	tail := " 0 0 0 0 0 0 0 20 0 1 0 243758 3133440 406"
	tests := []struct {
		name, stat string
		want       time.Duration
		wantErr    bool
	}{
		{"plain", "29281 (exporter) S 1 29281 1 0 -1 4194304 119 0 0 0 250 31" + tail, 2810 * time.Millisecond, false},
		{"name with spaces and parens", "7 (a) b (c) R 1 7 1 0 -1 0 0 0 0 0 3 4" + tail, 70 * time.Millisecond, false},
		{"captured", readTestdata(t, "proc-stat.txt"), 0, false},
		{"no parenthesis", "7 exporter S 1", 0, true},
		{"truncated", "7 (x) S 1 7 1 0 -1 0 0 0 0 0 3", 0, true},
		{"negative ticks", "7 (x) S 1 7 1 0 -1 0 0 0 0 0 -3 4" + tail, 0, true},
		{"not a number", "7 (x) S 1 7 1 0 -1 0 0 0 0 0 a 4" + tail, 0, true},
	}
	for _, tt := range tests {
		got, err := parseStatCPU(tt.stat)
		if (err != nil) != tt.wantErr || got != tt.want {
			t.Errorf("%s: parseStatCPU = %v, %v; want %v, error %v", tt.name, got, err, tt.want, tt.wantErr)
		}
	}
}

func TestParseStatusMemory(t *testing.T) {
	rss, peak, err := parseStatusMemory(readTestdata(t, "proc-status.txt"))
	if err != nil || rss != 1760*1024 || peak != 1760*1024 {
		t.Errorf("captured status: rss %d, peak %d, err %v; want 1760 KiB each", rss, peak, err)
	}
	rss, peak, err = parseStatusMemory("Name:\tx\nVmHWM:\t  300 kB\nVmRSS:\t  200 kB\n")
	if err != nil || rss != 200*1024 || peak != 300*1024 {
		t.Errorf("rss %d, peak %d, err %v; want 200 KiB, 300 KiB", rss, peak, err)
	}
	for _, bad := range []string{"Name:\tkthreadd\n", "VmHWM:\t1 kB\nVmRSS:\t2 MB\n", "VmHWM:\t1 kB\nVmRSS:\tx kB\n"} {
		if _, _, err := parseStatusMemory(bad); err == nil {
			t.Errorf("parseStatusMemory(%q): no error", bad)
		}
	}
}

func FuzzParseStatCPU(f *testing.F) {
	f.Add(readTestdata(f, "proc-stat.txt"))
	f.Add("7 (a) b (c) R 1 7 1 0 -1 0 0 0 0 0 3 4")
	f.Fuzz(func(t *testing.T, s string) {
		if d, err := parseStatCPU(s); err == nil && d < 0 {
			t.Errorf("negative CPU time %v from %q", d, s)
		}
	})
}

func FuzzParseStatusMemory(f *testing.F) {
	f.Add(readTestdata(f, "proc-status.txt"))
	f.Fuzz(func(t *testing.T, s string) {
		if rss, peak, err := parseStatusMemory(s); err == nil && (rss < 0 || peak < 0) {
			t.Errorf("negative sizes %d, %d from %q", rss, peak, s)
		}
	})
}

func TestCountersFromCapturedInfo(t *testing.T) {
	before, err := countersFromInfo(parseInfo(readTestdata(t, "info-before.txt")))
	if err != nil {
		t.Fatal(err)
	}
	after, err := countersFromInfo(parseInfo(readTestdata(t, "info-after.txt")))
	if err != nil {
		t.Fatal(err)
	}
	d := after.delta(before)
	// Between the two captures: one INFO (the first capture) and 10
	// connections each sending one PING.
	if d.connections != 10 {
		t.Errorf("connections delta = %d, want 10", d.connections)
	}
	if d.calls["info"] != 1 || d.calls["ping"] != 10 || len(d.calls) != 2 {
		t.Errorf("calls delta = %v, want info 1, ping 10", d.calls)
	}
	if d.cpu <= 0 || d.cpu > time.Second {
		t.Errorf("cpu delta = %v, want a small positive duration", d.cpu)
	}
}

func TestCountersFromInfoErrors(t *testing.T) {
	good := map[string]string{"used_cpu_sys": "1.5", "used_cpu_user": "0.25", "total_connections_received": "3", "cmdstat_info": "calls=2,usec=10"}
	c, err := countersFromInfo(good)
	if err != nil || c.cpu != 1750*time.Millisecond || c.connections != 3 || c.calls["info"] != 2 {
		t.Fatalf("countersFromInfo(good) = %+v, %v", c, err)
	}
	for field, bad := range map[string]string{
		"used_cpu_sys":               "-",
		"used_cpu_user":              "",
		"total_connections_received": "many",
		"cmdstat_get":                "usec=10",
	} {
		m := map[string]string{}
		for k, v := range good {
			m[k] = v
		}
		m[field] = bad
		if _, err := countersFromInfo(m); err == nil || !strings.Contains(err.Error(), strings.TrimPrefix(field, "cmdstat_")) {
			t.Errorf("%s=%q: error %v, want one naming the field", field, bad, err)
		}
	}
}

func TestCountUp(t *testing.T) {
	body := `# HELP redis_up 1 when up
# TYPE redis_up gauge
redis_up{node="a",shard="0"} 1
redis_up{node="b",shard="0"} 0
redis_up{node="c",shard="0"} 1
redis_uptime_in_seconds{node="a",shard="0"} 1
redis_up 1
`
	if got := countUp(body); got != 3 {
		t.Errorf("countUp = %d, want 3", got)
	}
	if got := countSamples(body); got != 5 {
		t.Errorf("countSamples = %d, want 5", got)
	}
}

func TestPercentileAndMedian(t *testing.T) {
	var ds []time.Duration
	for i := 100; i >= 1; i-- {
		ds = append(ds, time.Duration(i)*time.Millisecond)
	}
	for p, want := range map[float64]time.Duration{50: 50 * time.Millisecond, 99: 99 * time.Millisecond, 100: 100 * time.Millisecond, 0: time.Millisecond} {
		if got := percentile(ds, p); got != want {
			t.Errorf("p%v = %v, want %v", p, got, want)
		}
	}
	if ds[0] != 100*time.Millisecond {
		t.Error("percentile sorted its input in place")
	}
	if percentile(nil, 50) != 0 {
		t.Error("percentile of nothing is not 0")
	}
	for _, tt := range []struct {
		xs   []float64
		want float64
	}{{[]float64{3, 1, 2}, 2}, {[]float64{4, 1, 3, 2}, 2.5}, {nil, 0}} {
		if got := median(tt.xs); got != tt.want {
			t.Errorf("median(%v) = %v, want %v", tt.xs, got, tt.want)
		}
	}
}

func TestFormatCallsEscapesPipes(t *testing.T) {
	got := formatCalls(map[string]float64{"info": 1, "config|get": 2, "ping": 0.001})
	want := "`config\\|get` 2, `info` 1"
	if got != want {
		t.Errorf("formatCalls = %q, want %q", got, want)
	}
	if formatCalls(nil) != "none" {
		t.Error("no calls not written as none")
	}
}

func TestLogMessage(t *testing.T) {
	line := `time="2026-11-25T18:42:45Z" level=info msg="Redis Metrics Exporter 1.45.0-2+b4    build date: 20230409"`
	if got := benchutil.LogMessage(line); got != "Redis Metrics Exporter 1.45.0-2+b4 build date: 20230409" {
		t.Errorf("logMessage = %q", got)
	}
	if got := benchutil.LogMessage("plain"); got != "plain" {
		t.Errorf("benchutil.LogMessage(plain) = %q", got)
	}
}

func TestVerdicts(t *testing.T) {
	mk := func(name string, cpu, redisCPU time.Duration, conns int64, nodes int) run {
		return run{exporter: name, scrapes: 100, nodes: nodes, cpu: cpu, redisCPU: redisCPU, newConns: conns}
	}
	s := scenario{name: "s", oursNodes: 3, theirsNodes: 1,
		ours:   []run{mk("ours", 600*time.Millisecond, 30*time.Millisecond, 0, 3)},
		theirs: []run{mk("theirs", 500*time.Millisecond, 70*time.Millisecond, 100, 1)},
	}
	v := report{scenarios: []scenario{s}}.verdicts()
	// Per node: ours 2 ms vs 5 ms CPU (0.4×), 100 µs vs 700 µs Redis (0.14×).
	if len(v) != 3 || !v[0].ok || v[0].detail != "0.40×" || !v[1].ok || v[1].detail != "0.14×" || !v[2].ok {
		t.Errorf("verdicts = %+v", v)
	}
	s.ours[0].newConns = 1
	s.ours[0].cpu = 2 * time.Second
	v = report{scenarios: []scenario{s}}.verdicts()
	if v[0].ok || v[2].ok {
		t.Errorf("goals held with ours at 1.33× and a new connection: %+v", v)
	}
}

func TestParsePprofShare(t *testing.T) {
	tests := []struct {
		out     string
		pct     float64
		total   time.Duration
		wantErr bool
	}{
		{"File: collect.test\nShowing nodes accounting for 0.77s, 9.59% of 8.03s total\n", 9.59, 8030 * time.Millisecond, false},
		{"Showing nodes accounting for 0, 0% of 8.03s total\n", 0, 8030 * time.Millisecond, false},
		{"Showing nodes accounting for 120ms, 40% of 300ms total\n", 40, 300 * time.Millisecond, false},
		{"pprof: no samples\n", 0, 0, true},
	}
	for _, tt := range tests {
		pct, total, err := parsePprofShare(tt.out)
		if (err != nil) != tt.wantErr || pct != tt.pct || total != tt.total {
			t.Errorf("parsePprofShare(%q) = %v, %v, %v; want %v, %v, error %v", tt.out, pct, total, err, tt.pct, tt.total, tt.wantErr)
		}
	}
}
