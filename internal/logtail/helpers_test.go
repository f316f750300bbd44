package logtail

import (
	"testing"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/elasticache-exporter/elasticache-exporter/internal/config"
	"github.com/elasticache-exporter/elasticache-exporter/internal/promtest"
	"github.com/elasticache-exporter/elasticache-exporter/internal/slowlog"
	"github.com/elasticache-exporter/elasticache-exporter/internal/topology"
)

const exporterName = "elasticache-exporter"

func testRecorder(keepArgs bool) *slowlog.Recorder {
	return slowlog.NewRecorder(exporterName,
		config.SlowlogConfig{Enabled: true, KeepArgs: keepArgs, MaxArgLen: 8, HistorySize: 1000},
		config.LogsConfig{HistorySize: 1000})
}

// adopted is an adopted group whose member clusters are the given ids, one
// shard each ("0001", "0002", …), named by their id as adoption does.
func adopted(ids ...string) *topology.Topology {
	t := &topology.Topology{Mode: topology.ModeReplication}
	for i, id := range ids {
		shard := []string{"0001", "0002", "0003", "0004"}[i%4]
		t.Nodes = append(t.Nodes, topology.Node{Name: id, Addr: "127.0.0.1:1", Shard: shard, CacheClusterID: id, CacheNodeID: "0001"})
	}
	return t
}

// recorderOf returns a recorder that counts for the adopted ids.
func recorderOf(ids ...string) *slowlog.Recorder {
	rec := testRecorder(false)
	rec.SetTopology(adopted(ids...))
	return rec
}

// sample sums the samples of a metric family whose labels include want.
func sample(t testing.TB, c prometheus.Collector, name string, want map[string]string) float64 {
	t.Helper()
	return promtest.Sum(t, c, name, want)
}
