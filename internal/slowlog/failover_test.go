package slowlog

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/elasticache-exporter/elasticache-exporter/internal/collect"
)

// A measured failover joins the event history with its duration, counts no
// engine log line, and is not taken back as an engine-log signal; the
// delivered failover lines are.
func TestRecordFailoverKeepsTheDurationInTheHistory(t *testing.T) {
	r := testRecorder(false)
	r.SetTopology(group("a", "b"))
	t0 := time.Date(2026, 12, 2, 7, 0, 0, 0, time.UTC)
	r.RecordEngine(EngineEvent{Node: "b", Time: t0, Level: LevelNotice, Event: EventFailover, Message: "MASTER MODE enabled"})
	r.RecordFailover(collect.Failover{Shard: "0", OldPrimary: "a", NewPrimary: "b", Start: t0.Add(-5 * time.Second),
		End: t0.Add(time.Second), Duration: 6 * time.Second, Source: collect.FailoverSourceScrape})
	r.RecordFailover(collect.Failover{Shard: "0", OldPrimary: "b", NewPrimary: strings.Repeat("n", 10_000), Start: t0,
		End: t0.Add(time.Hour), Duration: time.Hour, Source: collect.FailoverSourceEngineLog, Unlinked: true})

	if n := sample(t, r, "redis_engine_log_events_total", map[string]string{"event": EventFailover}); n != 1 {
		t.Errorf("redis_engine_log_events_total{event=failover} = %v, want 1 (the delivered line only)", n)
	}
	evs := r.RecentEvents(EventQuery{Event: EventFailover, Limit: 10})
	if len(evs) != 3 {
		t.Fatalf("history: %+v", evs)
	}
	measured := evs[1]
	if measured.DurationSeconds != 6 || measured.OldPrimary != "a" || measured.NewPrimary != "b" || measured.Node != "b" ||
		measured.Shard != "0" || measured.Source != "scrape" || !measured.Time.Equal(t0.Add(time.Second)) {
		t.Errorf("measured event: %+v", measured)
	}
	if len(evs[0].NewPrimary) > maxFieldLen || len(evs[0].Node) > maxFieldLen || len(evs[0].Message) > maxRawLen ||
		!strings.Contains(evs[0].Message, "lower bound") {
		t.Errorf("oversized name or unlinked failover: %+v", evs[0])
	}
	b, _ := json.Marshal(measured)
	for _, field := range []string{`"duration_seconds":6`, `"old_primary":"a"`, `"new_primary":"b"`, `"source":"scrape"`, `"event":"failover"`} {
		if !strings.Contains(string(b), field) {
			t.Errorf("JSON %s lacks %s", b, field)
		}
	}
	b, _ = json.Marshal(evs[2])
	if strings.Contains(string(b), "duration_seconds") || strings.Contains(string(b), "source") {
		t.Errorf("a delivered line carries measurement fields: %s", b)
	}
	signals := r.FailoverSignals()
	if len(signals) != 1 || signals[0].Shard != "0" || signals[0].Node != "b" || !signals[0].Time.Equal(t0) {
		t.Errorf("signals: %+v", signals)
	}
}
