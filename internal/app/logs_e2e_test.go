package app

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	dto "github.com/prometheus/client_model/go"

	"github.com/elasticache-exporter/elasticache-exporter/internal/awstest"
	"github.com/elasticache-exporter/elasticache-exporter/internal/config"
	"github.com/elasticache-exporter/elasticache-exporter/internal/redistest"
)

// engineTime writes t the way ElastiCache's engine log does.
func engineTime(t time.Time) string { return t.UTC().Format("02 Jan 2006 15:04:05.000 UTC") }

// apiData fetches an /api/v1 history endpoint and decodes its data list.
func apiData(t *testing.T, r *running, path string) []map[string]any {
	t.Helper()
	code, body := r.get(t, path)
	if code != 200 {
		t.Fatalf("%s: %d %s", path, code, body)
	}
	var resp struct {
		Status string           `json:"status"`
		Data   []map[string]any `json:"data"`
	}
	if err := json.Unmarshal([]byte(body), &resp); err != nil || resp.Status != "success" {
		t.Fatalf("%s: %v %s", path, err, body)
	}
	return resp.Data
}

// TestLogTailEndToEndAcrossRestart: ElastiCache's slow-log and engine-log
// deliveries (JSON and TEXT, plus lines that parse as neither) show up in
// /metrics, /api/v1/slowlog and /api/v1/events; a second process with the
// same state file counts only what came after, each line once.
func TestLogTailEndToEndAcrossRestart(t *testing.T) {
	s := redistest.Standalone(t, redistest.Options{})
	k := newKumo(t)
	lc := logsClient(k.URL)
	group := uniqueName("logs")
	slowGroup, engineGroup := "/aws/elasticache/"+group+"/slow-log", "/aws/elasticache/"+group+"/engine-log"
	n1, n2 := group+"-001", group+"-002"
	stream := func(node, kind string) string { return "elasticache/redis/" + node + "/0001/" + kind }
	for _, n := range []string{n1, n2} {
		createLogStream(t, lc, slowGroup, stream(n, "slow-log"))
		createLogStream(t, lc, engineGroup, stream(n, "engine-log"))
	}
	// Within the tail's default 2 minute lookback of its first start.
	at := time.Now().Add(-30 * time.Second)
	sec := at.Unix()
	putLogLines(t, lc, slowGroup, stream(n1, "slow-log"), at,
		fmt.Sprintf(`{"CacheClusterId":%q,"CacheNodeId":"0001","Id":7,"Timestamp":%d,"Duration (us)":15321,"Command":"HSET ... (3 more arguments)","ClientAddress":"10.0.1.17:40112","ClientName":""}`, n1, sec),
		fmt.Sprintf(`%s,0001,%d,2500,MGET ... (12 more arguments),10.0.1.17:40112,`, n1, sec),
		// The exporter's own command, by its client name: not counted.
		fmt.Sprintf(`%s,0001,%d,40,PING,10.0.1.18:40000,elasticache-exporter`, n1, sec),
		`not,a,slow,log,line`)
	putLogLines(t, lc, slowGroup, stream(n2, "slow-log"), at,
		fmt.Sprintf(`{"CacheClusterId":%q,"CacheNodeId":"0001","Id":"8","Timestamp":%d,"Duration (us)":120000,"Command":"KEYS ... (1 more arguments)","ClientAddress":"[fd00::1]:6379","ClientName":"ksqldb"}`, n2, sec))
	putLogLines(t, lc, engineGroup, stream(n1, "engine-log"), at,
		fmt.Sprintf(`{"CacheClusterId":%q,"CacheNodeId":"0001","LogLevel":"WARNING","Role":"M","Time":%q,"Message":"Full resync requested by replica 10.0.2.5:6379"}`, n1, engineTime(at)),
		fmt.Sprintf(`%s/0001:M %s * DB saved on disk`, n1, engineTime(at)),
		`this is no engine log line`)
	putLogLines(t, lc, engineGroup, stream(n2, "engine-log"), at,
		fmt.Sprintf(`{"CacheClusterId":%q,"CacheNodeId":"0001","LogLevel":"NOTICE","Role":"S","Time":%q,"Message":"Connection with master lost."}`, n2, engineTime(at)),
		fmt.Sprintf(`%s/0001:S %s # Connection with master lost.`, n2, engineTime(at)))

	stateFile := filepath.Join(t.TempDir(), "tail.json")
	start := func(t *testing.T) *running {
		awstest.Env(t)
		return startApp(t, func(c *config.Config) {
			c.Redis.Addrs = []string{s.Addr}
			c.AWS = config.AWSConfig{Region: "us-east-1", EndpointURL: k.URL}
			c.Logs.SlowLogGroup = slowGroup
			c.Logs.EngineLogGroup = engineGroup
			c.Logs.PollInterval = time.Second
			c.Logs.StateFile = stateFile
		})
	}
	lines := func(fams map[string]*dto.MetricFamily, log string) float64 {
		return sumWhere(fams, "elasticache_exporter_log_lines_total", map[string]string{"log": log})
	}
	polls := func(fams map[string]*dto.MetricFamily) float64 {
		return min(sumWhere(fams, "elasticache_exporter_log_tail_api_calls_total", map[string]string{"log": "slow-log"}),
			sumWhere(fams, "elasticache_exporter_log_tail_api_calls_total", map[string]string{"log": "engine-log"}))
	}
	entries := func(fams map[string]*dto.MetricFamily, labels map[string]string) float64 {
		return sumWhere(fams, "redis_slowlog_entries_total", labels)
	}
	events := func(fams map[string]*dto.MetricFamily, labels map[string]string) float64 {
		return sumWhere(fams, "redis_engine_log_events_total", labels)
	}

	t.Run("first process", func(t *testing.T) {
		r := start(t)
		var fams map[string]*dto.MetricFamily
		waitUntil(t, 10*time.Second, "both logs read", func() bool {
			fams = r.scrape(t)
			return lines(fams, "slow-log") >= 5 && lines(fams, "engine-log") >= 5
		})
		// Two more polls: nothing is read twice.
		p := polls(fams)
		waitUntil(t, 5*time.Second, "two more polls", func() bool { fams = r.scrape(t); return polls(fams) >= p+2 })

		if a, b := lines(fams, "slow-log"), lines(fams, "engine-log"); a != 5 || b != 5 {
			t.Errorf("lines read: slow %v engine %v, want 5 and 5", a, b)
		}
		// Nodes are named by address here (no adoption), so the lines,
		// which name member clusters, cannot be given a node: they are
		// counted outside the group and kept in the history, never turned
		// into per-node series a foreign stream could grow without bound.
		if got := entries(fams, nil) + events(fams, nil); got != 0 {
			t.Errorf("per-node log series without adoption: %v, want none", got)
		}
		outside := func(kind string) float64 {
			return sumWhere(fams, "elasticache_exporter_log_entries_outside_group_total", map[string]string{"kind": kind})
		}
		if got := outside("slow"); got != 3 {
			t.Errorf("slow entries outside the group = %v, want 3 (the exporter's own PING excluded)", got)
		}
		if got := outside("engine"); got != 4 {
			t.Errorf("engine events outside the group = %v, want 4", got)
		}
		for log, want := range map[string]float64{"slow-log": 1, "engine-log": 1} {
			if got := sumWhere(fams, "elasticache_exporter_log_lines_unparsed_total", map[string]string{"log": log}); got != want {
				t.Errorf("unparsed %s lines = %v, want %v", log, got, want)
			}
		}
		if lag := sumWhere(fams, "elasticache_exporter_log_tail_lag_seconds", map[string]string{"log": "slow-log"}); lag < 29 || lag > 60 {
			t.Errorf("slow-log tail lag = %v s, want about 30", lag)
		}

		slow := apiData(t, r, "/api/v1/slowlog?node="+n1)
		var cmds, raws []string
		for _, e := range slow {
			cmds = append(cmds, fmt.Sprint(e["cmd"]))
			if raw, _ := e["raw"].(string); raw != "" {
				raws = append(raws, raw)
			}
		}
		if len(slow) != 3 || len(raws) != 1 || raws[0] != "not,a,slow,log,line" {
			t.Errorf("/api/v1/slowlog?node=%s = %v (raw %v), want hset, mget and the unparsed line", n1, cmds, raws)
		}
		if all := apiData(t, r, "/api/v1/slowlog"); len(all) != 4 {
			t.Errorf("/api/v1/slowlog has %d entries, want 4 (3 counted, 1 raw)", len(all))
		}
		ev := apiData(t, r, "/api/v1/events?node="+n2+"&event=primary_link_lost")
		if len(ev) != 2 || ev[0]["message"] != "Connection with master lost." {
			t.Errorf("/api/v1/events for %s = %v, want the two lost links", n2, ev)
		}
		if all := apiData(t, r, "/api/v1/events"); len(all) != 5 {
			t.Errorf("/api/v1/events has %d entries, want 5 (4 events, 1 raw)", len(all))
		}
	})
	if _, err := os.Stat(stateFile); err != nil {
		t.Fatalf("state file after the first process: %v", err)
	}

	t.Run("second process", func(t *testing.T) {
		r := start(t)
		var fams map[string]*dto.MetricFamily
		waitUntil(t, 5*time.Second, "two polls", func() bool { fams = r.scrape(t); return polls(fams) >= 2 })
		if a, b, e, ev := lines(fams, "slow-log"), lines(fams, "engine-log"), entries(fams, nil), events(fams, nil); a+b+e+ev != 0 {
			t.Errorf("after a restart: %v slow and %v engine lines, %v entries and %v events counted again, want none", a, b, e, ev)
		}

		later := time.Now()
		putLogLines(t, lc, slowGroup, stream(n2, "slow-log"), later,
			fmt.Sprintf(`%s,0001,9,%d,2500,EVALSHA ... (4 more arguments),10.0.1.17:40112,ksqldb`, n2, later.Unix()))
		putLogLines(t, lc, engineGroup, stream(n1, "engine-log"), later,
			fmt.Sprintf(`%s/0001:M %s * Background saving started by pid 1234`, n1, engineTime(later)))
		waitUntil(t, 5*time.Second, "the new lines", func() bool {
			fams = r.scrape(t)
			return lines(fams, "slow-log") >= 1 && lines(fams, "engine-log") >= 1
		})
		p := polls(fams)
		waitUntil(t, 5*time.Second, "two more polls", func() bool { fams = r.scrape(t); return polls(fams) >= p+2 })
		if a, b := lines(fams, "slow-log"), lines(fams, "engine-log"); a != 1 || b != 1 {
			t.Errorf("lines after restart: slow %v engine %v, want 1 and 1", a, b)
		}
		for kind, want := range map[string]float64{"slow": 1, "engine": 1} {
			if got := sumWhere(fams, "elasticache_exporter_log_entries_outside_group_total", map[string]string{"kind": kind}); got != want {
				t.Errorf("%s entries after restart = %v, want only the new one", kind, got)
			}
		}
		if got := apiData(t, r, "/api/v1/slowlog"); len(got) != 1 {
			t.Errorf("/api/v1/slowlog after restart has %d entries, want 1", len(got))
		}
	})
}

