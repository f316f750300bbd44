package statuspage

import (
	"errors"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/elasticache-exporter/elasticache-exporter/internal/alarms"
	"github.com/elasticache-exporter/elasticache-exporter/internal/collect"
	"github.com/elasticache-exporter/elasticache-exporter/internal/config"
	"github.com/elasticache-exporter/elasticache-exporter/internal/redisinfo"
	"github.com/elasticache-exporter/elasticache-exporter/internal/topology"
)

// captured reads INFO captured from a real Redis 7.0 (internal/collect's
// fixtures: a primary with one replica).
func captured(t testing.TB, name string) redisinfo.Info {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("..", "collect", "testdata", "info", "redis-7.0", name))
	if err != nil {
		t.Fatal(err)
	}
	info, err := redisinfo.Parse(string(b))
	if err != nil {
		t.Fatal(err)
	}
	// A copy of the fields, so a test may change them.
	fields := make(map[string]string, len(info.Fields))
	for k, v := range info.Fields {
		fields[k] = v
	}
	info.Fields = fields
	return info
}

// defs are the five alarms with overrides applied to the defaults.
func defs(t testing.TB, overrides map[string]float64) []alarms.Alarm {
	t.Helper()
	cfg := config.Default().Alarms
	if cfg.Overrides == nil {
		cfg.Overrides = map[string]config.AlarmOverride{}
	}
	for name, v := range overrides {
		o := cfg.Overrides[name]
		o.Threshold = &v
		cfg.Overrides[name] = o
	}
	d, err := alarms.Definitions(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return d
}

// group is one shard: a primary and two replicas, the second one down.
func group(t testing.TB, at time.Time, primaryOffset, replicaOffset int, clients string) *collect.Input {
	t.Helper()
	p, r := captured(t, "primary.txt"), captured(t, "replica.txt")
	p.Fields["master_repl_offset"] = itoa(primaryOffset)
	p.Fields["connected_clients"] = clients
	r.Fields["slave_repl_offset"] = itoa(replicaOffset)
	r.Fields["master_link_status"] = "up"
	nodes := []topology.Node{
		{Name: "10.0.0.1:6379", Addr: "10.0.0.1:6379", Shard: "0", Role: topology.RolePrimary},
		{Name: "10.0.0.2:6379", Addr: "10.0.0.2:6379", Shard: "0", Role: topology.RoleReplica, PrimaryName: "10.0.0.1:6379"},
		{Name: "10.0.0.3:6379", Addr: "10.0.0.3:6379", Shard: "0", Role: topology.RoleReplica, PrimaryName: "10.0.0.1:6379"},
	}
	topo := &topology.Topology{Mode: topology.ModeReplication, Nodes: nodes}
	return &collect.Input{Topology: topo, Nodes: []collect.NodeRead{
		{Node: nodes[0], Info: p, ReadAt: at},
		{Node: nodes[1], Info: r, ReadAt: at},
		{Node: nodes[2], Err: errors.New("i/o timeout"), ReadAt: at},
	}}
}

func itoa(n int) string {
	return formatNum(float64(n))
}
