package dashboards

import (
	"bufio"
	"context"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/sivchari/kumo"

	"github.com/elasticache-exporter/elasticache-exporter/internal/awstest"
	cw "github.com/elasticache-exporter/elasticache-exporter/internal/cwmetrics"
	"github.com/elasticache-exporter/elasticache-exporter/internal/redistest"
)

// notScrapedHere lists dashboard metrics this test's setup cannot make the
// exporter produce, each with the reason. Keep it short: every entry is a
// panel whose metric name is checked only by review.
var notScrapedHere = map[string]string{
	"redis_engine_log_events_total":                 "needs an engine log group tailed through CloudWatch Logs (logs.engine_log_group)",
	"elasticache_exporter_log_tail_lag_seconds":     "needs a log group tailed through CloudWatch Logs",
	"elasticache_exporter_log_lines_unparsed_total": "needs a log group tailed through CloudWatch Logs",
}

// TestDashboardMetricsAreExported checks every metric a dashboard selects
// against what a running exporter actually serves: real redis-server
// nodes (a primary with two replicas, and a three-shard cluster for the
// cluster-mode series) and kumo standing in for CloudWatch.
func TestDashboardMetricsAreExported(t *testing.T) {
	if testing.Short() {
		t.Skip("starts redis-server processes and the exporter")
	}
	want := dashboardMetrics(t)
	bin := buildExporter(t)

	// Every command is slow, so the slow log fills without waiting.
	repl := redistest.NewReplication(t, 2, redistest.Options{Args: map[string]string{"slowlog-log-slower-than": "0", "maxmemory": "64mb"}})
	cluster := redistest.NewCluster(t, 3, 0, redistest.Options{})

	srv := kumo.NewServer()
	t.Cleanup(srv.Close)
	const clusterID = "kafka-platform-test-001"
	seedCloudWatch(t, srv.URL, clusterID, want)

	var add []string
	for _, m := range cw.Catalogue() {
		if !m.Default {
			add = append(add, m.Name)
		}
	}
	cfgFile := filepath.Join(t.TempDir(), "config.yaml")
	cfg := fmt.Sprintf("discovery: {interval: 1s}\ncloudwatch: {enabled: true, period: 60s, delay: 0s, metrics: {add: [%s]}}\n", strings.Join(add, ", "))
	if err := os.WriteFile(cfgFile, []byte(cfg), 0o644); err != nil {
		t.Fatal(err)
	}
	replURL := startExporter(t, bin, "--config.file="+cfgFile, "--redis.addr="+repl.Primary.Addr,
		"--aws.endpoint-url="+srv.URL, "--aws.region=us-east-1", "--cloudwatch.cache-cluster-id="+clusterID)
	clusterURL := startExporter(t, bin, "--redis.addr="+cluster.Nodes[0].Addr)

	ctx := context.Background()
	client := repl.Primary.Client(t)
	for i := range 50 {
		client.Set(ctx, fmt.Sprintf("k%d", i), "v", 0)
		client.Get(ctx, fmt.Sprintf("k%d", i))
		client.Get(ctx, fmt.Sprintf("missing%d", i))
	}
	client.Do(ctx, "INCR", "k0") // an error reply, for errorstats

	seen := map[string]bool{}
	missing := func() []string {
		var out []string
		for m := range want {
			if !seen[m] && notScrapedHere[m] == "" {
				out = append(out, m)
			}
		}
		sort.Strings(out)
		return out
	}
	scrapeUntil := func(timeout time.Duration, done func() bool) {
		deadline := time.Now().Add(timeout)
		for {
			for _, u := range []string{replURL, clusterURL} {
				for _, n := range scrapeNames(t, u) {
					seen[n] = true
				}
			}
			if done() || time.Now().After(deadline) {
				return
			}
			time.Sleep(500 * time.Millisecond)
		}
	}
	// The failover counter and the link-down time need the events staged
	// below; everything else must show up on its own.
	staged := map[string]bool{"elasticache_exporter_failovers_total": true, "redis_master_link_down_since_seconds": true}
	onlyStaged := func() bool {
		for _, m := range missing() {
			if !staged[m] {
				return false
			}
		}
		return true
	}
	scrapeUntil(45*time.Second, onlyStaged)

	// A failover: replica 0 becomes the primary, the others follow it.
	if !seen["elasticache_exporter_failovers_total"] {
		r0 := repl.Replicas[0]
		r0.Client(t).Do(ctx, "REPLICAOF", "NO", "ONE")
		for _, s := range []*redistest.Server{repl.Primary, repl.Replicas[1]} {
			s.Client(t).Do(ctx, "REPLICAOF", "127.0.0.1", fmt.Sprint(r0.Port))
		}
		scrapeUntil(30*time.Second, func() bool { return seen["elasticache_exporter_failovers_total"] })
	}
	// master_link_down_since_seconds exists only while a replica's link is
	// down: stop whichever node is the primary now (the failover above runs
	// only when the failover counter was not already exported) so that its
	// replicas lose their link.
	if !seen["redis_master_link_down_since_seconds"] {
		primary := repl.Primary
		if primary.Info(t, "replication")["role"] != "master" {
			primary = repl.Replicas[0]
		}
		primary.Stop()
		scrapeUntil(20*time.Second, func() bool { return len(missing()) == 0 })
	}

	for _, m := range missing() {
		t.Errorf("%s (used by %s) is not exported by the exporter", m, want[m])
	}
	for m, why := range notScrapedHere {
		if _, used := want[m]; !used {
			t.Errorf("notScrapedHere lists %s (%s) but no dashboard uses it; remove the entry", m, why)
		}
	}
}

