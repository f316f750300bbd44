package logtail

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs/types"
	"github.com/redis/go-redis/v9"
	"github.com/sivchari/kumo"

	"github.com/elasticache-exporter/elasticache-exporter/internal/config"
	"github.com/elasticache-exporter/elasticache-exporter/internal/redistest"
	"github.com/elasticache-exporter/elasticache-exporter/internal/slowlog"
)

// groups names a test's log groups: every kumo server of the test binary
// shares one store, so each test needs its own names.
func groups(t *testing.T) (slow, engine string) {
	return "/aws/elasticache/" + t.Name() + "/slow-log", "/aws/elasticache/" + t.Name() + "/engine-log"
}

// logsEmulator starts kumo and returns a CloudWatch Logs client of it.
func logsEmulator(t *testing.T) *cloudwatchlogs.Client {
	srv := kumo.NewServer()
	t.Cleanup(srv.Close)
	return cloudwatchlogs.New(cloudwatchlogs.Options{
		Region:       "us-east-1",
		BaseEndpoint: aws.String(srv.URL),
		Credentials:  credentials.NewStaticCredentialsProvider("test", "test", ""),
	})
}

func createStream(t *testing.T, c *cloudwatchlogs.Client, group, stream string) {
	t.Helper()
	ctx := context.Background()
	if _, err := c.CreateLogGroup(ctx, &cloudwatchlogs.CreateLogGroupInput{LogGroupName: aws.String(group)}); err != nil &&
		!strings.Contains(err.Error(), "ResourceAlreadyExists") {
		t.Fatalf("CreateLogGroup %s: %v", group, err)
	}
	if _, err := c.CreateLogStream(ctx, &cloudwatchlogs.CreateLogStreamInput{LogGroupName: aws.String(group), LogStreamName: aws.String(stream)}); err != nil {
		t.Fatalf("CreateLogStream %s: %v", stream, err)
	}
}

// put writes lines to a stream, the i-th at tsMs+i.
func put(t *testing.T, c *cloudwatchlogs.Client, group, stream string, tsMs int64, lines ...string) {
	t.Helper()
	events := make([]types.InputLogEvent, len(lines))
	for i, l := range lines {
		events[i] = types.InputLogEvent{Message: aws.String(l), Timestamp: aws.Int64(tsMs + int64(i))}
	}
	if _, err := c.PutLogEvents(context.Background(), &cloudwatchlogs.PutLogEventsInput{
		LogGroupName: aws.String(group), LogStreamName: aws.String(stream), LogEvents: events}); err != nil {
		t.Fatalf("PutLogEvents: %v", err)
	}
}

func newTestTailer(t *testing.T, cfg config.LogsConfig, api FilterLogEventsAPI, rec *slowlog.Recorder, now time.Time) *Tailer {
	t.Helper()
	tl, err := NewTailer(cfg, api, rec, nil)
	if err != nil {
		t.Fatal(err)
	}
	if !now.IsZero() {
		tl.now = func() time.Time { return now }
	}
	return tl
}

type tailCounts struct {
	slow, engine, slowOutside, engineOutside, slowUnparsed, engineUnparsed, lines float64
}

func countsOf(t *testing.T, rec *slowlog.Recorder, tl *Tailer) tailCounts {
	return tailCounts{
		slow:           sample(t, rec, "redis_slowlog_entries_total", nil),
		engine:         sample(t, rec, "redis_engine_log_events_total", nil),
		slowOutside:    sample(t, rec, "elasticache_exporter_log_entries_outside_group_total", map[string]string{"kind": "slow"}),
		engineOutside:  sample(t, rec, "elasticache_exporter_log_entries_outside_group_total", map[string]string{"kind": "engine"}),
		slowUnparsed:   sample(t, tl, "elasticache_exporter_log_lines_unparsed_total", map[string]string{"log": LogSlow}),
		engineUnparsed: sample(t, tl, "elasticache_exporter_log_lines_unparsed_total", map[string]string{"log": LogEngine}),
		lines:          sample(t, tl, "elasticache_exporter_log_lines_total", nil),
	}
}

