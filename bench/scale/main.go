// Command scale measures elasticache-exporter against a stub Redis Cluster
// of 300, 1,500 and 3,000 nodes (issue #11) and writes the "Scale" section
// of BENCHMARKS.md.
//
// For each size N (N/3 shards × 3 nodes) it starts the stub
// (bench/stubcluster) in a child process of its own, so the stub's CPU is
// never counted as the exporter's, then:
//
//  1. starts bin/exporter pointed at one seed node, waits for /readyz and
//     scrapes /metrics 10 times the way Prometheus 2.42 does (its Accept
//     header, gzip, X-Prometheus-Scrape-Timeout-Seconds: 10) over one
//     kept-alive connection; then again with a fresh exporter and a new
//     HTTP connection per scrape (the worst honest case);
//  2. starts redis_exporter and reads the same N nodes through its
//     multi-target /scrape?target=redis://…, every node once per round,
//     16 at a time as a Prometheus would.
//
// Per scrape it records the wall time, the nodes reported redis_up 1, the
// samples and bytes of the exposition and the exporter's CPU
// (/proc/PID/stat); after the scrapes the RSS (VmRSS, VmHWM), the sockets
// the exporter holds (/proc/PID/fd) and the connections and commands every
// stub node counted.
//
// Run it through `make bench`; `-sizes 300` runs one size. Linux only.
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/elasticache-exporter/elasticache-exporter/bench/benchutil"
	"github.com/elasticache-exporter/elasticache-exporter/bench/scale/mdsection"
	"github.com/elasticache-exporter/elasticache-exporter/bench/stubcluster"
)

type options struct {
	exporter      string
	redisExporter string
	sizes         []int
	nodesPerShard int
	stubHost      string
	scrapes       int
	theirsRounds  int
	concurrency   int
	scrapeTimeout time.Duration
	readyTimeout  time.Duration
	out           string
	// exporterConfig is a --config.file for the exporter ("" for the
	// defaults), to measure a documented profile such as the large-cluster one.
	exporterConfig string
}

func main() { os.Exit(runMain()) }

func runMain() int {
	var o options
	var sizes string
	var serveStub bool
	var stubShards int
	flag.StringVar(&o.exporter, "exporter", "bin/exporter", "elasticache-exporter binary to measure (build it with `make build`)")
	flag.StringVar(&o.redisExporter, "redis-exporter", "/usr/bin/prometheus-redis-exporter", "redis_exporter binary, the baseline (Debian package prometheus-redis-exporter); \"\" skips it")
	flag.StringVar(&o.exporterConfig, "exporter-config", "", "a --config.file for elasticache-exporter (\"\" runs it with the defaults), e.g. bench/scale/large-cluster.yml")
	flag.StringVar(&sizes, "sizes", "300,1500,3000", "cluster sizes in nodes, comma-separated; each a multiple of -nodes-per-shard")
	flag.IntVar(&o.nodesPerShard, "nodes-per-shard", 3, "nodes per shard: a primary and its replicas")
	flag.StringVar(&o.stubHost, "stub-host", "::1", "loopback address of the stub's nodes: ::1 (default: on a shared machine, other tests' clients dial free-looking 127.0.0.1 ports and land on the stub's thousands of listeners) or 127.0.0.1")
	flag.IntVar(&o.scrapes, "scrapes", 10, "scrapes of elasticache-exporter per size and connection mode")
	flag.IntVar(&o.theirsRounds, "redis-exporter-rounds", 3, "rounds of redis_exporter /scrape per size, each reading every node once")
	flag.IntVar(&o.concurrency, "redis-exporter-concurrency", 16, "redis_exporter /scrape requests in flight at once")
	flag.DurationVar(&o.scrapeTimeout, "scrape-timeout", 10*time.Second, "the scrape timeout announced to the exporter (X-Prometheus-Scrape-Timeout-Seconds)")
	flag.DurationVar(&o.readyTimeout, "ready-timeout", 2*time.Minute, "how long the exporter may take to answer /readyz")
	flag.StringVar(&o.out, "out", "BENCHMARKS.md", "report whose Scale section is (re)written; \"\" prints it instead")
	flag.BoolVar(&serveStub, "serve-stub", false, "internal: serve a stub cluster of -stub-shards × -nodes-per-shard (the benchmark's child process)")
	flag.IntVar(&stubShards, "stub-shards", 0, "internal: shards of the stub served by -serve-stub")
	flag.Parse()

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if serveStub {
		if err := stubcluster.Serve(ctx, stubcluster.Config{Shards: stubShards, NodesPerShard: o.nodesPerShard, Host: o.stubHost}, os.Stdout); err != nil {
			fmt.Fprintln(os.Stderr, "scale: stub:", err)
			return 1
		}
		return 0
	}
	var err error
	if o.sizes, err = parseSizes(sizes, o.nodesPerShard); err != nil {
		fmt.Fprintln(os.Stderr, "scale:", err)
		return 2
	}
	if o.scrapes < 1 || o.theirsRounds < 0 || o.concurrency < 1 || o.scrapeTimeout <= 0 {
		fmt.Fprintln(os.Stderr, "scale: -scrapes and -redis-exporter-concurrency must be at least 1, -redis-exporter-rounds at least 0, -scrape-timeout positive")
		return 2
	}
	rep, err := run(ctx, o)
	if err != nil {
		fmt.Fprintln(os.Stderr, "scale:", err)
		return 1
	}
	section := rep.render()
	fmt.Print(rep.summary())
	if o.out == "" {
		fmt.Print(section)
		return 0
	}
	old, err := os.ReadFile(o.out)
	if err != nil && !os.IsNotExist(err) {
		fmt.Fprintln(os.Stderr, "scale:", err)
		return 1
	}
	doc, err := mdsection.Replace(string(old), sectionName, section)
	if err == nil {
		err = os.WriteFile(o.out, []byte(doc), 0o644)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "scale:", err)
		return 1
	}
	fmt.Fprintf(os.Stderr, "scale: wrote the %s section of %s\n", sectionName, o.out)
	return 0
}

