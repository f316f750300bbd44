package slowlog

import (
	"fmt"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/prometheus/client_golang/prometheus"
)

func TestDedupMatchesAcrossSourcesOnly(t *testing.T) {
	d := newDedup(3)
	redisE := SlowEntry{Node: "a", ID: 5, Time: t0, Duration: 30 * time.Microsecond, Cmd: "get", Source: SourceRedis}
	if first, second := d.seen(redisE), d.seen(redisE); first || second {
		t.Fatal("the same source never de-duplicates against itself")
	}
	cwl := redisE
	cwl.Source = SourceCloudWatchLogs
	if first, second := d.seen(cwl), d.seen(cwl); !first || !second {
		t.Fatal("two redis entries should be matched by two log entries")
	}
	if d.seen(cwl) {
		t.Fatal("a third log entry has nothing left to match")
	}
	text := cwl
	text.ID, text.Time = -1, t0.Add(time.Hour)
	r2 := redisE
	r2.ID, r2.Time = 9, t0.Add(time.Hour)
	d.seen(r2)
	if !d.seen(text) {
		t.Error("a TEXT line (no id) should match on second, duration and command")
	}
	restarted := cwl
	restarted.Time = t0.Add(2 * time.Hour) // same id, other second: another process
	if d.seen(restarted) {
		t.Error("same id in another second matched")
	}
}

func TestArgsFromSlowlog(t *testing.T) {
	name, kept, n := argsFromSlowlog([]string{"MSET", "a", "1", "... (40 more arguments)"}, 0)
	if name != "MSET" || len(kept) != 2 || n != 42 {
		t.Errorf("argsFromSlowlog = %q %q %d, want MSET, 2 kept, 42", name, kept, n)
	}
	e := SlowEntry{Cmd: "mset", ArgCount: n}
	argPolicy{}.apply(&e, kept)
	if e.Command != "MSET ... (42 more arguments)" || e.Args != nil {
		t.Errorf("redacted = %q %q", e.Command, e.Args)
	}
	argPolicy{keep: true, maxLen: 3}.apply(&e, []string{"abcdef", "é€x"})
	if e.Command != "MSET abc... é... ... (40 more arguments)" {
		t.Errorf("kept = %q", e.Command)
	}
	if CommandLabel("GeT") != "get" || CommandLabel("ksql-key") != "other" {
		t.Error("CommandLabel")
	}
}

// recordAll feeds one slow entry, one miss and one engine event per node.
func recordAll(rec *Recorder, nodes ...string) {
	for i, n := range nodes {
		rec.RecordSlow(SlowCommand{Node: n, ID: int64(i), Time: t0, Name: "get", Source: SourceRedis})
		rec.recordMissed(n, "", 1)
		rec.RecordEngine(EngineEvent{Node: n, Time: t0, Level: LevelWarning, Event: EventOOM})
	}
}

// both collects the recorder and the tracker as one collector.
type both struct {
	rec *Recorder
	tr  *Tracker
}

func (b both) Describe(ch chan<- *prometheus.Desc) { b.rec.Describe(ch); b.tr.Describe(ch) }
func (b both) Collect(ch chan<- prometheus.Metric) { b.rec.Collect(ch); b.tr.Collect(ch) }

// seriesOf counts the series of the recorder and tracker that carry node.
func seriesOf(t *testing.T, node string, cs ...prometheus.Collector) int {
	t.Helper()
	reg := prometheus.NewPedanticRegistry()
	reg.MustRegister(cs...)
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, mf := range mfs {
		for _, m := range mf.GetMetric() {
			for _, l := range m.GetLabel() {
				if l.GetName() == "node" && l.GetValue() == node {
					n++
				}
			}
		}
	}
	return n
}

