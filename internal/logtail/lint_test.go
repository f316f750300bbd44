package logtail

import (
	"testing"

	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/elasticache-exporter/elasticache-exporter/internal/config"
)

// The tail's metrics pass the client_golang linter (names, units, HELP).
func TestMetricsLint(t *testing.T) {
	tl, err := NewTailer(config.LogsConfig{SlowLogGroup: "g", EngineLogGroup: "h", HistorySize: 1, Engine: "redis"}, nil, testRecorder(false), nil)
	if err != nil {
		t.Fatal(err)
	}
	problems, err := testutil.CollectAndLint(tl)
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range problems {
		t.Errorf("lint %s: %s", p.Metric, p.Text)
	}
}
