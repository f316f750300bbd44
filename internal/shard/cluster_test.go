package shard_test

import (
	"context"
	"regexp"
	"sort"
	"testing"
	"time"

	"github.com/elasticache-exporter/elasticache-exporter/internal/collect"
	"github.com/elasticache-exporter/elasticache-exporter/internal/redisconn"
	"github.com/elasticache-exporter/elasticache-exporter/internal/redistest"
	"github.com/elasticache-exporter/elasticache-exporter/internal/shard"
	"github.com/elasticache-exporter/elasticache-exporter/internal/topology"
)

var redisUpLine = regexp.MustCompile(`(?m)^redis_up\{([^}]*)\} (\S+)$`)
var nodeLabel = regexp.MustCompile(`(?:^|,)node="([^"]*)"`)
var shardLabel = regexp.MustCompile(`(?:^|,)shard="([^"]*)"`)

// TestThreeProcessesReportEveryNodeOnce is the sharding contract end to end
// on a real 9-shard redis cluster: three exporters with --shard.count 3,
// each discovering the whole cluster from the same seed and reading only
// its own shards, report every node exactly once between them, all up, and
// never split a shard.
func TestThreeProcessesReportEveryNodeOnce(t *testing.T) {
	if testing.Short() {
		t.Skip("starts 18 redis-server processes")
	}
	cl := redistest.NewCluster(t, 9, 1, redistest.Options{})
	seed := cl.Nodes[4].Addr // any node will do, as any configuration endpoint would

	reportedBy := map[string][]int{} // node -> indexes of the processes reporting it
	shardOf := map[string]string{}
	var fullNodes int
	for index := range 3 {
		a := shard.Assignment{Count: 3, Index: index}
		if err := a.Validate(); err != nil {
			t.Fatal(err)
		}
		// One process: its own pool, its own discovery of the whole group.
		pool := redisconn.NewPool(redisconn.Credentials{ClientName: "shard-test", DialTimeout: 5 * time.Second})
		t.Cleanup(pool.Close)
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		full, err := topology.RedisSource([]string{seed}, pool)(ctx)
		cancel()
		if err != nil {
			t.Fatalf("process %d: discovery: %v", index, err)
		}
		full.Normalize()
		if len(full.Shards) != 9 || len(full.Nodes) != 18 {
			t.Fatalf("process %d discovered %d shards and %d nodes, want 9 and 18", index, len(full.Shards), len(full.Nodes))
		}
		fullNodes = len(full.Nodes)
		mine := a.Filter(full)
		e := collect.New(collect.Options{
			Topology:    func() *topology.Topology { return mine },
			Acquire:     func() collect.ClientLease { return pool.Acquire() },
			Concurrency: func() int { return 16 },
		})
		exp := e.Gather(context.Background(), 10*time.Second)
		for _, m := range redisUpLine.FindAllStringSubmatch(string(mustPlain(t, exp)), -1) {
			node := nodeLabel.FindStringSubmatch(m[1])
			sh := shardLabel.FindStringSubmatch(m[1])
			if node == nil || sh == nil {
				t.Fatalf("redis_up{%s} has no node or shard label", m[1])
			}
			if m[2] != "1" {
				t.Errorf("process %d: redis_up{%s} = %s, want 1", index, m[1], m[2])
			}
			if !a.Owns(sh[1]) {
				t.Errorf("process %d (%v) reports node %s of shard %s it does not own", index, a, node[1], sh[1])
			}
			reportedBy[node[1]] = append(reportedBy[node[1]], index)
			shardOf[node[1]] = sh[1]
		}
	}
	if len(reportedBy) != fullNodes {
		t.Errorf("the three processes report %d distinct nodes, want all %d", len(reportedBy), fullNodes)
	}
	perProcess := map[int]int{}
	shardOwners := map[string]map[int]bool{}
	for node, by := range reportedBy {
		if len(by) != 1 {
			t.Errorf("node %s is reported by processes %v, want exactly one", node, by)
		}
		perProcess[by[0]]++
		if shardOwners[shardOf[node]] == nil {
			shardOwners[shardOf[node]] = map[int]bool{}
		}
		shardOwners[shardOf[node]][by[0]] = true
	}
	for s, owners := range shardOwners {
		if len(owners) != 1 {
			t.Errorf("shard %s is split between processes %v", s, owners)
		}
	}
	counts := []int{perProcess[0], perProcess[1], perProcess[2]}
	sort.Ints(counts)
	t.Logf("nodes per process: 0=%d 1=%d 2=%d", perProcess[0], perProcess[1], perProcess[2])
}

func mustPlain(t *testing.T, exp *collect.Exposition) []byte {
	t.Helper()
	b, err := exp.Plain()
	if err != nil {
		t.Fatal(err)
	}
	return b
}
