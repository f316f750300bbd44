package e2e

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/elasticache-exporter/elasticache-exporter/internal/redistest"
)

// TestValkeyReplicationGroupAndCluster runs the exporter against real
// Valkey 8.0.1 (../shared/bin/valkey-server or valkey-server on PATH): a
// primary with 2 replicas seeded by the primary's address only, and a
// 3-shard cluster (one replica each) seeded by one node. Discovery finds
// every node; each reads redis_up 1, redis_instance_info names the engine
// valkey with its own version (not the redis_version 7.2.4 it reports for
// compatibility) and its mode, the roles and shards are right, and the
// latency families are there.
func TestValkeyReplicationGroupAndCluster(t *testing.T) {
	o := redistest.Options{Server: redistest.ValkeyServer(t), Args: map[string]string{"latency-monitor-threshold": "10"}}
	rg := redistest.NewReplication(t, 2, o)
	cl := redistest.NewCluster(t, 3, 1, o)
	ctx := context.Background()
	version := rg.Primary.Info(t, "server")["valkey_version"]
	if version != "8.0.1" {
		t.Logf("valkey-server is %s; the exporter is tested with 8.0.1", version)
	}

	slow := "local i = 0 while i < 5000000 do i = i + 1 end return i"
	p := rg.Primary.Client(t)
	for i := range 50 {
		if err := p.Set(ctx, fmt.Sprintf("state:%d", i), i, 0).Err(); err != nil {
			t.Fatal(err)
		}
	}
	if err := p.Eval(ctx, slow, nil).Err(); err != nil {
		t.Fatal(err)
	}
	cc := cl.Client(t)
	for i := range 50 {
		if err := cc.Set(ctx, fmt.Sprintf("state:%d", i), i, 0).Err(); err != nil {
			t.Fatal(err)
		}
	}
	if err := cc.ForEachMaster(ctx, func(ctx context.Context, c *redis.Client) error { return c.Eval(ctx, slow, nil).Err() }); err != nil {
		t.Fatal(err)
	}
	rg.WaitSynced(t, 10*time.Second)

	for _, group := range []struct {
		name   string
		seed   string
		nodes  []*redistest.Server
		mode   string
		shards int
	}{
		{"replication group", rg.Primary.Addr, rg.Servers(), "standalone", 1},
		{"cluster", cl.Nodes[0].Addr, cl.Nodes, "cluster", 3},
	} {
		t.Run(group.name, func(t *testing.T) {
			var addrs []string
			for _, n := range group.nodes {
				addrs = append(addrs, n.Addr)
			}
			exporter := startExporter(t, "", group.seed)
			waitAllUp(t, exporter, addrs)
			res := scrapeOnce(t, exporter)
			if complaint := promtoolCheckCompat(t, res.body); complaint != "" {
				t.Errorf("promtool check metrics: %s", complaint)
			}
			primaries := map[string]int{}
			for _, n := range group.nodes {
				info := infoOf(t, res, "redis_instance_info", n.Addr)
				if info == nil {
					t.Errorf("%s: no redis_instance_info", n.Addr)
					continue
				}
				want := map[string]string{"engine": "valkey", "engine_version": version, "valkey_version": version, "redis_version": "7.2.4", "redis_mode": group.mode}
				for k, v := range want {
					if info[k] != v {
						t.Errorf("%s: redis_instance_info{%s=%q}, want %q", n.Addr, k, info[k], v)
					}
				}
				role := n.Info(t, "replication")["role"]
				if info["role"] != role {
					t.Errorf("%s: role %q, the node says %q", n.Addr, info["role"], role)
				}
				if role == "master" {
					primaries[info["shard"]]++
				}
				for _, fam := range []string{"redis_latency_percentiles_usec", "redis_commands_latencies_usec", "redis_memory_used_dataset_bytes", "redis_start_time_seconds"} {
					if infoOf(t, res, fam, n.Addr) == nil {
						t.Errorf("%s: no %s", n.Addr, fam)
					}
				}
			}
			if len(primaries) != group.shards {
				t.Errorf("primaries by shard %v, want %d shards with one each", primaries, group.shards)
			}
			for shard, n := range primaries {
				if n != 1 {
					t.Errorf("shard %s has %d primaries", shard, n)
				}
			}
			// The slow EVAL ran on every primary: a latency spike each.
			spikes := 0
			for _, m := range res.families["redis_latency_spike_duration_seconds"].GetMetric() {
				if labelOf(m, "event_name") == "command" && value(m) >= 0.01 {
					spikes++
				}
			}
			if spikes < group.shards {
				t.Errorf("%d nodes report a command latency spike of 10 ms or more, want at least %d (every primary)", spikes, group.shards)
			}
		})
	}
}

// infoOf returns the labels of the first series of family for node, nil
// when there is none.
func infoOf(t *testing.T, res scrapeResult, family, node string) map[string]string {
	t.Helper()
	for _, m := range res.families[family].GetMetric() {
		if labelOf(m, "node") != node {
			continue
		}
		out := map[string]string{}
		for _, l := range m.GetLabel() {
			out[l.GetName()] = l.GetValue()
		}
		return out
	}
	return nil
}
