package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// connMode is how the benchmark's HTTP client reaches /metrics.
type connMode int

const (
	keepAlive     connMode = iota // one connection for every scrape, as Prometheus does
	newConnection                 // a new TCP connection per scrape: the worst honest case
)

func (m connMode) String() string {
	if m == keepAlive {
		return "keep-alive"
	}
	return "a new connection per scrape"
}

func (m connMode) short() string {
	if m == keepAlive {
		return "keepalive"
	}
	return "newconn"
}

// promAccept is the Accept header Prometheus 2.42 sends.
const promAccept = "application/openmetrics-text;version=1.0.0,application/openmetrics-text;version=0.0.1;q=0.75,text/plain;version=0.0.4;q=0.5,*/*;q=0.1"

// scrapeResult is one GET of /metrics.
type scrapeResult struct {
	wall time.Duration
	cpu  time.Duration // the exporter's CPU from sending the request to reading the last byte
	expo exposition
	err  string // why the scrape failed; "" when it got a 200 and a readable body
}

// oursRun is one exporter process at one size and connection mode.
type oursRun struct {
	mode     connMode
	nodes    int
	ready    time.Duration // from start to /readyz 200
	scrapes  []scrapeResult
	rss      int64 // after the scrapes
	peak     int64 // VmHWM over the process' life
	sockets  int   // socket fds the exporter holds after the scrapes
	stub     stubDelta
	stubCPU  time.Duration // the stub's CPU over the scrapes
	deadline time.Duration // the scrape timeout announced
	// steadyCPU is the exporter's CPU from the second request to the end
	// of the last scrape, gaps included: a round that goes on after its
	// scrape returned at the deadline is counted too.
	steadyCPU     time.Duration
	steadyScrapes int
}

// daemon is a started exporter process.
type daemon struct {
	cmd     *exec.Cmd
	done    chan struct{}
	base    string // http://127.0.0.1:PORT
	logPath string
}

func startDaemon(path string, args func(listen string) []string, logPath string) (*daemon, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	listen := l.Addr().String()
	_ = l.Close()
	logFile, err := os.Create(logPath)
	if err != nil {
		return nil, err
	}
	defer logFile.Close()
	cmd := exec.Command(path, args(listen)...)
	cmd.Stdout, cmd.Stderr = logFile, logFile
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("start %s: %w", path, err)
	}
	d := &daemon{cmd: cmd, done: make(chan struct{}), base: "http://" + listen, logPath: logPath}
	go func() { _ = cmd.Wait(); close(d.done) }()
	return d, nil
}

func (d *daemon) pid() int { return d.cmd.Process.Pid }

func (d *daemon) stop() {
	_ = d.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-d.done:
	case <-time.After(10 * time.Second):
		_ = d.cmd.Process.Kill()
		<-d.done
	}
}

func (d *daemon) exited() bool {
	select {
	case <-d.done:
		return true
	default:
		return false
	}
}

// logTail is the end of the daemon's log, for error messages.
func (d *daemon) logTail() string {
	b, _ := os.ReadFile(d.logPath)
	s := strings.TrimSpace(string(b))
	if len(s) > 2000 {
		s = "…" + s[len(s)-2000:]
	}
	return s
}

// waitOK polls path until it answers 200.
func (d *daemon) waitOK(ctx context.Context, path string, timeout time.Duration) (time.Duration, error) {
	start := time.Now()
	client := &http.Client{Timeout: 2 * time.Second}
	var last string
	for time.Since(start) < timeout {
		if d.exited() {
			return 0, fmt.Errorf("exited before %s answered 200; log:\n%s", path, d.logTail())
		}
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, d.base+path, nil)
		resp, err := client.Do(req)
		if err == nil {
			body, _ := io.ReadAll(io.LimitReader(resp.Body, 512))
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return time.Since(start), nil
			}
			last = resp.Status + ": " + strings.TrimSpace(string(body))
		} else {
			last = err.Error()
		}
		if ctx.Err() != nil {
			return 0, ctx.Err()
		}
		time.Sleep(100 * time.Millisecond)
	}
	return 0, fmt.Errorf("%s not 200 within %s (last: %s)", path, timeout, last)
}

