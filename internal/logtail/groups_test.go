package logtail

import (
	"context"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/elasticache-exporter/elasticache-exporter/internal/collect"
	"github.com/elasticache-exporter/elasticache-exporter/internal/config"
)

// updateTail runs the tailer as a round's collector: what it sent, and its
// error.
func updateTail(tl *Tailer) (int, error) {
	ch := make(chan prometheus.Metric, 100)
	err := tl.Update(context.Background(), &collect.Input{}, ch)
	close(ch)
	n := 0
	for range ch {
		n++
	}
	return n, err
}

// TestLogGroupsAfterStart: the daemon learns the log groups from adoption
// after the tail was built and started. Without groups the tail idles and
// succeeds; once set, the next poll reads them.
func TestLogGroupsAfterStart(t *testing.T) {
	c := logsEmulator(t)
	slowGroup, engineGroup := groups(t)
	const node = "kafka-platform-prod-001"
	slowStream := "elasticache/redis/" + node + "/0001/slow-log"
	createStream(t, c, slowGroup, slowStream)
	now := time.Now()

	rec := recorderOf(node)
	cfg := config.LogsConfig{PollInterval: time.Second, HistorySize: 10, Lookback: time.Minute, Engine: "redis"}
	tl := newTestTailer(t, cfg, c, rec, now)
	if err := tl.Poll(context.Background()); err != nil {
		t.Fatalf("poll without groups: %v", err)
	}
	if n, err := updateTail(tl); n != 0 || err != nil {
		t.Errorf("Update without groups = %d series, %v; want nothing and no error", n, err)
	}
	if got := sample(t, tl, "elasticache_exporter_log_tail_api_calls_total", nil); got != 0 {
		t.Errorf("API calls without groups = %v, want 0", got)
	}

	// Run idles without groups instead of returning, and picks them up.
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { tl.Run(ctx); close(done) }()
	put(t, c, slowGroup, slowStream, now.UnixMilli(),
		`{"CacheClusterId":"`+node+`","CacheNodeId":"0001","Id":3,"Timestamp":`+itoa(now.Unix())+`,"Duration (us)":20000,"Command":"HGETALL ... (1 more arguments)","ClientAddress":"10.0.0.1:1","ClientName":""}`)
	tl.SetLogGroups(slowGroup, "")
	if s, e := tl.LogGroups(); s != slowGroup || e != "" {
		t.Errorf("LogGroups = %q, %q", s, e)
	}
	deadline := time.Now().Add(10 * time.Second)
	for sample(t, rec, "redis_slowlog_entries_total", map[string]string{"node": node, "shard": "0001", "cmd": "hgetall"}) != 1 {
		if time.Now().After(deadline) {
			t.Fatal("the slow-log group set after Run started was not read within 10s")
		}
		time.Sleep(50 * time.Millisecond)
	}
	cancel()
	<-done
	if n, err := updateTail(tl); n == 0 || err != nil {
		t.Errorf("Update with a group = %d series, %v; want the tail's series and no error", n, err)
	}

	// A group that does not exist fails the poll, and the collector with it.
	tl.SetLogGroups(slowGroup, engineGroup) // engineGroup was never created
	if err := tl.Poll(context.Background()); err == nil {
		t.Fatal("polling a missing group succeeded")
	}
	if _, err := updateTail(tl); err == nil || !strings.Contains(err.Error(), engineGroup) {
		t.Errorf("Update after a failed poll = %v, want the failure naming the group", err)
	}
	// Dropping it again removes its series and clears the failure at the
	// next poll.
	tl.SetLogGroups(slowGroup, "")
	if err := tl.Poll(context.Background()); err != nil {
		t.Fatal(err)
	}
	if _, err := updateTail(tl); err != nil {
		t.Errorf("Update after a good poll = %v", err)
	}
	if got := sample(t, tl, "elasticache_exporter_log_tail_api_calls_total", map[string]string{"log": LogEngine}); got != 0 {
		t.Errorf("engine-log series after its group was dropped = %v, want none", got)
	}
}

// TestTailWaitsForTheGroup: until the recorder knows the group's nodes, a
// poll reads nothing, so no line is consumed (and checkpointed) without
// being attributed to its node.
func TestTailWaitsForTheGroup(t *testing.T) {
	c := logsEmulator(t)
	slowGroup, _ := groups(t)
	const node = "kafka-platform-prod-001"
	stream := "elasticache/redis/" + node + "/0001/slow-log"
	createStream(t, c, slowGroup, stream)
	now := time.Now()
	put(t, c, slowGroup, stream, now.UnixMilli(),
		node+",0001,"+itoa(now.Unix())+",30000,KEYS ... (1 more arguments),10.0.0.1:1,")

	rec := testRecorder(false) // no topology yet
	tl := newTestTailer(t, config.LogsConfig{SlowLogGroup: slowGroup, PollInterval: time.Second, HistorySize: 10,
		Lookback: time.Minute, Engine: "redis"}, c, rec, now)
	if err := tl.Poll(context.Background()); err != nil {
		t.Fatal(err)
	}
	if got := sample(t, tl, "elasticache_exporter_log_tail_api_calls_total", nil); got != 0 {
		t.Fatalf("API calls before the group is known = %v, want 0", got)
	}
	tl.SetTopology(adopted(node))
	if err := tl.Poll(context.Background()); err != nil {
		t.Fatal(err)
	}
	if got := sample(t, rec, "redis_slowlog_entries_total", map[string]string{"node": node, "shard": "0001", "cmd": "keys"}); got != 1 {
		t.Errorf("entries once the group is known = %v, want 1", got)
	}
}

func itoa(v int64) string { return strconv.FormatInt(v, 10) }