// sectionName marks the block of BENCHMARKS.md this tool owns.
const sectionName = "scale"

func parseSizes(s string, perShard int) ([]int, error) {
	if perShard < 1 || perShard > 16 {
		return nil, fmt.Errorf("-nodes-per-shard %d: want 1 to 16", perShard)
	}
	var out []int
	for _, f := range strings.Split(s, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(f))
		if err != nil || n < perShard || n%perShard != 0 || n/perShard > 16384 {
			return nil, fmt.Errorf("-sizes: %q is not a node count that is a multiple of %d with at most 16384 shards", f, perShard)
		}
		out = append(out, n)
	}
	return out, nil
}

func run(ctx context.Context, o options) (*report, error) {
	var err error
	if o.exporter, err = benchutil.ResolveBinary(o.exporter, "-exporter", "run `make build`"); err != nil {
		return nil, err
	}
	if o.redisExporter != "" {
		if o.redisExporter, err = benchutil.ResolveBinary(o.redisExporter, "-redis-exporter", "install the Debian package prometheus-redis-exporter (`make deps`), or pass -redis-exporter ''"); err != nil {
			return nil, err
		}
	}
	self, err := os.Executable()
	if err != nil {
		return nil, err
	}
	dir, err := os.MkdirTemp("", "exporter-scale-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(dir)

	r := &report{started: time.Now(), opts: o, machine: benchutil.DescribeMachine(), loadStart: loadAverage(), commit: gitDescribe()}
	r.versions = map[string]string{
		"elasticache-exporter": benchutil.FirstLine(benchutil.CommandOutput(o.exporter, "--version")),
		"go":                   benchutil.FirstLine(benchutil.CommandOutput("go", "version")),
	}
	if o.redisExporter != "" {
		r.versions["redis_exporter"] = benchutil.LogMessage(benchutil.FirstLine(benchutil.CommandOutput(o.redisExporter, "-version")))
	}
	for _, n := range o.sizes {
		res, err := measureSize(ctx, o, self, dir, n)
		if err != nil {
			return nil, fmt.Errorf("%d nodes: %w", n, err)
		}
		r.sizes = append(r.sizes, res)
	}
	r.finished, r.loadEnd = time.Now(), loadAverage()
	return r, nil
}

// sizeResult is everything measured at one cluster size.
type sizeResult struct {
	nodes, shards int
	stubRSS       int64
	keepAlive     *oursRun
	newConn       *oursRun
	theirs        *theirsRun
}

func measureSize(ctx context.Context, o options, self, dir string, n int) (*sizeResult, error) {
	res := &sizeResult{nodes: n, shards: n / o.nodesPerShard}
	logf("%d nodes: starting the stub cluster (%d shards × %d)", n, res.shards, o.nodesPerShard)
	stub, err := startStub(ctx, self, res.shards, o.nodesPerShard, o.stubHost, filepath.Join(dir, fmt.Sprintf("stub-%d.log", n)))
	if err != nil {
		return nil, err
	}
	defer stub.stop()
	for _, mode := range []connMode{keepAlive, newConnection} {
		logf("%d nodes: elasticache-exporter, %d scrapes, %s", n, o.scrapes, mode)
		run, err := measureOurs(ctx, o, stub, mode, filepath.Join(dir, fmt.Sprintf("exporter-%d-%s.log", n, mode.short())))
		if err != nil {
			return nil, fmt.Errorf("elasticache-exporter (%s): %w", mode, err)
		}
		run.log()
		if mode == keepAlive {
			res.keepAlive = run
		} else {
			res.newConn = run
		}
	}
	if o.redisExporter != "" && o.theirsRounds > 0 {
		logf("%d nodes: redis_exporter, %d rounds of /scrape over every node, %d at a time", n, o.theirsRounds, o.concurrency)
		run, err := measureTheirs(ctx, o, stub, filepath.Join(dir, fmt.Sprintf("redis_exporter-%d.log", n)))
		if err != nil {
			return nil, fmt.Errorf("redis_exporter: %w", err)
		}
		run.log()
		res.theirs = run
	}
	if _, peak, err := procMemory(stub.pid()); err == nil {
		res.stubRSS = peak
	}
	return res, nil
}

// gitDescribe names the commit measured, "-dirty" when the tree has
// uncommitted changes (others edit the tree while benchmarks run).
func gitDescribe() string {
	out := benchutil.CommandOutput("git", "describe", "--always", "--dirty", "--abbrev=12")
	if out == "" || strings.Contains(out, "fatal") {
		return "unknown"
	}
	return out
}

func logf(format string, args ...any) {
	fmt.Fprintf(os.Stderr, "scale: "+format+"\n", args...)
}