// promRequest is a GET as Prometheus sends it to a target.
func promRequest(ctx context.Context, url string, timeout time.Duration) (*http.Request, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return nil, err
	}
	req.Header.Set("Accept", promAccept)
	req.Header.Set("Accept-Encoding", "gzip")
	req.Header.Set("User-Agent", "Prometheus/2.42.0")
	req.Header.Set("X-Prometheus-Scrape-Timeout-Seconds", strconv.FormatFloat(timeout.Seconds(), 'f', -1, 64))
	return req, nil
}

const maxBody = 1 << 30

// fetch sends one request and reads the whole body, still compressed.
func fetch(client *http.Client, req *http.Request) (body []byte, gzipped bool, err error) {
	resp, err := client.Do(req)
	if err != nil {
		return nil, false, err
	}
	defer resp.Body.Close()
	// Bounded: even 3,000 nodes' gzip exposition is a few MB.
	body, err = io.ReadAll(io.LimitReader(resp.Body, maxBody+1))
	if err != nil {
		return nil, false, err
	}
	if len(body) > maxBody {
		return nil, false, fmt.Errorf("GET %s: body over %d MB", req.URL.Path, maxBody>>20)
	}
	if resp.StatusCode != http.StatusOK {
		return nil, false, fmt.Errorf("GET %s: %s", req.URL.Path, resp.Status)
	}
	return body, resp.Header.Get("Content-Encoding") == "gzip", nil
}

func measureOurs(ctx context.Context, o options, stub *stubProcess, mode connMode, logPath string) (*oursRun, error) {
	res := &oursRun{mode: mode, nodes: stub.ready.Nodes, deadline: o.scrapeTimeout}
	if err := waitStubIdle(ctx, stub); err != nil {
		return nil, err
	}
	before, err := stub.stats(ctx)
	if err != nil {
		return nil, err
	}
	d, err := startDaemon(o.exporter, func(listen string) []string {
		args := []string{"--redis.addr=" + stub.ready.Seed, "--web.listen-address=" + listen, "--log.level=warn"}
		if o.exporterConfig != "" {
			args = append(args, "--config.file="+o.exporterConfig)
		}
		return args
	}, logPath)
	if err != nil {
		return nil, err
	}
	defer d.stop()
	if res.ready, err = d.waitOK(ctx, "/readyz", o.readyTimeout); err != nil {
		return nil, err
	}

	transport := &http.Transport{DisableCompression: true, MaxIdleConnsPerHost: 1}
	if mode == newConnection {
		transport.DisableKeepAlives = true
	}
	client := &http.Client{Transport: transport, Timeout: o.scrapeTimeout + 2*time.Minute}
	defer transport.CloseIdleConnections()
	stubCPU0, err := procCPU(stub.pid())
	if err != nil {
		return nil, err
	}
	var steadyFrom time.Duration
	res.steadyScrapes = max(1, o.scrapes-1)
	for i := range o.scrapes {
		req, err := promRequest(ctx, d.base+"/metrics", o.scrapeTimeout)
		if err != nil {
			return nil, err
		}
		cpu0, err := procCPU(d.pid())
		if err != nil {
			return nil, err
		}
		if i == min(1, o.scrapes-1) {
			steadyFrom = cpu0
		}
		t0 := time.Now()
		body, gz, err := fetch(client, req)
		wall := time.Since(t0)
		if d.exited() {
			return nil, fmt.Errorf("exited during scrape %d; log:\n%s", i+1, d.logTail())
		}
		cpu1, cerr := procCPU(d.pid())
		if cerr != nil {
			return nil, cerr
		}
		// A failed scrape is data, as it is for Prometheus: it counts as
		// one with no node up, and the run goes on.
		sr := scrapeResult{wall: wall, cpu: cpu1 - cpu0}
		if err == nil {
			sr.expo, err = readExposition(body, gz)
		}
		if err != nil {
			sr.err = truncate(err.Error(), 200)
		}
		res.scrapes = append(res.scrapes, sr)
		res.steadyCPU = cpu1 - steadyFrom
		logf("  scrape %2d: %6.2f s, CPU %6.0f ms, redis_up 1: %d of %d, %d samples %s", i+1, wall.Seconds(), ms(sr.cpu), sr.expo.upOne, res.nodes, sr.expo.samples, sr.err)
	}
	stubCPU1, err := procCPU(stub.pid())
	if err != nil {
		return nil, err
	}
	res.stubCPU = stubCPU1 - stubCPU0
	if res.rss, res.peak, err = procMemory(d.pid()); err != nil {
		return nil, err
	}
	if res.sockets, err = procSockets(d.pid()); err != nil {
		return nil, err
	}
	after, err := stub.stats(ctx)
	if err != nil {
		return nil, err
	}
	res.stub = diffStats(before, after)
	return res, nil
}