// TestNodeLeavingDropsItsSeries: every per-node series carries node and
// shard, and all of a node's series go when the node leaves the group.
func TestNodeLeavingDropsItsSeries(t *testing.T) {
	rec := testRecorder(false)
	tr := NewTracker(rec, 1)
	first := group("a", "b")
	first.DiscoveredAt = t0
	tr.SetTopology(first)
	recordAll(rec, "a", "b")
	// The tracker's gauges exist once a node was read; fake one read.
	tr.nodes["b"] = &trackedNode{shard: "0", length: 3, lastID: 2, ok: true}

	for _, name := range []string{"redis_slowlog_entries_total", "redis_slowlog_duration_seconds",
		"redis_slowlog_missed_entries_total", "redis_engine_log_events_total", "redis_slowlog_length"} {
		if got := sample(t, both{rec, tr}, name, map[string]string{"node": "b", "shard": "0"}); got == 0 {
			t.Errorf("%s{node=b,shard=0} missing before b left", name)
		}
	}
	if n := seriesOf(t, "b", rec, tr); n != 6 {
		t.Fatalf("series of b before it left = %d, want 6 (entries, duration, missed, events, length, last_id)", n)
	}

	second := group("a")
	second.DiscoveredAt = t0.Add(time.Minute)
	tr.SetTopology(second)
	if n := seriesOf(t, "b", rec, tr); n != 0 {
		t.Errorf("series of b after it left the group = %d, want 0", n)
	}
	if n := seriesOf(t, "a", rec, tr); n != 4 {
		t.Errorf("series of a = %d, want its 4 recorder series kept", n)
	}

	// A round that began before the discovery hands over the older group:
	// it must not bring b back.
	tr.SetTopology(first)
	recordAll(rec, "b")
	if n := seriesOf(t, "b", rec, tr); n != 0 {
		t.Errorf("series of b after a stale topology and a late entry = %d, want 0", n)
	}
	if got := sample(t, rec, "elasticache_exporter_log_entries_outside_group_total", nil); got != 2 {
		t.Errorf("entries outside the group = %v, want 2 (b's late slow entry and engine event)", got)
	}
	if got := rec.RecentSlow(SlowQuery{Node: "b", Limit: 10}); len(got) != 2 {
		t.Errorf("b's entries in the history = %d, want 2: the history keeps what was read", len(got))
	}

	// A shard that changes (cluster mode: slots moved) drops the old label set.
	third := group("a")
	third.Nodes[0].Shard = "5461-10922"
	third.DiscoveredAt = t0.Add(2 * time.Minute)
	rec.SetTopology(third)
	if got := sample(t, rec, "redis_slowlog_entries_total", map[string]string{"node": "a", "shard": "0"}); got != 0 {
		t.Errorf("a's series under its old shard remain: %v", got)
	}
}

// TestLabelsFromHostileNames: node names and shards come from peers; the
// series stay valid UTF-8 and bounded, and the cmd label stays in its set.
func TestLabelsFromHostileNames(t *testing.T) {
	rec := testRecorder(false)
	bad := "node-\xff\xfe-" + strings.Repeat("x", 300)
	rec.SetTopology(group(bad))
	for i, name := range []string{"GET", "ksql-secret-key", "\xff", strings.Repeat("Z", 1000)} {
		rec.RecordSlow(SlowCommand{Node: bad, ID: int64(i), Time: t0, Name: name, Source: SourceRedis})
	}
	out := exposition(t, rec)
	if !utf8.ValidString(out) || strings.Contains(out, "secret") || strings.Contains(out, "ZZZZ") {
		t.Errorf("exposition holds invalid UTF-8, an argument or an unbounded cmd:\n%s", out)
	}
	for _, l := range strings.Split(out, "\n") {
		if len(l) > 400 {
			t.Errorf("unbounded series line: %q", l)
		}
	}
	if got := sample(t, rec, "redis_slowlog_entries_total", map[string]string{"cmd": "other"}); got != 3 {
		t.Errorf("cmd=other = %v, want 3", got)
	}
}

