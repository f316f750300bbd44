package slowlog

import (
	"context"
	"encoding/json"
	"strings"
	"testing"

	"github.com/redis/go-redis/v9"

	"github.com/elasticache-exporter/elasticache-exporter/internal/redistest"
)

// exporterClient connects the way the daemon does: with the exporter's
// CLIENT SETNAME name, so its own SLOWLOG/INFO commands are recognisable.
func exporterClient(t *testing.T, s *redistest.Server) *redis.Client {
	o := s.ClientOptions()
	o.ClientName = exporterName
	c := redis.NewClient(o)
	t.Cleanup(func() { _ = c.Close() })
	return c
}

func runID(t *testing.T, c *redis.Client) string {
	t.Helper()
	info, err := c.Info(context.Background(), "server").Result()
	if err != nil {
		t.Fatal(err)
	}
	for _, l := range strings.Split(info, "\r\n") {
		if v, ok := strings.CutPrefix(l, "run_id:"); ok {
			return v
		}
	}
	t.Fatal("INFO server has no run_id")
	return ""
}

func scrape(t *testing.T, tr *Tracker, c *redis.Client, node string) {
	t.Helper()
	if err := tr.Scrape(context.Background(), c, node, "0", runID(t, c)); err != nil {
		t.Fatalf("Scrape: %v", err)
	}
}

func TestTrackerCountsExactlyAcrossScrapesAndRestart(t *testing.T) {
	s := redistest.Standalone(t, redistest.Options{Args: map[string]string{"slowlog-log-slower-than": "0"}})
	ctx := context.Background()
	exp := exporterClient(t, s)
	user := s.Client(t)
	if err := user.Ping(ctx).Err(); err != nil { // connect before the baseline
		t.Fatal(err)
	}
	rec := testRecorder(false)
	tr := NewTracker(rec, 1)
	const node = "node-a"
	tr.SetTopology(group(node))
	scrape(t, tr, exp, node) // first sight: baseline, nothing counted
	if got := sample(t, rec, "redis_slowlog_entries_total", nil); got != 0 {
		t.Fatalf("entries after the first scrape = %v, want 0 (baseline)", got)
	}

	const k = 7
	for i := 0; i < k; i++ {
		if err := user.Incr(ctx, "counter").Err(); err != nil {
			t.Fatal(err)
		}
	}
	for i := 0; i < 4; i++ { // further scrapes without new commands change nothing
		scrape(t, tr, exp, node)
		if got := sample(t, rec, "redis_slowlog_entries_total", map[string]string{"node": node, "cmd": "incr"}); got != k {
			t.Fatalf("scrape %d: incr entries = %v, want %d", i+2, got, k)
		}
		if got := sample(t, rec, "redis_slowlog_entries_total", nil); got != k {
			t.Fatalf("scrape %d: all entries = %v, want %d (the exporter's own commands excluded)", i+2, got, k)
		}
	}
	if got := sample(t, rec, "redis_slowlog_missed_entries_total", nil); got != 0 {
		t.Errorf("missed = %v, want 0", got)
	}
	if got := sample(t, rec, "redis_slowlog_duration_seconds", map[string]string{"cmd": "incr"}); got != k {
		t.Errorf("duration observations = %v, want %d", got, k)
	}
	if got := sample(t, tr, "redis_slowlog_length", map[string]string{"node": node, "shard": "0"}); got <= 0 {
		t.Errorf("redis_slowlog_length = %v, want > 0", got)
	}

	// A restart starts the ids over; the new buffer's entries count once.
	s.Restart(t)
	const k2 = 5
	for i := 0; i < k2; i++ {
		if err := user.Incr(ctx, "counter").Err(); err != nil {
			t.Fatal(err)
		}
	}
	scrape(t, tr, exp, node)
	scrape(t, tr, exp, node)
	if got := sample(t, rec, "redis_slowlog_entries_total", map[string]string{"node": node, "cmd": "incr"}); got != k+k2 {
		t.Errorf("incr entries after restart = %v, want %d", got, k+k2)
	}
	if got := sample(t, rec, "redis_slowlog_entries_total", map[string]string{"cmd": "slowlog"}); got != 0 {
		t.Errorf("the exporter's own SLOWLOG commands were counted: %v", got)
	}
	if got := sample(t, rec, "redis_slowlog_missed_entries_total", nil); got != 0 {
		t.Errorf("missed after restart = %v, want 0", got)
	}
	if got := sample(t, tr, "redis_slowlog_last_id", map[string]string{"node": node}); got < k2-1 || got > 100 {
		t.Errorf("redis_slowlog_last_id after restart = %v, want a small id of the new process", got)
	}
}