// waitStubIdle waits until the previous exporter's connections are gone,
// so open-connection counts belong to the exporter being measured.
func waitStubIdle(ctx context.Context, stub *stubProcess) error {
	deadline := time.Now().Add(15 * time.Second)
	for {
		st, err := stub.stats(ctx)
		if err != nil {
			return err
		}
		var open int64
		for _, n := range st {
			open += n.Open
		}
		if open == 0 {
			return nil
		}
		if time.Now().After(deadline) {
			return errors.New("the stub still has connections open 15 s after the last exporter stopped")
		}
		time.Sleep(100 * time.Millisecond)
	}
}

func (r *oursRun) log() {
	walls := r.walls()
	logf("  %s: first %.2f s, median %.2f s, max %.2f s; CPU per node %.3f ms (scrapes 2-%d); RSS %.0f MB (peak %.0f); accepted per node %.2f (max %.0f); sockets %d",
		r.mode, walls[0].Seconds(), median(walls).Seconds(), maxOf(walls).Seconds(), r.steadyCPUPerNode(), len(walls),
		mb(r.rss), mb(r.peak), spreadOf(r.stub.accepted).mean, spreadOf(r.stub.accepted).max, r.sockets)
}

func (r *oursRun) walls() []time.Duration {
	out := make([]time.Duration, len(r.scrapes))
	for i, s := range r.scrapes {
		out[i] = s.wall
	}
	return out
}

// cpuPerNode is the exporter's CPU of scrape i divided by the nodes, in ms.
func (r *oursRun) cpuPerNode(i int) float64 { return ms(r.scrapes[i].cpu) / float64(r.nodes) }

// steadyCPUPerNode is the exporter's CPU per node and scrape over
// scrapes 2 to the last, in ms.
func (r *oursRun) steadyCPUPerNode() float64 {
	return ms(r.steadyCPU) / float64(r.steadyScrapes) / float64(r.nodes)
}

func (r *oursRun) medianExposition() exposition {
	xs := make([]exposition, len(r.scrapes))
	for i, s := range r.scrapes {
		xs[i] = s.expo
	}
	slices.SortFunc(xs, func(a, b exposition) int { return a.samples - b.samples })
	return xs[len(xs)/2]
}

// minUp is the fewest nodes reported redis_up 1 in any scrape.
func (r *oursRun) minUp() int {
	m := r.nodes
	for _, s := range r.scrapes {
		m = min(m, s.expo.upOne)
	}
	return m
}

// failed counts the scrapes that got no readable 200.
func (r *oursRun) failed() int {
	n := 0
	for _, s := range r.scrapes {
		if s.err != "" {
			n++
		}
	}
	return n
}

// withinDeadline counts the scrapes that took no longer than the scrape
// timeout, i.e. that Prometheus would have kept.
func (r *oursRun) withinDeadline() int {
	n := 0
	for _, s := range r.scrapes {
		if s.wall <= r.deadline && s.err == "" {
			n++
		}
	}
	return n
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}
