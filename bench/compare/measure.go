package main

import (
	"bytes"
	"compress/gzip"
	"context"
	"fmt"
	"io"
	"math"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// exporter is one of the two daemons being compared.
type exporter struct {
	name string // as printed in the report
	path string
	// args returns the command line that points the daemon at addr and
	// serves on listen.
	args func(addr, listen string) []string
	// upSeries counts the redis_up samples with value 1 in an exposition,
	// i.e. how many nodes the daemon read in that scrape.
	upSeries func(body string) int
}

func ourExporter(path string) exporter {
	return exporter{
		name: "elasticache-exporter",
		path: path,
		args: func(addr, listen string) []string {
			return []string{"--redis.addr=" + addr, "--web.listen-address=" + listen, "--log.level=warn"}
		},
		upSeries: countUp,
	}
}

// redisExporterFlags are the opt-in flags redis_exporter is given: those
// that make it export what elasticache-exporter exports by default and that
// work on ElastiCache. `--include-system-metrics` adds
// redis_total_system_memory_bytes (ours has it). Left out: `--export-client-list`
// and `--export-client-port` (CLIENT LIST per scrape; ours does not export
// it, see docs/compatibility.md), `--include-config-metrics` (CONFIG is
// blocked on ElastiCache), the key, stream and script checks (per-deployment
// patterns, not exported here), `--is-cluster` (key checks on a cluster only)
// and `--ping-on-connect` (a PING per scrape that adds no series). Its
// latency families (INFO latencystats, LATENCY LATEST) are on by default in
// 1.45, which has no LATENCY HISTOGRAM.
var redisExporterFlags = []string{"--include-system-metrics"}

func redisExporter(path string) exporter {
	return exporter{
		name: "redis_exporter",
		path: path,
		args: func(addr, listen string) []string {
			return append([]string{"--redis.addr=redis://" + addr, "--web.listen-address=" + listen}, redisExporterFlags...)
		},
		upSeries: countUp,
	}
}

// countUp counts `redis_up{…} 1` / `redis_up 1` sample lines.
func countUp(body string) int {
	n := 0
	for _, line := range strings.Split(body, "\n") {
		if !strings.HasPrefix(line, "redis_up") || strings.HasPrefix(line, "redis_uptime") {
			continue
		}
		f := strings.Fields(line)
		if len(f) >= 2 && f[len(f)-1] == "1" {
			n++
		}
	}
	return n
}

// countSamples counts sample lines (neither comments nor blank).
func countSamples(body string) int {
	n := 0
	for _, line := range strings.Split(body, "\n") {
		if line != "" && line[0] != '#' {
			n++
		}
	}
	return n
}

// running is a started exporter process.
type running struct {
	cmd    *exec.Cmd
	done   chan struct{}
	url    string
	client *http.Client
}

func startExporter(e exporter, addr, logDir string) (*running, error) {
	port, err := freePort()
	if err != nil {
		return nil, err
	}
	listen := "127.0.0.1:" + strconv.Itoa(port)
	logf, err := os.Create(filepath.Join(logDir, fmt.Sprintf("%s-%d.log", e.name, port)))
	if err != nil {
		return nil, err
	}
	defer logf.Close()
	cmd := exec.Command(e.path, e.args(addr, listen)...)
	cmd.Stdout, cmd.Stderr = logf, logf
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("start %s: %w", e.path, err)
	}
	r := &running{
		cmd: cmd, done: make(chan struct{}), url: "http://" + listen + "/metrics",
		// Like Prometheus: one kept-alive connection per target.
		client: &http.Client{Timeout: 15 * time.Second, Transport: &http.Transport{DisableCompression: true, MaxIdleConnsPerHost: 1}},
	}
	go func() { _ = cmd.Wait(); close(r.done) }()
	return r, nil
}

func (r *running) pid() int { return r.cmd.Process.Pid }

func (r *running) stop() {
	_ = r.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-r.done:
	case <-time.After(10 * time.Second):
		_ = r.cmd.Process.Kill()
		<-r.done
	}
	r.client.CloseIdleConnections()
}

// scrape fetches /metrics the way Prometheus 2.42 does (its Accept header,
// gzip, a scrape timeout header) and returns the raw, still compressed
// body; decompression is left to the caller so the benchmark spends no CPU
// on it in the measured loop.
func (r *running) scrape(ctx context.Context) (body []byte, gzipped bool, err error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, r.url, nil)
	if err != nil {
		return nil, false, err
	}
	req.Header.Set("Accept", "application/openmetrics-text;version=1.0.0,application/openmetrics-text;version=0.0.1;q=0.75,text/plain;version=0.0.4;q=0.5,*/*;q=0.1")
	req.Header.Set("Accept-Encoding", "gzip")
	req.Header.Set("X-Prometheus-Scrape-Timeout-Seconds", "10")
	resp, err := r.client.Do(req)
	if err != nil {
		return nil, false, err
	}
	defer resp.Body.Close()
	body, err = io.ReadAll(resp.Body)
	if err != nil {
		return nil, false, err
	}
	if resp.StatusCode != http.StatusOK {
		return nil, false, fmt.Errorf("GET %s: %s", r.url, resp.Status)
	}
	return body, resp.Header.Get("Content-Encoding") == "gzip", nil
}

