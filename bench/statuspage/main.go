// Command statuspage measures the status page (GET /) of a real exporter
// reading a stub Redis Cluster of 1,500 nodes (500 shards × 3, package
// bench/stubcluster), and writes the "Status page" section of
// BENCHMARKS.md: the page's weight, plain and gzipped, and how long the
// exporter takes to answer it (model built from memory, rendered,
// gzipped), as the median and the slowest of -views requests.
//
// The exporter runs with the large-cluster profile (bench/scale) and is
// scraped three times first, so the page has rounds to show (a rate needs
// two). Run it through `make bench`. Linux only.
package main

import (
	"bufio"
	"compress/gzip"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/elasticache-exporter/elasticache-exporter/bench/benchutil"
	"github.com/elasticache-exporter/elasticache-exporter/bench/scale/mdsection"
	"github.com/elasticache-exporter/elasticache-exporter/bench/stubcluster"
)

func main() { os.Exit(run()) }

func run() int {
	exporter := flag.String("exporter", "bin/exporter", "the exporter binary")
	config := flag.String("exporter-config", "bench/scale/large-cluster.yml", "the exporter's configuration file")
	out := flag.String("out", "BENCHMARKS.md", "the report to write the section into (\"\" prints it)")
	shards := flag.Int("shards", 500, "shards of the stub cluster")
	perShard := flag.Int("nodes-per-shard", 3, "nodes per shard")
	views := flag.Int("views", 20, "page views measured")
	host := flag.String("stub-host", "::1", "loopback address of the stub's nodes (::1 keeps them away from other tests' 127.0.0.1 ports)")
	flag.Parse()
	bin, err := benchutil.ResolveBinary(*exporter, "-exporter", "run make build first")
	if err != nil {
		fmt.Fprintln(os.Stderr, "statuspage:", err)
		return 2
	}
	res, err := measure(bin, *config, *shards, *perShard, *views, *host)
	if err != nil {
		fmt.Fprintln(os.Stderr, "statuspage:", err)
		return 1
	}
	section := res.report(bin)
	if *out == "" {
		fmt.Print(section)
		return 0
	}
	doc, err := os.ReadFile(*out)
	if err != nil && !os.IsNotExist(err) {
		fmt.Fprintln(os.Stderr, "statuspage:", err)
		return 1
	}
	updated, err := mdsection.Replace(string(doc), "statuspage", section)
	if err == nil {
		err = os.WriteFile(*out, []byte(updated), 0o644)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "statuspage:", err)
		return 1
	}
	fmt.Printf("statuspage: %d nodes: %d bytes (%d gzipped), median %s; written to %s\n", res.nodes, res.plain, res.gzipped, res.median(), *out)
	return 0
}

type result struct {
	nodes, shards    int
	plain, gzipped   int
	jsonBytes        int
	times            []time.Duration // gzipped views, as a browser asks
	plainTimes       []time.Duration
	shownNodes, down int
	load             string
}

func (r *result) median() time.Duration { return pct(r.times, 0.5) }

func pct(ds []time.Duration, q float64) time.Duration {
	s := append([]time.Duration(nil), ds...)
	sort.Slice(s, func(i, j int) bool { return s[i] < s[j] })
	return s[min(len(s)-1, int(q*float64(len(s))))]
}

func measure(bin, config string, shards, perShard, views int, host string) (*result, error) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	pr, pw := io.Pipe()
	stubErr := make(chan error, 1)
	go func() {
		stubErr <- stubcluster.Serve(ctx, stubcluster.Config{Shards: shards, NodesPerShard: perShard, Host: host}, pw)
		pw.Close()
	}()
	var ready stubcluster.Ready
	line, err := bufio.NewReader(pr).ReadBytes('\n')
	if err != nil {
		return nil, fmt.Errorf("the stub cluster did not start: %v (%v)", err, <-stubErr)
	}
	go func() { _, _ = io.Copy(io.Discard, pr) }()
	if err := json.Unmarshal(line, &ready); err != nil {
		return nil, fmt.Errorf("the stub's ready line %q: %w", line, err)
	}

	listen, err := freeAddr()
	if err != nil {
		return nil, err
	}
	logPath := filepath.Join(os.TempDir(), "statuspage-bench-exporter.log")
	logFile, err := os.Create(logPath)
	if err != nil {
		return nil, err
	}
	defer logFile.Close()
	args := []string{"--redis.addr=" + ready.Seed, "--web.listen-address=" + listen, "--log.level=warn"}
	if config != "" {
		args = append(args, "--config.file="+config)
	}
	cmd := exec.Command(bin, args...)
	cmd.Stdout, cmd.Stderr = logFile, logFile
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	defer func() {
		_ = cmd.Process.Signal(syscall.SIGTERM)
		_ = cmd.Wait()
	}()
	base := "http://" + listen
	client := &http.Client{Timeout: time.Minute, Transport: &http.Transport{DisableCompression: true}}
	if err := waitReady(client, base+"/readyz", ready.Nodes, logPath); err != nil {
		return nil, err
	}
	for range 3 {
		req, _ := http.NewRequest(http.MethodGet, base+"/metrics", nil)
		req.Header.Set("Accept-Encoding", "gzip")
		req.Header.Set("X-Prometheus-Scrape-Timeout-Seconds", "10")
		if _, _, err := get(client, req); err != nil {
			return nil, err
		}
		time.Sleep(time.Second)
	}

	res := &result{nodes: ready.Nodes, shards: ready.Shards}
	req, _ := http.NewRequest(http.MethodGet, base+"/api/v1/status", nil)
	body, _, err := get(client, req)
	if err != nil {
		return nil, err
	}
	res.jsonBytes = len(body)
	var status struct {
		Data struct{ Summary struct{ Nodes, Up, Down int } }
	}
	if err := json.Unmarshal(body, &status); err != nil {
		return nil, err
	}
	res.shownNodes, res.down = status.Data.Summary.Nodes, status.Data.Summary.Down
	if res.shownNodes != ready.Nodes || status.Data.Summary.Up != ready.Nodes {
		return nil, fmt.Errorf("the page shows %d nodes, %d up; the stub has %d", res.shownNodes, status.Data.Summary.Up, ready.Nodes)
	}
	for i := range views {
		for _, gz := range []bool{true, false} {
			req, _ := http.NewRequest(http.MethodGet, base+"/", nil)
			if gz {
				req.Header.Set("Accept-Encoding", "gzip")
			}
			body, took, err := get(client, req)
			if err != nil {
				return nil, err
			}
			if gz {
				res.times = append(res.times, took)
				res.gzipped = len(body)
				if i == 0 {
					zr, err := gzip.NewReader(strings.NewReader(string(body)))
					if err != nil {
						return nil, fmt.Errorf("GET / with gzip: %w", err)
					}
					plain, _ := io.ReadAll(zr)
					if !strings.Contains(string(plain), "data-node=") {
						return nil, fmt.Errorf("GET / is not the status page")
					}
				}
			} else {
				res.plainTimes = append(res.plainTimes, took)
				res.plain = len(body)
			}
		}
	}
	if b, err := os.ReadFile("/proc/loadavg"); err == nil {
		res.load = strings.Join(strings.Fields(string(b))[:3], " ")
	}
	return res, nil
}

