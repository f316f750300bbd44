package slowlog

import (
	"testing"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
)

// The exported metrics pass the client_golang linter (names, units, HELP).
func TestMetricsLint(t *testing.T) {
	rec := testRecorder(false)
	rec.SetTopology(group("a"))
	rec.RecordSlow(SlowCommand{Node: "a", ID: 1, Time: t0, Name: "get", Source: SourceRedis})
	rec.RecordSlow(SlowCommand{Node: "elsewhere", ID: 1, Time: t0, Name: "get", Source: SourceRedis})
	rec.recordMissed("a", "", 2)
	rec.RecordEngine(EngineEvent{Node: "a", Level: LevelNotice, Event: EventRDBSave})
	for _, c := range []prometheus.Collector{rec, NewTracker(rec, 1)} {
		problems, err := testutil.CollectAndLint(c)
		if err != nil {
			t.Fatal(err)
		}
		for _, p := range problems {
			t.Errorf("lint %s: %s", p.Metric, p.Text)
		}
	}
}