// buildExporter builds ./cmd/exporter into the test's temp dir.
func buildExporter(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "exporter")
	cmd := exec.Command("go", "build", "-o", bin, "./cmd/exporter")
	cmd.Dir = ".."
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build ./cmd/exporter: %v\n%s", err, out)
	}
	return bin
}

// startExporter runs the exporter on a free loopback port until the test
// ends and returns its /metrics URL once it answers.
func startExporter(t *testing.T, bin string, args ...string) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	cmd := exec.Command(bin, append([]string{"--web.listen-address=" + addr, "--log.level=debug"}, args...)...)
	cmd.Env = append(os.Environ(), "AWS_ACCESS_KEY_ID=test", "AWS_SECRET_ACCESS_KEY=test", "AWS_EC2_METADATA_DISABLED=true")
	logFile := filepath.Join(t.TempDir(), "exporter.log")
	f, err := os.Create(logFile)
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stdout, cmd.Stderr = f, f
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
		f.Close()
		if t.Failed() {
			log, _ := os.ReadFile(logFile)
			t.Logf("exporter %v log:\n%s", args, tail(string(log), 40))
		}
	})
	url := "http://" + addr + "/metrics"
	deadline := time.Now().Add(15 * time.Second)
	for {
		resp, err := http.Get(url)
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return url
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("exporter %v did not serve %s within 15s: %v", args, url, err)
		}
		time.Sleep(200 * time.Millisecond)
	}
}

func tail(s string, n int) string {
	lines := strings.Split(s, "\n")
	return strings.Join(lines[max(0, len(lines)-n):], "\n")
}

// scrapeNames returns the sample names in one scrape: histogram series
// appear as their _bucket, _sum and _count names, as PromQL selects them.
func scrapeNames(t *testing.T, url string) []string {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatalf("scrape %s: %v", url, err)
	}
	defer resp.Body.Close()
	var names []string
	sc := bufio.NewScanner(resp.Body)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		line := sc.Text()
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		if i := strings.IndexAny(line, "{ "); i > 0 {
			names = append(names, line[:i])
		}
	}
	return names
}

// seedCloudWatch puts one datapoint of every catalogue metric the
// dashboards use, for one node, into kumo.
func seedCloudWatch(t *testing.T, url, clusterID string, used map[string]string) {
	t.Helper()
	var data []awstest.Datum
	for _, m := range cw.Catalogue() {
		for _, stat := range m.Statistics {
			if _, ok := used[cw.MetricName(cw.Namespace, m.Name, stat)]; ok {
				data = append(data, awstest.Datum{Metric: m.Name, CacheClusterID: clusterID, Value: 1})
				break
			}
		}
	}
	if len(data) == 0 {
		t.Fatal("no dashboard metric is in the CloudWatch catalogue; the aws_elasticache_* names are wrong")
	}
	// Stamped inside the first refresh's window, so the values appear at
	// once instead of at the next minute boundary.
	awstest.SeedMetrics(t, url, awstest.SeedTime(), data)
}
