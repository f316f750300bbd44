package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs"
	cwltypes "github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs/types"
	"github.com/sivchari/kumo"

	"github.com/elasticache-exporter/elasticache-exporter/internal/awstest"
	"github.com/elasticache-exporter/elasticache-exporter/internal/redistest"
)

// artifactsEnv names a directory where browser tests keep what a person
// should look at (the status page's screenshot); without it they go to the
// test's temporary directory. Never committed.
const artifactsEnv = "E2E_ARTIFACTS"

// chromiumArgs are the flags of every headless run: no sandbox (tests may
// run as root), no GPU, and nothing that reaches beyond loopback.
var chromiumArgs = []string{"--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
	"--disable-quic", "--no-first-run", "--disable-component-update", "--disable-sync", "--disable-dev-shm-usage"}

// requireChromium finds Debian's chromium, which `make deps` installs;
// like every other tool of this package, a missing one fails the test
// (a skip would let CI pass without ever rendering the page).
func requireChromium(t *testing.T) string {
	t.Helper()
	return requireBinary(t, "chromium", "chromium")
}

// runChromium runs chromium headless with its own profile directory and
// returns its standard output.
func runChromium(t *testing.T, bin string, args ...string) []byte {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	all := append(append(append([]string{}, chromiumArgs...), "--user-data-dir="+t.TempDir()), args...)
	cmd := exec.CommandContext(ctx, bin, all...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("chromium %s: %v\n%s", strings.Join(args, " "), err, lastLines(stderr.String(), 20))
	}
	return stdout.Bytes()
}

// logGroup is an engine-log group in the in-process AWS emulator (kumo).
type logGroup struct{ endpoint, name string }

// engineLogWithEvents starts kumo with an engine-log group holding three
// delivered lines a minute old (a full sync, a failover, an OOM), and gives
// the exporter's AWS SDK dummy credentials (the process inherits them).
func engineLogWithEvents(t *testing.T) logGroup {
	t.Helper()
	srv := kumo.NewServer()
	t.Cleanup(srv.Close)
	awstest.Env(t)
	c := cloudwatchlogs.New(cloudwatchlogs.Options{Region: "us-east-1", BaseEndpoint: aws.String(srv.URL),
		Credentials: credentials.NewStaticCredentialsProvider("test", "test", "")})
	ctx := context.Background()
	member := fmt.Sprintf("status-%d-001", time.Now().UnixNano()%1_000_000)
	group, stream := "/aws/elasticache/"+member+"/engine-log", "elasticache/redis/"+member+"/0001/engine-log"
	if _, err := c.CreateLogGroup(ctx, &cloudwatchlogs.CreateLogGroupInput{LogGroupName: aws.String(group)}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.CreateLogStream(ctx, &cloudwatchlogs.CreateLogStreamInput{LogGroupName: aws.String(group), LogStreamName: aws.String(stream)}); err != nil {
		t.Fatal(err)
	}
	at := time.Now().Add(-time.Minute)
	var events []cwltypes.InputLogEvent
	for i, msg := range []string{
		"Full resync requested by replica 10.0.2.5:6379",
		"Failover auth granted to the replica",
		"Out Of Memory allocating 1048576 bytes!",
	} {
		ts := at.Add(time.Duration(i) * time.Second)
		line := fmt.Sprintf(`{"CacheClusterId":%q,"CacheNodeId":"0001","LogLevel":"WARNING","Role":"M","Time":%q,"Message":%q}`,
			member, ts.UTC().Format("02 Jan 2006 15:04:05.000 UTC"), msg)
		events = append(events, cwltypes.InputLogEvent{Message: aws.String(line), Timestamp: aws.Int64(ts.UnixMilli())})
	}
	if _, err := c.PutLogEvents(ctx, &cloudwatchlogs.PutLogEventsInput{LogGroupName: aws.String(group), LogStreamName: aws.String(stream), LogEvents: events}); err != nil {
		t.Fatal(err)
	}
	return logGroup{endpoint: srv.URL, name: group}
}

func lastLines(s string, n int) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	return strings.Join(lines[max(0, len(lines)-n):], "\n")
}

