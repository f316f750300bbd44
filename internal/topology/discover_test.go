package topology

import (
	"context"
	"errors"
	"log/slog"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/elasticache-exporter/elasticache-exporter/internal/redisinfo"
)

func TestFromPrimaryInfo(t *testing.T) {
	b, err := os.ReadFile(filepath.Join("..", "redisinfo", "testdata", "redis7-primary.info"))
	if err != nil {
		t.Fatal(err)
	}
	info, err := redisinfo.Parse(string(b))
	if err != nil {
		t.Fatal(err)
	}
	topo := FromPrimaryInfo("127.0.0.1:17001", info)
	if len(topo.Nodes) != 2 || topo.Nodes[0].Role != RolePrimary {
		t.Fatalf("nodes = %+v", topo.Nodes)
	}
	rep := topo.Nodes[1]
	if rep.Addr != "127.0.0.1:17002" || rep.Role != RoleReplica || rep.PrimaryName != "127.0.0.1:17001" || rep.Shard != "0" {
		t.Errorf("replica = %+v", rep)
	}
	if len(topo.Shards) != 1 || len(topo.Shards[0].Nodes) != 2 {
		t.Errorf("shards = %+v", topo.Shards)
	}
}

func TestFromClusterNodes(t *testing.T) {
	b, err := os.ReadFile(filepath.Join("..", "redisinfo", "testdata", "cluster-nodes.txt"))
	if err != nil {
		t.Fatal(err)
	}
	nodes, err := redisinfo.ParseClusterNodes(string(b))
	if err != nil {
		t.Fatal(err)
	}
	topo := FromClusterNodes(nodes, "seed")
	topo.Normalize()
	if len(topo.Nodes) != 6 || len(topo.Shards) != 3 {
		t.Fatalf("got %d nodes, %d shards", len(topo.Nodes), len(topo.Shards))
	}
	want := map[string]string{ // node -> shard
		"127.0.0.1:30001": "0-5460", "replica-a.example:30004": "0-5460",
		"127.0.0.1:30002": "5461-10922", "127.0.0.1:30005": "5461-10922",
		"127.0.0.1:30003": "10923-16383", "127.0.0.1:30006": "10923-16383",
	}
	for _, n := range topo.Nodes {
		if want[n.Name] != n.Shard {
			t.Errorf("%s in shard %q, want %q", n.Name, n.Shard, want[n.Name])
		}
	}
}

func TestFromClusterShardsUsesTLSPortAndEndpoint(t *testing.T) {
	shards := []redis.ClusterShard{{
		Slots: []redis.SlotRange{{Start: 8192, End: 16383}, {Start: 0, End: 100}},
		Nodes: []redis.Node{
			{ID: "p1", Endpoint: "node-a.example", IP: "10.0.0.1", Port: 6379, TLSPort: 6380, Role: "master", Health: "online"},
			{ID: "r1", Endpoint: "", IP: "10.0.0.2", Port: 6379, TLSPort: 6380, Role: "replica", Health: "fail"},
		},
	}}
	topo := FromClusterShards(shards, true, "seed")
	if topo.Shards[0].Name != "0-100" {
		t.Errorf("shard name = %q, want the lowest range", topo.Shards[0].Name)
	}
	if topo.Nodes[0].Addr != "node-a.example:6380" || topo.Nodes[1].Addr != "10.0.0.2:6380" {
		t.Errorf("addresses = %q %q", topo.Nodes[0].Addr, topo.Nodes[1].Addr)
	}
	if topo.Nodes[1].PrimaryName != "node-a.example:6380" {
		t.Errorf("replica's primary = %q", topo.Nodes[1].PrimaryName)
	}
}

func TestDiscovererKeepsVanishedNodesForAWhile(t *testing.T) {
	full := &Topology{Mode: ModeReplication, Nodes: []Node{{Name: "p", Shard: "0"}, {Name: "r", Shard: "0"}}, Shards: []Shard{{Name: "0", Nodes: []string{"p", "r"}}}}
	partial := &Topology{Mode: ModeReplication, Nodes: []Node{{Name: "p", Shard: "0"}}, Shards: []Shard{{Name: "0", Nodes: []string{"p"}}}}
	var next *Topology
	fail := false
	d := NewDiscoverer(func(context.Context) (*Topology, error) {
		if fail {
			return nil, errors.New("boom")
		}
		c := *next
		c.Nodes = append([]Node(nil), next.Nodes...)
		c.Shards = append([]Shard(nil), next.Shards...)
		return &c, nil
	}, nil, slog.New(slog.DiscardHandler))
	next = full
	if err := d.Refresh(context.Background()); err != nil || !d.Ready() {
		t.Fatal(err)
	}
	next = partial
	_ = d.Refresh(context.Background())
	if _, ok := d.Current().Node("r"); !ok {
		t.Error("a node that vanished was dropped at once")
	}
	d.RetainMissing = time.Nanosecond
	time.Sleep(time.Millisecond)
	_ = d.Refresh(context.Background())
	if _, ok := d.Current().Node("r"); ok {
		t.Error("a node missing for longer than RetainMissing was kept")
	}
	fail = true
	before := d.Current()
	if err := d.Refresh(context.Background()); err == nil || d.Current() != before {
		t.Error("a failed discovery replaced the topology")
	}
}

func TestRunDoesNotRepeatAFreshRefresh(t *testing.T) {
	calls := 0
	d := NewDiscoverer(func(context.Context) (*Topology, error) {
		calls++
		return &Topology{Mode: ModeReplication}, nil
	}, nil, slog.New(slog.DiscardHandler))
	if err := d.Refresh(context.Background()); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	d.Run(ctx, func() time.Duration { return time.Hour })
	if calls != 1 {
		t.Errorf("source called %d times, want 1: Run repeated the refresh made just before it", calls)
	}
	// Without a fresh one, Run refreshes at once.
	d2 := NewDiscoverer(func(context.Context) (*Topology, error) { calls++; return &Topology{}, nil }, nil, slog.New(slog.DiscardHandler))
	ctx2, cancel2 := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel2()
	d2.Run(ctx2, func() time.Duration { return time.Hour })
	if calls != 2 || !d2.Ready() {
		t.Errorf("Run did not refresh a discoverer that never ran: calls %d", calls)
	}
}
