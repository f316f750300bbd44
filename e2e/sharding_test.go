package e2e

import (
	"context"
	"fmt"
	"regexp"
	"strconv"
	"testing"
	"time"

	"github.com/elasticache-exporter/elasticache-exporter/internal/redistest"
)

var redisUpSample = regexp.MustCompile(`(?m)^redis_up\{node="([^"]+)",shard="([^"]+)"\} (\S+)$`)

// TestShardedProcessesReportEveryNodeOnce runs the real binary three times
// with --shard.count 3 (two by index, one by StatefulSet pod name) against
// a real 9-shard cluster: between them they report every node exactly once,
// all up, and never split a shard.
func TestShardedProcessesReportEveryNodeOnce(t *testing.T) {
	cl := redistest.NewCluster(t, 9, 0, redistest.Options{})
	seed := cl.Nodes[4].Addr
	shardFlags := [][]string{
		{"--shard.index", "0"},
		{"--shard.index", "1"},
		{"--shard.from-pod-name", "elasticache-exporter-2"},
	}
	reportedBy := map[string][]int{}
	ownerOfShard := map[string]int{}
	for i, flags := range shardFlags {
		d := startDaemon(t, fmt.Sprintf("exporter-%d", i), exporterBin, "/readyz", func(addr string) []string {
			return append([]string{"--web.listen-address", addr, "--redis.addr", seed, "--shard.count", "3", "--log.level", "debug"}, flags...)
		})
		var body string
		waitFor(t, 20*time.Second, "a scrape of the process' shards", func() string {
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			b, err := httpGet(ctx, d.URL()+"/metrics")
			if err != nil {
				return err.Error()
			}
			body = string(b)
			if !regexp.MustCompile(`elasticache_exporter_group_shards 9`).MatchString(body) {
				return "the process has not discovered the 9 shards yet"
			}
			return ""
		})
		for _, m := range redisUpSample.FindAllStringSubmatch(body, -1) {
			node, shardName := m[1], m[2]
			if v, _ := strconv.ParseFloat(m[3], 64); v != 1 {
				t.Errorf("process %d: redis_up{node=%s} = %s", i, node, m[3])
			}
			reportedBy[node] = append(reportedBy[node], i)
			if owner, ok := ownerOfShard[shardName]; ok && owner != i {
				t.Errorf("shard %s is read by processes %d and %d", shardName, owner, i)
			}
			ownerOfShard[shardName] = i
		}
	}
	if len(reportedBy) != len(cl.Nodes) {
		t.Errorf("%d nodes reported between the processes, want all %d", len(reportedBy), len(cl.Nodes))
	}
	for node, by := range reportedBy {
		if len(by) != 1 {
			t.Errorf("node %s reported by processes %v, want exactly one", node, by)
		}
	}
	if len(ownerOfShard) != 9 {
		t.Errorf("%d shards read, want 9", len(ownerOfShard))
	}
}