func (a tailCounts) plus(b tailCounts) tailCounts {
	return tailCounts{a.slow + b.slow, a.engine + b.engine, a.slowOutside + b.slowOutside, a.engineOutside + b.engineOutside,
		a.slowUnparsed + b.slowUnparsed, a.engineUnparsed + b.engineUnparsed, a.lines + b.lines}
}

// TestTailerResumesExactlyOnce puts the testdata lines (both formats of both
// logs, malformed ones included) into the emulator, stops a tail after one
// short page and resumes it in a new "process" from the state file.
func TestTailerResumesExactlyOnce(t *testing.T) {
	c := logsEmulator(t)
	slowGroup, engineGroup := groups(t)
	base := time.Date(2024, 5, 1, 12, 0, 0, 0, time.UTC)
	streams := map[string][]string{
		slowGroup:   {"elasticache/redis/kafka-platform-prod-001/0001/slow-log", "elasticache/redis/kafka-platform-prod-002/0001/slow-log"},
		engineGroup: {"elasticache/redis/kafka-platform-prod-001/0001/engine-log", "elasticache/redis/kafka-platform-prod-002/0001/engine-log"},
	}
	files := map[string]string{slowGroup: "slow-log.txt", engineGroup: "engine-log.txt"}
	for group, ss := range streams {
		for _, s := range ss {
			createStream(t, c, group, s)
		}
		// Alternate lines between the two node streams, 10 ms apart.
		for i, l := range testdataLines(t, files[group]) {
			put(t, c, group, ss[i%2], base.UnixMilli()+int64(i)*10, l)
		}
	}
	// testdata: slow-log 7 parse (1 is the exporter's own, 2 of another
	// group), 5 do not; engine-log 9 parse (1 of another group), 3 do not.
	want := tailCounts{slow: 4, engine: 8, slowOutside: 2, engineOutside: 1, slowUnparsed: 5, engineUnparsed: 3, lines: 24}

	cfg := config.LogsConfig{SlowLogGroup: slowGroup, EngineLogGroup: engineGroup, PollInterval: time.Second,
		StateFile: filepath.Join(t.TempDir(), "tail.json"), HistorySize: 1000, Lookback: time.Minute, Engine: "redis"}
	now := base.Add(30 * time.Second)

	// Process 1 reads one page of 4 events per group, then "stops".
	nodes := []string{"kafka-platform-prod-001", "kafka-platform-prod-002"}
	rec1 := recorderOf(nodes...)
	tl1 := newTestTailer(t, cfg, c, rec1, now)
	tl1.pageLimit, tl1.maxPages = 4, 1
	if err := tl1.Poll(context.Background()); err != nil {
		t.Fatal(err)
	}
	got1 := countsOf(t, rec1, tl1)
	if got1.lines != 8 {
		t.Fatalf("first process read %v lines, want 8 (one page of 4 per group)", got1.lines)
	}

	// Process 2 resumes from the state file and reads the rest.
	rec2 := recorderOf(nodes...)
	tl2 := newTestTailer(t, cfg, c, rec2, now)
	for i := 0; i < 2; i++ { // a second poll finds nothing new
		if err := tl2.Poll(context.Background()); err != nil {
			t.Fatal(err)
		}
	}
	got2 := countsOf(t, rec2, tl2)
	if sum := got1.plus(got2); sum != want {
		t.Errorf("counts over both processes = %+v, want %+v (first %+v, second %+v)", sum, want, got1, got2)
	}
	if got := sample(t, tl2, "elasticache_exporter_log_tail_api_calls_total", nil); got != 4 {
		t.Errorf("API calls = %v, want 4 (one per group per poll)", got)
	}
	lag := sample(t, tl2, "elasticache_exporter_log_tail_lag_seconds", map[string]string{"log": LogEngine})
	if lag < 29 || lag > 30 {
		t.Errorf("engine log lag = %v, want about 30 s - 110 ms", lag)
	}

	// New events after the restart count once, in a third process too.
	put(t, c, slowGroup, streams[slowGroup][0], base.UnixMilli()+5000,
		`kafka-platform-prod-001,0001,1700000100,1200000,KEYS ... (1 more arguments),10.0.1.17:40112,ksqldb`)
	put(t, c, engineGroup, streams[engineGroup][1], base.UnixMilli()+5000,
		`kafka-platform-prod-002/0001:S 01 May 2024 12:00:05.000 UTC # Connection with master lost.`)
	if err := tl2.Poll(context.Background()); err != nil {
		t.Fatal(err)
	}
	rec3 := recorderOf(nodes...)
	tl3 := newTestTailer(t, cfg, c, rec3, now)
	if err := tl3.Poll(context.Background()); err != nil {
		t.Fatal(err)
	}
	if got := countsOf(t, rec3, tl3); got != (tailCounts{}) {
		t.Errorf("a restart after everything was read counted again: %+v", got)
	}
	if got := sample(t, rec2, "redis_slowlog_entries_total", map[string]string{"node": "kafka-platform-prod-001", "shard": "0001", "cmd": "keys"}); got != 1 {
		t.Errorf("new slow entry counted %v times, want 1", got)
	}
	if got := sample(t, rec2, "redis_engine_log_events_total", map[string]string{"node": "kafka-platform-prod-002", "shard": "0002", "level": "warning", "event": slowlog.EventPrimaryLinkLost}); got < 1 {
		t.Errorf("new engine event not counted")
	}

	// The history of process 2: newest first by the lines' own time,
	// filters, raw lines kept.
	events := rec2.RecentEvents(slowlog.EventQuery{Node: "kafka-platform-prod-002", Limit: 1})
	if len(events) != 1 || events[0].Message != "Connection with master lost." || !events[0].Time.Equal(time.Date(2024, 5, 1, 12, 0, 5, 0, time.UTC)) {
		t.Errorf("newest engine event = %+v, want the one put last", events)
	}
	slow := rec2.RecentSlow(slowlog.SlowQuery{Limit: 1000})
	raw := 0
	for i, e := range slow {
		if e.Raw != "" {
			raw++
		}
		if i > 0 && e.Time.After(slow[i-1].Time) {
			t.Errorf("slow history not newest first at %d: %v after %v", i, e.Time, slow[i-1].Time)
		}
	}
	if raw != int(got2.slowUnparsed) {
		t.Errorf("raw slow lines in the history = %d, want %v", raw, got2.slowUnparsed)
	}
	// Unparsed lines are ordered by their delivery time (they have no
	// other), parsed ones by the node's timestamp in the line.
	var newestParsed slowlog.SlowEntry
	for _, e := range slow {
		if e.Raw == "" {
			newestParsed = e
			break
		}
	}
	if newestParsed.Cmd != "keys" || newestParsed.Time.Unix() != 1700000100 {
		t.Errorf("newest parsed slow entry = %+v, want the KEYS put last (its Timestamp is the newest)", newestParsed)
	}
}