// TestStatusPageInABrowser: a primary and two replicas, one replica
// stopped (SIGSTOP), the connections alarm's threshold at 0 so that it is
// over on every answering node; the page rendered by a real browser lists
// every node, marks the stopped replica down and the alarm over.
func TestStatusPageInABrowser(t *testing.T) {
	chromium := requireChromium(t)
	// A command over 5 ms is a slow one (the Lua loop below).
	rg := redistest.NewReplication(t, 2, redistest.Options{Args: map[string]string{"maxmemory": "64mb", "slowlog-log-slower-than": "5000"}})
	stopped := rg.Replicas[1]
	engineGroup := engineLogWithEvents(t)
	exporter := startExporter(t, fmt.Sprintf(`scrape:
  timeout: 2s
alarms:
  ElastiCacheHighConnections: {threshold: 0}
aws:
  region: us-east-1
  endpoint_url: %q
logs:
  engine_log_group: %q
  poll_interval: 1s
`, engineGroup.endpoint, engineGroup.name), rg.Primary.Addr)

	nodes := []string{rg.Primary.Addr, rg.Replicas[0].Addr, stopped.Addr}
	status := func() (states map[string]string, events string, err error) {
		body, err := httpGet(context.Background(), exporter.URL()+"/api/v1/status")
		if err != nil {
			return nil, "", err
		}
		var resp struct {
			Data struct {
				Shards []struct {
					Nodes []struct{ Node, State string }
				}
				Events struct {
					Slow   []struct{ Command string }
					Engine []struct{ Event string }
				}
			}
		}
		if err := json.Unmarshal(body, &resp); err != nil {
			return nil, "", err
		}
		states = map[string]string{}
		for _, sh := range resp.Data.Shards {
			for _, n := range sh.Nodes {
				states[n.Node] = n.State
			}
		}
		var seen []string
		for _, e := range resp.Data.Events.Slow {
			seen = append(seen, e.Command)
		}
		for _, e := range resp.Data.Events.Engine {
			seen = append(seen, e.Event)
		}
		return states, strings.Join(seen, "; "), nil
	}
	scrape := func() {
		req, _ := http.NewRequest(http.MethodGet, exporter.URL()+"/metrics", nil)
		req.Header.Set("X-Prometheus-Scrape-Timeout-Seconds", "3")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatalf("scrape: %v", err)
		}
		resp.Body.Close()
	}
	// Discovery knows the three nodes and a round read them all.
	waitFor(t, 20*time.Second, "a round that read the three nodes", func() string {
		scrape()
		states, _, err := status()
		if err != nil {
			return err.Error()
		}
		for _, n := range nodes {
			if states[n] != "up" {
				return fmt.Sprintf("states %v", states)
			}
		}
		return ""
	})
	// A slow command after that first read (the exporter counts the
	// entries it has not seen, from its first read of a node on).
	busy := "local i = 0 while i < 3000000 do i = i + 1 end return redis.call('SET', KEYS[1], ARGV[1])"
	if err := rg.Primary.Client(t).Eval(context.Background(), busy, []string{"ksql-state:orders"}, "secret-value").Err(); err != nil {
		t.Fatal(err)
	}
	waitFor(t, 20*time.Second, "the slow EVAL and the engine log's failover on the page", func() string {
		scrape()
		_, events, err := status()
		if err != nil {
			return err.Error()
		}
		if !strings.Contains(events, "EVAL") || !strings.Contains(events, "failover") {
			return "events so far: " + events
		}
		return ""
	})

	stopped.Pause()
	t.Cleanup(stopped.Resume)
	waitFor(t, 20*time.Second, "the stopped replica read as down", func() string {
		scrape()
		states, _, err := status()
		if err != nil {
			return err.Error()
		}
		if states[stopped.Addr] != "down" || states[rg.Primary.Addr] != "up" {
			return fmt.Sprintf("states %v", states)
		}
		return ""
	})

	// The DOM as the browser built it.
	start := time.Now()
	dom := string(runChromium(t, chromium, "--dump-dom", exporter.URL()+"/"))
	t.Logf("chromium --dump-dom took %s (%d bytes)", time.Since(start).Round(time.Millisecond), len(dom))
	for _, n := range nodes {
		if !regexp.MustCompile(`<tr [^>]*data-node="` + regexp.QuoteMeta(n) + `"`).MatchString(dom) {
			t.Errorf("node %s is not listed on the page", n)
		}
	}
	downRow := regexp.MustCompile(`(?s)<tr class="node down"[^>]*data-node="` + regexp.QuoteMeta(stopped.Addr) + `" data-state="down"[^>]*>.*?</tr>`).FindString(dom)
	if downRow == "" || !strings.Contains(downRow, "✖ DOWN") {
		t.Errorf("the stopped replica %s is not marked down (class, data-state and the text marker); its row: %q", stopped.Addr, downRow)
	}
	for _, n := range []string{rg.Primary.Addr, rg.Replicas[0].Addr} {
		if !strings.Contains(dom, `data-node="`+n+`" data-state="up"`) {
			t.Errorf("node %s is not shown up", n)
		}
	}
	alarmRow := regexp.MustCompile(`(?s)<tr class="over" data-alarm="ElastiCacheHighConnections">.*?</tr>`).FindString(dom)
	if alarmRow == "" || !strings.Contains(alarmRow, "⚠ OVER") {
		t.Errorf("the connections alarm (threshold 0) is not marked over; its row: %q", alarmRow)
	}
	// The slow command, redacted as /api/v1/slowlog serves it.
	if !strings.Contains(dom, "EVAL ... (4 more arguments)") || strings.Contains(dom, "secret-value") {
		t.Error("the slow EVAL is not listed, or listed with its arguments")
	}
	// The engine log's events, newest first.
	engineRows := regexp.MustCompile(`<tr data-event="([a-z_]+)">`).FindAllStringSubmatch(dom, -1)
	var order []string
	for _, m := range engineRows {
		order = append(order, m[1])
	}
	if strings.Join(order, ",") != "oom,failover,full_sync" {
		t.Errorf("engine events on the page: %v, want oom, failover, full_sync (newest first)", order)
	}
	if !strings.Contains(dom, `<table class="over-list" data-alarm="ElastiCacheHighConnections">`) {
		t.Error("the nodes over the connections threshold are not listed")
	}
	for _, quiet := range []string{"ElastiCacheHighMemoryUsage", "ElastiCacheEvictions"} {
		if !strings.Contains(dom, `<tr class="" data-alarm="`+quiet+`">`) {
			t.Errorf("alarm %s is not shown quiet", quiet)
		}
	}

	dir := os.Getenv(artifactsEnv)
	if dir == "" {
		dir = t.TempDir()
	} else if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	shot := filepath.Join(dir, "statuspage.png")
	runChromium(t, chromium, "--screenshot="+shot, "--window-size=1400,1000", "--hide-scrollbars", exporter.URL()+"/")
	png, err := os.ReadFile(shot)
	if err != nil || !bytes.HasPrefix(png, []byte("\x89PNG\r\n\x1a\n")) {
		t.Fatalf("screenshot %s: %v (%d bytes, not a PNG)", shot, err, len(png))
	}
	t.Logf("screenshot of the status page: %s (%d bytes)", shot, len(png))
}
