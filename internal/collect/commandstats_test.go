package collect

import (
	"fmt"
	"testing"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/elasticache-exporter/elasticache-exporter/internal/redisinfo"
	"github.com/elasticache-exporter/elasticache-exporter/internal/topology"
)

const commandStatsInfo = `# Replication
role:%s
# Commandstats
cmdstat_get:calls=500,usec=100,usec_per_call=0.2,rejected_calls=0,failed_calls=0
cmdstat_set:calls=300,usec=100,usec_per_call=0.3,rejected_calls=0,failed_calls=0
cmdstat_hget:calls=300,usec=100,usec_per_call=0.3,rejected_calls=0,failed_calls=0
cmdstat_info:calls=10,usec=100,usec_per_call=10,rejected_calls=0,failed_calls=0
cmdstat_ping:calls=900,usec=100,usec_per_call=0.1,rejected_calls=0,failed_calls=0
`

// commandLabels returns the cmd labels of redis_commands_total, in order.
func commandLabels(t *testing.T, role string, policy CommandStatsPolicy) []string {
	t.Helper()
	info := redisinfo.ParseLenient(fmt.Sprintf(commandStatsInfo, role))
	r := &NodeRead{Node: topology.Node{Name: "n", Shard: "0"}, Info: info}
	var cmds []string
	emitNodeWith(func(m prometheus.Metric) {
		if metaOf(m.Desc()).name != "redis_commands_total" {
			return
		}
		for _, s := range samples(t, mustEncode(t, m)) {
			cmds = append(cmds, s.labels["cmd"])
		}
	}, r, replicationView{}, policy)
	return cmds
}

func TestCommandStatsPolicy(t *testing.T) {
	for _, tc := range []struct {
		name   string
		role   string
		policy CommandStatsPolicy
		want   []string
	}{
		{"default keeps every command", "master", CommandStatsPolicy{}, []string{"get", "set", "hget", "info", "ping"}},
		{"top 3 by calls, ties in INFO order", "master", CommandStatsPolicy{TopN: 3}, []string{"ping", "get", "set"}},
		{"top N above the count keeps all", "master", CommandStatsPolicy{TopN: 50}, []string{"get", "set", "hget", "info", "ping"}},
		{"primaries only keeps a primary's", "master", CommandStatsPolicy{PrimariesOnly: true}, []string{"get", "set", "hget", "info", "ping"}},
		{"primaries only drops a replica's", "slave", CommandStatsPolicy{PrimariesOnly: true}, nil},
		{"disabled", "master", CommandStatsPolicy{Disabled: true}, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := commandLabels(t, tc.role, tc.policy)
			if len(got) != len(tc.want) {
				t.Fatalf("cmd labels = %v, want %v", got, tc.want)
			}
			for i := range got {
				if got[i] != tc.want[i] {
					t.Fatalf("cmd labels = %v, want %v", got, tc.want)
				}
			}
		})
	}
}

func mustEncode(t *testing.T, ms ...prometheus.Metric) *Exposition {
	t.Helper()
	exp, err := Encode(nil, ms)
	if err != nil {
		t.Fatal(err)
	}
	return exp
}
