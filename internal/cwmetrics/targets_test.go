package cwmetrics

import (
	"fmt"
	"testing"

	"github.com/elasticache-exporter/elasticache-exporter/internal/topology"
)

func TestTargetsFromTopology(t *testing.T) {
	adopted := &topology.Topology{Nodes: []topology.Node{
		{Name: "kafka-platform-prod-002", Shard: "0001", CacheClusterID: "kafka-platform-prod-002", CacheNodeID: "0001"},
		{Name: "kafka-platform-prod-001", Shard: "0001", CacheClusterID: "kafka-platform-prod-001"},
	}}
	seeded := &topology.Topology{Nodes: []topology.Node{
		{Name: "kafka-platform-prod-001.abc123.0001.euw1.cache.amazonaws.com:6379", Addr: "kafka-platform-prod-001.abc123.0001.euw1.cache.amazonaws.com:6379", Shard: "0"},
		{Name: "10.0.1.5:6379", Addr: "10.0.1.5:6379", Shard: "0"},
	}}
	for _, tc := range []struct {
		name string
		topo *topology.Topology
		ids  []string
		want []Target
	}{
		{"adopted group: every member, sorted, node id defaulted", adopted, nil, []Target{
			{"kafka-platform-prod-001", "0001", "kafka-platform-prod-001", "0001"},
			{"kafka-platform-prod-002", "0001", "kafka-platform-prod-002", "0001"},
		}},
		{"explicit ids on an adopted group take its labels", adopted, []string{"kafka-platform-prod-002", "kafka-platform-prod-002"}, []Target{
			{"kafka-platform-prod-002", "0001", "kafka-platform-prod-002", "0001"},
		}},
		{"explicit ids matched by endpoint host", seeded, []string{"kafka-platform-prod-001", "kafka-platform-prod-003"}, []Target{
			{"kafka-platform-prod-001", "0001", "kafka-platform-prod-001.abc123.0001.euw1.cache.amazonaws.com:6379", "0"},
			{"kafka-platform-prod-003", "0001", "", ""},
		}},
		{"not adopted and no ids: nothing to ask", seeded, nil, []Target{}},
		{"no topology yet", nil, []string{"c-001"}, []Target{{"c-001", "0001", "", ""}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := TargetsFromTopology(tc.topo, tc.ids)
			if fmt.Sprint(got) != fmt.Sprint(tc.want) {
				t.Errorf("got  %v\nwant %v", got, tc.want)
			}
		})
	}
}

func TestEndpointClusterID(t *testing.T) {
	for addr, want := range map[string]string{
		"kafka-platform-prod-0001-002.abc123.euw1.cache.amazonaws.com:6379":    "kafka-platform-prod-0001-002",
		"kafka-platform-prod-001.abc123.0001.cnn1.cache.amazonaws.com.cn:6379": "kafka-platform-prod-001",
		"master.kafka-platform-prod.abc123.euw1.cache.amazonaws.com":           "master",
		"10.0.0.1:6379":  "",
		"localhost:6379": "",
		"redis.internal": "",
		"[::1]:6379":     "",
	} {
		if got := endpointClusterID(addr); got != want {
			t.Errorf("endpointClusterID(%q) = %q, want %q", addr, got, want)
		}
	}
}