func TestTrackerOverflowCountsMissed(t *testing.T) {
	s := redistest.Standalone(t, redistest.Options{Args: map[string]string{
		"slowlog-log-slower-than": "20000", // 20 ms: only the DEBUG SLEEPs below
		"slowlog-max-len":         "4",
		"enable-debug-command":    "yes",
	}})
	ctx := context.Background()
	exp := exporterClient(t, s)
	user := s.Client(t)
	rec := testRecorder(false)
	tr := NewTracker(rec, 1)
	tr.SetTopology(group("n"))
	scrape(t, tr, exp, "n")
	for i := 0; i < 10; i++ {
		if err := user.Do(ctx, "DEBUG", "SLEEP", "0.025").Err(); err != nil {
			t.Fatal(err)
		}
	}
	scrape(t, tr, exp, "n")
	if got := sample(t, rec, "redis_slowlog_missed_entries_total", map[string]string{"node": "n"}); got != 6 {
		t.Errorf("missed = %v, want 6", got)
	}
	if got := sample(t, rec, "redis_slowlog_entries_total", map[string]string{"node": "n", "cmd": "debug"}); got != 4 {
		t.Errorf("entries = %v, want 4", got)
	}
	if got := sample(t, rec, "redis_slowlog_duration_seconds", map[string]string{"node": "n", "cmd": "debug"}); got != 4 {
		t.Errorf("duration observations = %v, want 4", got)
	}
}

func TestTrackerPrivacy(t *testing.T) {
	s := redistest.Standalone(t, redistest.Options{Args: map[string]string{"slowlog-log-slower-than": "0"}})
	ctx := context.Background()
	exp := exporterClient(t, s)
	user := s.Client(t)
	for _, keep := range []bool{false, true} {
		rec := testRecorder(keep)
		tr := NewTracker(rec, 1)
		tr.SetTopology(group("n"))
		scrape(t, tr, exp, "n")
		if err := user.Set(ctx, "ksql-secret-key", "ksql-secret-value-0123456789", 0).Err(); err != nil {
			t.Fatal(err)
		}
		scrape(t, tr, exp, "n")
		b, err := json.Marshal(rec.RecentSlow(SlowQuery{Cmd: "set", Limit: 100}))
		if err != nil {
			t.Fatal(err)
		}
		body := string(b)
		written := body + exposition(t, rec, tr)
		if !keep {
			if strings.Contains(written, "secret") {
				t.Errorf("keep_args=false: an argument leaked:\n%s", written)
			}
			if !strings.Contains(body, `"command":"SET ... (2 more arguments)"`) || !strings.Contains(body, `"arg_count":2`) {
				t.Errorf("keep_args=false: want the redacted command and count, got %s", body)
			}
		} else {
			// max_arg_len 8 in testRecorder.
			if !strings.Contains(body, `"args":["ksql-sec...","ksql-sec..."]`) {
				t.Errorf("keep_args=true: want truncated arguments, got %s", body)
			}
			if strings.Contains(exposition(t, rec, tr), "secret") {
				t.Errorf("keep_args=true: an argument reached a metric")
			}
		}
	}
}
