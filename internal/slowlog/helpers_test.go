package slowlog

import (
	"bytes"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/common/expfmt"

	"github.com/elasticache-exporter/elasticache-exporter/internal/config"
	"github.com/elasticache-exporter/elasticache-exporter/internal/promtest"
	"github.com/elasticache-exporter/elasticache-exporter/internal/topology"
)

const exporterName = "elasticache-exporter"

func testRecorder(keepArgs bool) *Recorder {
	return NewRecorder(exporterName,
		config.SlowlogConfig{Enabled: true, KeepArgs: keepArgs, MaxArgLen: 8, HistorySize: 1000},
		config.LogsConfig{HistorySize: 1000})
}

// sample sums the samples of a metric family whose labels include want.
func sample(t testing.TB, c prometheus.Collector, name string, want map[string]string) float64 {
	t.Helper()
	return promtest.Sum(t, c, name, want)
}

// exposition renders everything the collectors export, as Prometheus would
// read it.
func exposition(t testing.TB, cs ...prometheus.Collector) string {
	t.Helper()
	reg := prometheus.NewPedanticRegistry()
	reg.MustRegister(cs...)
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatalf("gather: %v", err)
	}
	var b bytes.Buffer
	for _, mf := range mfs {
		if _, err := expfmt.MetricFamilyToText(&b, mf); err != nil {
			t.Fatal(err)
		}
	}
	return b.String()
}

// group is a cluster-mode-disabled group of the named nodes in shard "0".
func group(names ...string) *topology.Topology {
	t := &topology.Topology{Mode: topology.ModeReplication}
	for _, n := range names {
		t.Nodes = append(t.Nodes, topology.Node{Name: n, Addr: n, Shard: "0"})
	}
	return t
}
