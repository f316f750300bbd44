package slowlog

import (
	"testing"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/elasticache-exporter/elasticache-exporter/internal/config"
)

// The exported metrics pass the client_golang linter (names, units, HELP).
func TestMetricsLint(t *testing.T) {
	rec := testRecorder(false)
	rec.recordSlow(SlowEntry{Node: "a", ID: 1, Time: t0, Cmd: "get", Source: SourceRedis})
	rec.recordMissed("a", 2)
	rec.recordEngine(EngineEvent{Node: "a", Level: "notice", Event: EventRDBSave})
	tl, err := NewTailer(config.LogsConfig{SlowLogGroup: "g", EngineLogGroup: "h", HistorySize: 1, Engine: "redis"}, nil, rec, nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []prometheus.Collector{rec, tl, NewTracker(rec)} {
		problems, err := testutil.CollectAndLint(c)
		if err != nil {
			t.Fatal(err)
		}
		for _, p := range problems {
			t.Errorf("lint %s: %s", p.Metric, p.Text)
		}
	}
}
