package shard

import (
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/elasticache-exporter/elasticache-exporter/internal/topology"
)

// TestCollectorCoversTheGroup: over the processes of a set, the owned
// shards sum to the group's, which is what docs/scaling.md's PromQL checks.
func TestCollectorCoversTheGroup(t *testing.T) {
	full := clusterTopology(9, 1)
	owned := 0.0
	for index := range 3 {
		reg := prometheus.NewPedanticRegistry()
		reg.MustRegister(Assignment{Count: 3, Index: index}.Collector(func() *topology.Topology { return full }))
		fams, err := reg.Gather()
		if err != nil {
			t.Fatal(err)
		}
		got := map[string]float64{}
		for _, f := range fams {
			got[f.GetName()] = f.GetMetric()[0].GetGauge().GetValue()
		}
		if got["elasticache_exporter_shard_processes"] != 3 || got["elasticache_exporter_shard_index"] != float64(index) || got["elasticache_exporter_group_shards"] != 9 {
			t.Errorf("process %d: %v", index, got)
		}
		owned += got["elasticache_exporter_owned_shards"]
		if problems, err := testutil.GatherAndLint(reg); err != nil || len(problems) != 0 {
			t.Errorf("lint: %v %v", problems, err)
		}
	}
	if owned != 9 {
		t.Errorf("owned shards sum to %v over the 3 processes, want the group's 9", owned)
	}
}

func TestCollectorBeforeDiscovery(t *testing.T) {
	c := Assignment{}.Collector(func() *topology.Topology { return nil })
	want := `# HELP elasticache_exporter_shard_index This process's index among elasticache_exporter_shard_processes (--shard.index or the StatefulSet ordinal).
# TYPE elasticache_exporter_shard_index gauge
elasticache_exporter_shard_index 0
# HELP elasticache_exporter_shard_processes --shard.count: the number of exporter processes the group's shards are split between (1 without sharding).
# TYPE elasticache_exporter_shard_processes gauge
elasticache_exporter_shard_processes 1
`
	if err := testutil.CollectAndCompare(c, strings.NewReader(want)); err != nil {
		t.Error(err)
	}
}