// TestRecentNewestFirstByTime: the history is ordered by each entry's own
// time across sources and nodes, not by when it was read.
func TestRecentNewestFirstByTime(t *testing.T) {
	rec := testRecorder(false)
	rec.SetTopology(group("a", "b"))
	// Read order: a (t0+2s), then b from the delivered log (t0+5s, read
	// late), then a (t0+1s, logged before the first), then b (t0+3s).
	for _, c := range []SlowCommand{
		{Node: "a", ID: 2, Time: t0.Add(2 * time.Second), Name: "get", Source: SourceRedis},
		{Node: "b", ID: -1, Time: t0.Add(5 * time.Second), Name: "set", Source: SourceCloudWatchLogs},
		{Node: "a", ID: 1, Time: t0.Add(1 * time.Second), Name: "get", Source: SourceRedis},
		{Node: "b", ID: 7, Time: t0.Add(3 * time.Second), Name: "get", Source: SourceRedis},
	} {
		rec.RecordSlow(c)
	}
	var got []int
	for _, e := range rec.RecentSlow(SlowQuery{Limit: 10}) {
		got = append(got, int(e.Time.Sub(t0)/time.Second))
	}
	if fmt.Sprint(got) != "[5 3 2 1]" {
		t.Errorf("slow history seconds = %v, want [5 3 2 1]", got)
	}
	if got := rec.RecentSlow(SlowQuery{Cmd: "get", Limit: 2}); len(got) != 2 || got[0].Node != "b" || got[1].ID != 2 {
		t.Errorf("cmd=get limit=2 = %+v, want b's id 7 then a's id 2", got)
	}
	rec.RecordEngine(EngineEvent{Node: "a", Time: t0.Add(time.Second), Level: LevelNotice, Event: EventRDBSave})
	rec.RecordEngine(EngineEvent{Node: "b", Time: t0.Add(9 * time.Second), Level: LevelNotice, Event: EventRestart})
	rec.RecordEngine(EngineEvent{Node: "a", Time: t0.Add(4 * time.Second), Level: LevelNotice, Event: EventOOM})
	events := rec.RecentEvents(EventQuery{Limit: 10})
	if len(events) != 3 || events[0].Event != EventRestart || events[1].Event != EventOOM || events[2].Event != EventRDBSave {
		t.Errorf("events = %+v, want restart, oom, rdb_save", events)
	}
	if got := rec.RecentEvents(EventQuery{Node: "zz", Limit: 10}); got == nil || len(got) != 0 {
		t.Errorf("no match = %#v, want an empty, non-nil list (JSON [])", got)
	}
}

// TestBeforeTheFirstTopology: until the recorder is given a topology, the
// tracker's entries count under the shard the round gave (log lines, which
// carry none, only as outside the group); the first topology removes the
// series of nodes that are not in it.
func TestBeforeTheFirstTopology(t *testing.T) {
	rec := testRecorder(false)
	rec.RecordSlow(SlowCommand{Node: "a", Shard: "0", ID: 1, Time: t0, Name: "get", Source: SourceRedis})
	rec.RecordSlow(SlowCommand{Node: "gone", Shard: "0", ID: 1, Time: t0, Name: "get", Source: SourceRedis})
	rec.RecordSlow(SlowCommand{Node: "c-001", ID: -1, Time: t0, Name: "get", Source: SourceCloudWatchLogs})
	if got := sample(t, rec, "redis_slowlog_entries_total", map[string]string{"shard": "0"}); got != 2 {
		t.Errorf("entries before any topology = %v, want 2", got)
	}
	if got := sample(t, rec, "elasticache_exporter_log_entries_outside_group_total", nil); got != 1 {
		t.Errorf("outside the group = %v, want the log line", got)
	}
	rec.SetTopology(group("a"))
	if n := seriesOf(t, "gone", rec); n != 0 {
		t.Errorf("series of a node the first topology lacks = %d, want 0", n)
	}
	if got := sample(t, rec, "redis_slowlog_entries_total", map[string]string{"node": "a", "shard": "0"}); got != 1 {
		t.Errorf("a's entries = %v, want 1 kept", got)
	}
}
