// Command compare measures elasticache-exporter side by side with
// redis_exporter on the same Redis and writes the result to BENCHMARKS.md.
//
// It starts its own redis-server processes on free loopback ports (a
// standalone node, and a primary with two replicas), fills them with a few
// thousand keys, then runs each exporter in turn, never both at once:
// start, warm up, N sequential scrapes of /metrics, stop. Per scrape it
// records the exporter's CPU (/proc/PID/stat), the nodes' CPU (INFO cpu,
// with the nodes' idle CPU measured just before taken out), the
// connections the nodes accepted (INFO stats total_connections_received),
// the commands they ran (INFO commandstats), the exporter's RSS and the
// scrape latency. Every measurement is repeated (-repeat, default 3, the
// order of the two exporters alternating) and the median is reported.
//
// Run it through `make bench`, which builds bin/exporter first. Linux only
// (it reads /proc).
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/elasticache-exporter/elasticache-exporter/bench/benchutil"
	"github.com/elasticache-exporter/elasticache-exporter/bench/scale/mdsection"
)

type options struct {
	exporter      string
	redisExporter string
	redisServer   string
	scrapes       int
	warmup        int
	repeat        int
	keys          int
	baseline      time.Duration
	idle          time.Duration
	out           string
	goBench       bool
	goBenchPkgs   string
	profile       int
	note          string
}

func main() { os.Exit(runMain()) }

func runMain() int {
	var o options
	flag.StringVar(&o.exporter, "exporter", "bin/exporter", "elasticache-exporter binary to measure (build it with `make build`)")
	flag.StringVar(&o.redisExporter, "redis-exporter", "/usr/bin/prometheus-redis-exporter", "redis_exporter binary, the baseline (Debian package prometheus-redis-exporter)")
	flag.StringVar(&o.redisServer, "redis-server", "redis-server", "redis-server binary")
	flag.IntVar(&o.scrapes, "scrapes", 500, "measured scrapes per run")
	flag.IntVar(&o.warmup, "warmup", 30, "unmeasured scrapes before each run")
	flag.IntVar(&o.repeat, "repeat", 3, "runs per exporter and scenario; the median is reported")
	flag.IntVar(&o.keys, "keys", 5000, "keys written to each group before measuring")
	flag.DurationVar(&o.baseline, "baseline", 2*time.Second, "window measuring the nodes' idle CPU before each run")
	flag.DurationVar(&o.idle, "idle", 35*time.Second, "window measuring each exporter running unscraped (background cost); 0 skips it")
	flag.StringVar(&o.out, "out", "BENCHMARKS.md", "report file to write")
	flag.BoolVar(&o.goBench, "gobench", true, "also run the Go benchmarks and include their output")
	flag.StringVar(&o.goBenchPkgs, "gobench-pkgs", "./internal/redisinfo ./internal/collect", "packages whose Go benchmarks are run")
	flag.StringVar(&o.note, "note", "", "a paragraph (Markdown) printed under the report's header: what the tables alone do not say about this run, such as the machine being shared or another run's numbers")
	flag.IntVar(&o.profile, "profile", 3000, "iterations of the HTTP scrape benchmark run under the CPU profiler to split a scrape's CPU; 0 skips it")
	flag.Parse()
	if o.scrapes < 1 || o.repeat < 1 || o.warmup < 0 || o.keys < 10 {
		fmt.Fprintln(os.Stderr, "compare: -scrapes and -repeat must be at least 1, -warmup at least 0, -keys at least 10")
		return 2
	}

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	rep, err := compare(ctx, o)
	if err != nil {
		fmt.Fprintln(os.Stderr, "compare:", err)
		return 1
	}
	// The report is rewritten whole, but the blocks other tools generate
	// into it (bench/scale's section, between <!-- NAME:begin/end -->
	// markers) are carried over.
	old, err := os.ReadFile(o.out)
	if err != nil && !os.IsNotExist(err) {
		fmt.Fprintln(os.Stderr, "compare:", err)
		return 1
	}
	if err := os.WriteFile(o.out, []byte(mdsection.Carry(string(old), rep.render())), 0o644); err != nil {
		fmt.Fprintln(os.Stderr, "compare:", err)
		return 1
	}
	fmt.Print(rep.summary())
	fmt.Fprintf(os.Stderr, "compare: wrote %s\n", o.out)
	return 0
}