// get does req and returns the body as sent (compressed when it was) and
// the time to its last byte.
func get(c *http.Client, req *http.Request) ([]byte, time.Duration, error) {
	start := time.Now()
	resp, err := c.Do(req)
	if err != nil {
		return nil, 0, err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	took := time.Since(start)
	if err == nil && resp.StatusCode != http.StatusOK {
		err = fmt.Errorf("GET %s: %s", req.URL, resp.Status)
	}
	return body, took, err
}

func waitReady(c *http.Client, url string, nodes int, logPath string) error {
	deadline := time.Now().Add(3 * time.Minute)
	for time.Now().Before(deadline) {
		if resp, err := c.Get(url); err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return nil
			}
		}
		time.Sleep(200 * time.Millisecond)
	}
	return fmt.Errorf("the exporter was not ready for %d nodes within 3 minutes; see %s", nodes, logPath)
}

func freeAddr() (string, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	defer l.Close()
	return "127.0.0.1:" + strconv.Itoa(l.Addr().(*net.TCPAddr).Port), nil
}

func (r *result) report(bin string) string {
	var b strings.Builder
	kb := func(n int) string { return fmt.Sprintf("%.0f kB", float64(n)/1000) }
	ms := func(d time.Duration) string { return fmt.Sprintf("%.0f ms", float64(d.Microseconds())/1000) }
	fmt.Fprintf(&b, "## Status page\n\n")
	fmt.Fprintf(&b, "`GET /` of the exporter reading a stub cluster of %s nodes (%d shards × %d), measured by\n", thousands(r.nodes), r.shards, r.nodes/max(r.shards, 1))
	fmt.Fprintf(&b, "`go run ./bench/statuspage` (`make bench`) after three scrapes; the page is built from memory\n")
	fmt.Fprintf(&b, "(no command to a node per view), rendered with html/template and gzipped when the client accepts it.\n")
	fmt.Fprintf(&b, "Time is to the last byte over loopback, %d views each way.\n\n", len(r.times))
	fmt.Fprintf(&b, "| | bytes | median | slowest |\n|---|---:|---:|---:|\n")
	fmt.Fprintf(&b, "| HTML, gzip (a browser) | %s | %s | %s |\n", kb(r.gzipped), ms(pct(r.times, 0.5)), ms(pct(r.times, 1)))
	fmt.Fprintf(&b, "| HTML, plain | %s | %s | %s |\n", kb(r.plain), ms(pct(r.plainTimes, 0.5)), ms(pct(r.plainTimes, 1)))
	fmt.Fprintf(&b, "| `/api/v1/status` JSON, plain | %s | | |\n\n", kb(r.jsonBytes))
	fmt.Fprintf(&b, "The page lists all %s nodes (%d down); each alarm lists at most 50 nodes over its threshold, the engine-event and slow-command lists at most 50 each.\n\n", thousands(r.shownNodes), r.down)
	fmt.Fprintf(&b, "Exporter: %s. Machine: %s; load average during the run %s (the machine is shared: times are an upper bound).\n",
		benchutil.FirstLine(benchutil.CommandOutput(bin, "--version")), benchutil.DescribeMachine(), r.load)
	return b.String()
}

// thousands writes n with a comma every three digits, as the report does.
func thousands(n int) string {
	s := strconv.Itoa(n)
	for i := len(s) - 3; i > 0; i -= 3 {
		s = s[:i] + "," + s[i:]
	}
	return s
}