// TestSlowEntryCountedOnceAcrossSources reads a real node's slow log and
// then the same entries delivered through CloudWatch Logs (JSON with the id,
// TEXT without): each entry counts once.
func TestSlowEntryCountedOnceAcrossSources(t *testing.T) {
	s := redistest.Standalone(t, redistest.Options{Args: map[string]string{"slowlog-log-slower-than": "0"}})
	ctx := context.Background()
	exp := exporterClient(t, s)
	user := s.Client(t)
	if err := user.Ping(ctx).Err(); err != nil {
		t.Fatal(err)
	}
	const node = "kafka-platform-prod-001"
	rec := recorderOf(node)
	tr := slowlog.NewTracker(rec, 1)
	scrape(t, tr, exp, node)
	for i := 0; i < 3; i++ {
		if err := user.Incr(ctx, "n").Err(); err != nil {
			t.Fatal(err)
		}
	}
	scrape(t, tr, exp, node)
	if got := sample(t, rec, "redis_slowlog_entries_total", map[string]string{"cmd": "incr"}); got != 3 {
		t.Fatalf("incr entries from SLOWLOG GET = %v, want 3", got)
	}
	log, err := exp.SlowLogGet(ctx, 100).Result()
	if err != nil {
		t.Fatal(err)
	}
	var lines []string
	for _, e := range log {
		if len(e.Args) == 0 || e.Args[0] != "incr" {
			continue
		}
		us := e.Duration.Microseconds()
		if len(lines) < 2 {
			lines = append(lines, fmt.Sprintf(`{"CacheClusterId":%q,"CacheNodeId":"0001","Id":%d,"Timestamp":%d,"Duration (us)":%d,"Command":"INCR ... (1 more arguments)","ClientAddress":%q,"ClientName":""}`,
				node, e.ID, e.Time.Unix(), us, e.ClientAddr))
		} else {
			lines = append(lines, fmt.Sprintf("%s,0001,%d,%d,INCR ... (1 more arguments),%s,", node, e.Time.Unix(), us, e.ClientAddr))
		}
	}
	// One entry only CloudWatch Logs saw (logged before the exporter's baseline).
	lines = append(lines, fmt.Sprintf(`{"CacheClusterId":%q,"CacheNodeId":"0001","Id":100000,"Timestamp":%d,"Duration (us)":5,"Command":"INCR ... (1 more arguments)","ClientAddress":"10.0.0.9:1","ClientName":""}`, node, time.Now().Unix()))

	c := logsEmulator(t)
	slowGroup, _ := groups(t)
	stream := "elasticache/redis/" + node + "/0001/slow-log"
	createStream(t, c, slowGroup, stream)
	put(t, c, slowGroup, stream, time.Now().UnixMilli(), lines...)
	tl := newTestTailer(t, config.LogsConfig{SlowLogGroup: slowGroup, PollInterval: time.Second, HistorySize: 10, Lookback: time.Minute, Engine: "redis"}, c, rec, time.Time{})
	tl.SetNodes([]StreamNode{{CacheClusterID: node, CacheNodeID: "0001"}})
	if err := tl.Poll(ctx); err != nil {
		t.Fatal(err)
	}
	if got := sample(t, tl, "elasticache_exporter_log_lines_total", nil); got != 4 {
		t.Fatalf("tail read %v lines, want 4", got)
	}
	if got := sample(t, rec, "redis_slowlog_entries_total", map[string]string{"node": node, "cmd": "incr"}); got != 4 {
		t.Errorf("incr entries after both sources = %v, want 4 (3 seen by both, 1 only in CloudWatch Logs)", got)
	}
}

// exporterClient connects the way the daemon does: with the exporter's
// CLIENT SETNAME name, so its own SLOWLOG/INFO commands are recognisable.
func exporterClient(t *testing.T, s *redistest.Server) *redis.Client {
	o := s.ClientOptions()
	o.ClientName = exporterName
	c := redis.NewClient(o)
	t.Cleanup(func() { _ = c.Close() })
	return c
}

func scrape(t *testing.T, tr *slowlog.Tracker, c *redis.Client, node string) {
	t.Helper()
	info, err := c.Info(context.Background(), "server").Result()
	if err != nil {
		t.Fatal(err)
	}
	runID := ""
	for _, l := range strings.Split(info, "\r\n") {
		if v, ok := strings.CutPrefix(l, "run_id:"); ok {
			runID = v
		}
	}
	if err := tr.Scrape(context.Background(), c, node, "0001", runID); err != nil {
		t.Fatalf("Scrape: %v", err)
	}
}