func (r *running) scrapeText(ctx context.Context) (string, error) {
	body, gz, err := r.scrape(ctx)
	if err != nil {
		return "", err
	}
	if !gz {
		return string(body), nil
	}
	zr, err := gzip.NewReader(bytes.NewReader(body))
	if err != nil {
		return "", err
	}
	plain, err := io.ReadAll(zr)
	return string(plain), err
}

// waitNodes scrapes until the exporter reports `want` nodes up (our
// exporter discovers the replicas after start).
func (r *running) waitNodes(ctx context.Context, e exporter, want int) (string, error) {
	deadline := time.Now().Add(20 * time.Second)
	var last string
	var lastErr error
	for time.Now().Before(deadline) {
		select {
		case <-r.done:
			return "", fmt.Errorf("%s exited during start", e.name)
		default:
		}
		body, err := r.scrapeText(ctx)
		if err == nil && e.upSeries(body) == want {
			return body, nil
		}
		last, lastErr = body, err
		time.Sleep(50 * time.Millisecond)
	}
	return "", fmt.Errorf("%s: not %d nodes up within 20s (last error %v, redis_up samples up: %d)", e.name, want, lastErr, e.upSeries(last))
}

// run is one measured window of one exporter against one group.
type run struct {
	exporter   string
	scrapes    int
	nodes      int           // nodes the exporter reads per scrape
	wall       time.Duration // of the measured window
	cpu        time.Duration // exporter process CPU in the window
	redisCPU   time.Duration // summed over the nodes read, idle baseline removed
	newConns   int64         // summed over the nodes read
	calls      map[string]int64
	rss, peak  int64
	latencies  []time.Duration
	bodyBytes  int // uncompressed size of the last scrape
	wireBytes  int // as sent (gzip)
	samples    int
	idleRedis  time.Duration // baseline CPU rate of the nodes read, per second
	ownInfoPer int           // INFO calls the benchmark itself made per node in the window
}

type measureConfig struct {
	scrapes, warmup int
	baseline        time.Duration
	logDir          string
}

// measure starts e against g's first node, waits until it reads `nodes`
// nodes, warms up, and measures `scrapes` sequential scrapes.
func measure(ctx context.Context, e exporter, g *group, nodes int, mc measureConfig) (run, error) {
	res := run{exporter: e.name, scrapes: mc.scrapes, nodes: nodes}
	targets := g.nodes[:nodes]

	// The nodes' own idle CPU (serverCron, replication pings), measured
	// with no exporter attached, so it can be taken out of the window.
	idleRate, err := idleCPURate(ctx, targets, mc.baseline)
	if err != nil {
		return res, err
	}
	res.idleRedis = idleRate

	r, err := startExporter(e, g.nodes[0].addr, mc.logDir)
	if err != nil {
		return res, err
	}
	defer r.stop()
	if _, err := r.waitNodes(ctx, e, nodes); err != nil {
		return res, err
	}
	for range mc.warmup {
		if _, _, err := r.scrape(ctx); err != nil {
			return res, fmt.Errorf("%s warm-up: %w", e.name, err)
		}
	}

	before, err := readCounters(ctx, targets)
	if err != nil {
		return res, err
	}
	cpu0, err := procCPU(r.pid())
	if err != nil {
		return res, err
	}
	start := time.Now()
	res.latencies = make([]time.Duration, 0, mc.scrapes)
	var body []byte
	var gz bool
	for range mc.scrapes {
		t0 := time.Now()
		body, gz, err = r.scrape(ctx)
		if err != nil {
			return res, fmt.Errorf("%s scrape: %w", e.name, err)
		}
		res.latencies = append(res.latencies, time.Since(t0))
	}
	res.wall = time.Since(start)
	cpu1, err := procCPU(r.pid())
	if err != nil {
		return res, err
	}
	after, err := readCounters(ctx, targets)
	if err != nil {
		return res, err
	}
	if res.rss, res.peak, err = procMemory(r.pid()); err != nil {
		return res, err
	}
	res.cpu = cpu1 - cpu0
	res.calls = map[string]int64{}
	for i := range targets {
		d := after[i].delta(before[i])
		res.redisCPU += d.cpu
		res.newConns += d.connections
		for cmd, n := range d.calls {
			res.calls[cmd] += n
		}
	}
	// The "before" INFO of each node is counted in its "after" reply.
	res.ownInfoPer = 1
	res.calls["info"] -= int64(len(targets))
	if res.calls["info"] == 0 {
		delete(res.calls, "info")
	}
	res.redisCPU -= time.Duration(float64(idleRate) * res.wall.Seconds())

	res.wireBytes = len(body)
	text := string(body)
	if gz {
		zr, err := gzip.NewReader(bytes.NewReader(body))
		if err != nil {
			return res, err
		}
		plain, err := io.ReadAll(zr)
		if err != nil {
			return res, err
		}
		text = string(plain)
	}
	res.bodyBytes = len(text)
	res.samples = countSamples(text)
	if up := e.upSeries(text); up != nodes {
		return res, fmt.Errorf("%s: last scrape reported %d nodes up, want %d", e.name, up, nodes)
	}
	return res, nil
}