func compare(ctx context.Context, o options) (*report, error) {
	var err error
	if o.exporter, err = benchutil.ResolveBinary(o.exporter, "-exporter", "run `make build`"); err != nil {
		return nil, err
	}
	if o.redisExporter, err = benchutil.ResolveBinary(o.redisExporter, "-redis-exporter", "install the Debian package prometheus-redis-exporter (`make deps`)"); err != nil {
		return nil, err
	}
	if o.redisServer, err = benchutil.ResolveBinary(o.redisServer, "-redis-server", "install redis-server (`make deps`)"); err != nil {
		return nil, err
	}
	r := &report{started: time.Now(), opts: o, machine: benchutil.DescribeMachine()}
	r.versions = map[string]string{
		"elasticache-exporter": benchutil.FirstLine(benchutil.CommandOutput(o.exporter, "--version")),
		"redis_exporter":       benchutil.LogMessage(benchutil.FirstLine(benchutil.CommandOutput(o.redisExporter, "-version"))),
		"redis-server":         benchutil.FirstLine(benchutil.CommandOutput(o.redisServer, "--version")),
		"go":                   benchutil.FirstLine(benchutil.CommandOutput("go", "version")),
	}

	if o.goBench {
		logf("running the Go benchmarks (%s)", o.goBenchPkgs)
		args := append([]string{"test", "-run", "^$", "-bench", ".", "-benchmem"}, strings.Fields(o.goBenchPkgs)...)
		out, err := exec.CommandContext(ctx, "go", args...).CombinedOutput()
		if err != nil {
			return nil, fmt.Errorf("go %s: %w\n%s", strings.Join(args, " "), err, out)
		}
		r.goBench = "go " + strings.Join(args, " ")
		r.goBenchOut = filterBench(string(out))
	}

	dir, err := os.MkdirTemp("", "exporter-bench-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(dir)
	if o.profile > 0 {
		logf("profiling %d scrapes of the HTTP benchmark", o.profile)
		p, err := profileScrape(ctx, dir, o.profile)
		if err != nil {
			return nil, err
		}
		r.profile = &p
	}
	logDir := filepath.Join(dir, "logs")
	if err := os.MkdirAll(logDir, 0o700); err != nil {
		return nil, err
	}
	mc := measureConfig{scrapes: o.scrapes, warmup: o.warmup, baseline: o.baseline, logDir: logDir}
	ours, theirs := ourExporter(o.exporter), redisExporter(o.redisExporter)

	// Standalone: the headline, one node for both exporters.
	logf("standalone: starting redis-server and writing %d keys", o.keys)
	sa, err := startStandalone(ctx, o.redisServer, dir)
	if err != nil {
		return nil, err
	}
	defer sa.stop()
	if err := prefill(ctx, sa.nodes[0], o.keys); err != nil {
		return nil, err
	}
	s1 := scenario{name: "standalone node", oursNodes: 1, theirsNodes: 1}
	if err := s1.measure(ctx, o, ours, theirs, sa, mc); err != nil {
		return nil, err
	}
	if o.idle > 0 {
		for _, e := range []exporter{ours, theirs} {
			logf("standalone: %s running unscraped for %s", e.name, o.idle)
			ir, err := measureIdle(ctx, e, sa, 1, o.idle, o.baseline, logDir)
			if err != nil {
				return nil, err
			}
			r.idle = append(r.idle, ir)
		}
	}
	sa.stop()
	r.scenarios = append(r.scenarios, s1)

	// Replication group: our exporter reads all three nodes per scrape,
	// redis_exporter the one it is pointed at; compared per node.
	logf("replication group: starting a primary and 2 replicas, writing %d keys", o.keys)
	rg, err := startReplication(ctx, o.redisServer, dir, 2)
	if err != nil {
		return nil, err
	}
	defer rg.stop()
	if err := prefill(ctx, rg.nodes[0], o.keys); err != nil {
		return nil, err
	}
	if err := waitReplicasCaughtUp(ctx, rg); err != nil {
		return nil, err
	}
	s2 := scenario{name: "replication group (primary + 2 replicas)", oursNodes: 3, theirsNodes: 1}
	if err := s2.measure(ctx, o, ours, theirs, rg, mc); err != nil {
		return nil, err
	}
	rg.stop()
	r.scenarios = append(r.scenarios, s2)
	r.finished = time.Now()
	return r, nil
}

// scenario is one Redis shape with the runs of both exporters against it.
type scenario struct {
	name                   string
	oursNodes, theirsNodes int
	ours, theirs           []run
}

func (s *scenario) measure(ctx context.Context, o options, ours, theirs exporter, g *group, mc measureConfig) error {
	for i := range o.repeat {
		order := []exporter{ours, theirs}
		if i%2 == 1 {
			order = []exporter{theirs, ours}
		}
		for _, e := range order {
			nodes := s.theirsNodes
			if e.name == ours.name {
				nodes = s.oursNodes
			}
			logf("%s: run %d/%d, %s reading %d node(s), %d scrapes", s.name, i+1, o.repeat, e.name, nodes, o.scrapes)
			res, err := measure(ctx, e, g, nodes, mc)
			if err != nil {
				return fmt.Errorf("%s, run %d: %w", s.name, i+1, err)
			}
			logf("  exporter CPU %.3f ms/scrape, Redis CPU %.1f µs/scrape, new connections %.2f/scrape, RSS %.1f MiB",
				ms(res.cpu)/float64(res.scrapes), us(res.redisCPU)/float64(res.scrapes), float64(res.newConns)/float64(res.scrapes), mib(res.rss))
			if e.name == ours.name {
				s.ours = append(s.ours, res)
			} else {
				s.theirs = append(s.theirs, res)
			}
		}
	}
	return nil
}

// waitReplicasCaughtUp waits until every replica has applied the primary's
// whole replication stream, so the prefill does not land in a window.
func waitReplicasCaughtUp(ctx context.Context, g *group) error {
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		p, err := g.nodes[0].info(ctx)
		if err != nil {
			return err
		}
		caughtUp := true
		for _, n := range g.nodes[1:] {
			m, err := n.info(ctx)
			if err != nil {
				return err
			}
			if m["slave_repl_offset"] != p["master_repl_offset"] {
				caughtUp = false
			}
		}
		if caughtUp {
			return nil
		}
		time.Sleep(50 * time.Millisecond)
	}
	return fmt.Errorf("replicas did not catch up with the primary within 30s")
}

// filterBench keeps the lines of `go test -bench` output a reader needs.
func filterBench(out string) string {
	var keep []string
	for _, line := range strings.Split(out, "\n") {
		for _, p := range []string{"Benchmark", "goos:", "goarch:", "pkg:", "cpu:", "ok ", "FAIL", "--- "} {
			if strings.HasPrefix(line, p) {
				keep = append(keep, line)
				break
			}
		}
	}
	return strings.Join(keep, "\n")
}

func logf(format string, args ...any) {
	fmt.Fprintf(os.Stderr, "compare: "+format+"\n", args...)
}

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }
func us(d time.Duration) float64 { return float64(d) / float64(time.Microsecond) }
func mib(b int64) float64        { return float64(b) / (1 << 20) }