// TestSlowCommandsCountedExactlyAndArgumentsStayPrivate: K slow commands on
// a real node add exactly K to redis_slowlog_entries_total, once; their
// arguments appear nowhere unless slowlog.keep_args is set.
func TestSlowCommandsCountedExactlyAndArgumentsStayPrivate(t *testing.T) {
	const (
		secret = "ksql-secret-value-42"
		key    = "ksql-secret-key-17"
		K      = 7
	)
	s := redistest.Standalone(t, redistest.Options{Args: map[string]string{
		"slowlog-log-slower-than": "0", "slowlog-max-len": "1024"}})
	user := s.Client(t)
	ctx := context.Background()
	if err := user.Ping(ctx).Err(); err != nil { // connect (HELLO, CLIENT SETINFO) before the baseline
		t.Fatal(err)
	}

	run := func(t *testing.T, keepArgs bool) (metrics, api, logs string) {
		r := startApp(t, func(c *config.Config) {
			c.Redis.Addrs = []string{s.Addr}
			c.Slowlog.KeepArgs = keepArgs
		})
		total := func(fams map[string]*dto.MetricFamily) (all, set float64) {
			return sumWhere(fams, "redis_slowlog_entries_total", map[string]string{"node": s.Addr}),
				sumWhere(fams, "redis_slowlog_entries_total", map[string]string{"node": s.Addr, "cmd": "set"})
		}
		before, _ := total(r.scrape(t)) // the first read of a node is its baseline
		for i := 0; i < K; i++ {
			if err := user.Set(ctx, fmt.Sprintf("%s:%d", key, i), secret, 0).Err(); err != nil {
				t.Fatal(err)
			}
		}
		body, fams := r.scrapeRaw(t)
		all, set := total(fams)
		if all-before != K || set != K {
			t.Errorf("after %d SETs: entries grew by %v (set: %v), want exactly %d: %v", K, all-before, set, K, labelled(fams, "redis_slowlog_entries_total"))
		}
		// Further scrapes, with discovery's own INFO in between, add nothing.
		for i := 0; i < 3; i++ {
			time.Sleep(400 * time.Millisecond)
			if a, st := total(r.scrape(t)); a != all || st != set {
				t.Errorf("scrape %d: entries %v (set %v), was %v (%v)", i, a, st, all, set)
			}
		}
		if got := sumWhere(fams, "redis_slowlog_missed_entries_total", map[string]string{"node": s.Addr}); got != 0 {
			t.Errorf("missed entries = %v", got)
		}
		_, apiBody := r.get(t, "/api/v1/slowlog?limit=1000")
		sets := 0
		for _, e := range apiData(t, r, "/api/v1/slowlog?cmd=set&limit=1000") {
			if e["node"] == s.Addr {
				sets++
			}
		}
		if sets != K {
			t.Errorf("/api/v1/slowlog holds %d SETs of the node, want %d", sets, K)
		}
		return body, apiBody, r.logs.String()
	}

	t.Run("default", func(t *testing.T) {
		metrics, api, logs := run(t, false)
		for where, text := range map[string]string{"/metrics": metrics, "/api/v1/slowlog": api, "logs": logs} {
			for _, arg := range []string{secret, key} {
				if strings.Contains(text, arg) {
					t.Errorf("the argument %q appears in %s", arg, where)
				}
			}
		}
		if !strings.Contains(api, "SET ... (2 more arguments)") {
			t.Errorf("/api/v1/slowlog does not show redacted SETs:\n%.2000s", api)
		}
	})

	// The same check with keep_args: arguments reach the history (so the
	// check above can see them when they leak) and still nothing else.
	t.Run("keep_args", func(t *testing.T) {
		metrics, api, logs := run(t, true)
		if !strings.Contains(api, secret) {
			t.Errorf("with slowlog.keep_args the history does not hold the argument:\n%.2000s", api)
		}
		for where, text := range map[string]string{"/metrics": metrics, "logs": logs} {
			if strings.Contains(text, secret) {
				t.Errorf("the argument appears in %s with keep_args", where)
			}
		}
	})
}