func readCounters(ctx context.Context, nodes []*redisNode) ([]redisCounters, error) {
	out := make([]redisCounters, len(nodes))
	for i, n := range nodes {
		m, err := n.info(ctx)
		if err != nil {
			return nil, err
		}
		if out[i], err = countersFromInfo(m); err != nil {
			return nil, fmt.Errorf("%s: %w", n.name, err)
		}
	}
	return out, nil
}

// idleCPURate is the nodes' summed CPU per second of wall time while
// nothing but the benchmark's own two INFO calls touches them.
func idleCPURate(ctx context.Context, nodes []*redisNode, window time.Duration) (time.Duration, error) {
	before, err := readCounters(ctx, nodes)
	if err != nil {
		return 0, err
	}
	start := time.Now()
	select {
	case <-time.After(window):
	case <-ctx.Done():
		return 0, ctx.Err()
	}
	after, err := readCounters(ctx, nodes)
	if err != nil {
		return 0, err
	}
	elapsed := time.Since(start)
	var cpu time.Duration
	for i := range nodes {
		cpu += after[i].delta(before[i]).cpu
	}
	return time.Duration(float64(cpu) / elapsed.Seconds()), nil
}

// idleRun measures an exporter that is running but not scraped, over a
// window longer than our exporter's 30 s discovery interval: what it costs
// the process and the nodes in the background.
type idleRun struct {
	exporter string
	window   time.Duration
	cpu      time.Duration
	redisCPU time.Duration
	newConns int64
	calls    map[string]int64
}

func measureIdle(ctx context.Context, e exporter, g *group, nodes int, window, baseline time.Duration, logDir string) (idleRun, error) {
	res := idleRun{exporter: e.name, window: window}
	targets := g.nodes[:nodes]
	idleRate, err := idleCPURate(ctx, targets, baseline)
	if err != nil {
		return res, err
	}
	r, err := startExporter(e, g.nodes[0].addr, logDir)
	if err != nil {
		return res, err
	}
	defer r.stop()
	if _, err := r.waitNodes(ctx, e, nodes); err != nil {
		return res, err
	}
	before, err := readCounters(ctx, targets)
	if err != nil {
		return res, err
	}
	cpu0, err := procCPU(r.pid())
	if err != nil {
		return res, err
	}
	start := time.Now()
	select {
	case <-time.After(window):
	case <-ctx.Done():
		return res, ctx.Err()
	}
	elapsed := time.Since(start)
	cpu1, err := procCPU(r.pid())
	if err != nil {
		return res, err
	}
	after, err := readCounters(ctx, targets)
	if err != nil {
		return res, err
	}
	res.window = elapsed
	res.cpu = cpu1 - cpu0
	res.calls = map[string]int64{}
	for i := range targets {
		d := after[i].delta(before[i])
		res.redisCPU += d.cpu
		res.newConns += d.connections
		for cmd, n := range d.calls {
			res.calls[cmd] += n
		}
	}
	res.calls["info"] -= int64(len(targets))
	if res.calls["info"] == 0 {
		delete(res.calls, "info")
	}
	res.redisCPU -= time.Duration(float64(idleRate) * elapsed.Seconds())
	return res, nil
}

// percentile is the nearest-rank percentile (p in 0..100) of ds.
func percentile(ds []time.Duration, p float64) time.Duration {
	if len(ds) == 0 {
		return 0
	}
	s := slices.Clone(ds)
	slices.Sort(s)
	rank := int(math.Ceil(p/100*float64(len(s)))) - 1
	return s[min(max(rank, 0), len(s)-1)]
}

// median of xs (the mean of the middle two for an even count).
func median(xs []float64) float64 {
	if len(xs) == 0 {
		return 0
	}
	s := slices.Clone(xs)
	slices.Sort(s)
	m := len(s) / 2
	if len(s)%2 == 1 {
		return s[m]
	}
	return (s[m-1] + s[m]) / 2
}
