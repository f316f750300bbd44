package shard

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/elasticache-exporter/elasticache-exporter/internal/topology"
)

// TestJumpReferenceVectors checks jump against the values of the paper's
// reference implementation, so the function is the published one.
func TestJumpReferenceVectors(t *testing.T) {
	for _, c := range []struct {
		key           uint64
		buckets, want int
	}{{0, 60, 0}, {1, 60, 55}, {2, 60, 46}, {256, 1024, 520}, {1, 1, 0}} {
		if got := jump(c.key, c.buckets); got != c.want {
			t.Errorf("jump(%d, %d) = %d, want %d", c.key, c.buckets, got, c.want)
		}
	}
}

// TestOwnerIsStable pins the owner of real shard ids (computed by an
// independent implementation of FNV-1a 64 and jump). A process of one
// version and a process of another must agree, so a change here is a
// breaking change for every sharded installation.
func TestOwnerIsStable(t *testing.T) {
	for id, want := range map[string][4]int{ // owners for count 2, 3, 4, 5
		"0":                        {0, 0, 0, 0},
		"0001":                     {0, 0, 0, 0},
		"0002":                     {1, 1, 1, 1},
		"0003":                     {1, 2, 2, 2},
		"0-5460":                   {0, 2, 2, 4},
		"5461-10922":               {0, 0, 3, 4},
		"10923-16383":              {0, 0, 0, 0},
		"kafka-platform-prod/0001": {1, 2, 2, 2},
	} {
		for i, count := range []int{2, 3, 4, 5} {
			if got := Owner(id, count); got != want[i] {
				t.Errorf("Owner(%q, %d) = %d, want %d", id, count, got, want[i])
			}
		}
	}
}

func TestValidate(t *testing.T) {
	for _, c := range []struct {
		a    Assignment
		want string // substring of the error; "" for valid
	}{
		{Assignment{Count: 1, Index: 0}, ""},
		{Assignment{Count: 3, Index: 2}, ""},
		{Assignment{Count: MaxCount, Index: MaxCount - 1}, ""},
		{Assignment{Count: 0, Index: 0}, "--shard.count 0 is out of range: use 1"},
		{Assignment{Count: -2, Index: 0}, "--shard.count -2 is out of range"},
		{Assignment{Count: MaxCount + 1, Index: 0}, "--shard.count 1001 is out of range"},
		{Assignment{Count: 3, Index: 3}, "--shard.index 3 is out of range for --shard.count 3: use 0 to 2"},
		{Assignment{Count: 3, Index: -1}, "--shard.index -1 is out of range"},
	} {
		err := c.a.Validate()
		switch {
		case c.want == "" && err != nil:
			t.Errorf("%+v: Validate() = %v, want nil", c.a, err)
		case c.want != "" && (err == nil || !strings.Contains(err.Error(), c.want)):
			t.Errorf("%+v: Validate() = %v, want an error containing %q", c.a, err, c.want)
		}
	}
}

func TestFromPodName(t *testing.T) {
	for _, c := range []struct {
		name  string
		count int
		want  int    // index when valid
		err   string // substring of the error; "" for valid
	}{
		{"elasticache-exporter-0", 3, 0, ""},
		{"elasticache-exporter-2", 3, 2, ""},
		{"ec-elasticache-exporter-11", 12, 11, ""},
		{"x-0", 1, 0, ""},
		{"elasticache-exporter-3", 3, 0, `"elasticache-exporter-3" is ordinal 3 but --shard.count is 3: set --shard.count to the StatefulSet's replicas`},
		{"elasticache-exporter-1", 0, 0, "--shard.count 0 is out of range"},
		{"", 3, 0, "--shard.from-pod-name is empty"},
		{"elasticache-exporter", 3, 0, "does not end in -<ordinal>"},
		{"elasticache-exporter-7d9f8b6c5-x2x4z", 3, 0, "does not end in -<ordinal>"}, // a Deployment's pod
		{"elasticache-exporter-", 3, 0, "does not end in -<ordinal>"},
		{"-1", 3, 0, "does not end in -<ordinal>"},
		{"elasticache-exporter-01", 3, 0, "does not end in -<ordinal>"},
		{"elasticache-exporter-+1", 3, 0, "does not end in -<ordinal>"},
		{"elasticache-exporter--1", 3, 0, "does not end in -<ordinal>"},
		{"elasticache-exporter-99999999999999999999999", 3, 0, "does not end in -<ordinal>"},
		{strings.Repeat("a", 300) + "-1", 3, 0, "longer than any pod name"},
	} {
		a, err := FromPodName(c.name, c.count)
		if c.err == "" {
			if err != nil || a != (Assignment{Count: c.count, Index: c.want}) {
				t.Errorf("FromPodName(%q, %d) = %+v, %v; want index %d", c.name, c.count, a, err, c.want)
			}
			continue
		}
		if err == nil || !strings.Contains(err.Error(), c.err) {
			t.Errorf("FromPodName(%q, %d) = %+v, %v; want an error containing %q", c.name, c.count, a, err, c.err)
		}
	}
}

func TestOwnsWithoutSharding(t *testing.T) {
	for _, a := range []Assignment{{}, {Count: 1}} {
		for _, id := range []string{"", "0", "0001", "0-5460"} {
			if !a.Owns(id) {
				t.Errorf("%+v does not own %q; one process must own every shard", a, id)
			}
		}
	}
}

// TestEveryShardHasExactlyOneOwner is the property sharding rests on: for
// any number of processes, each shard is read by exactly one of them.
func TestEveryShardHasExactlyOneOwner(t *testing.T) {
	ids := shardIDs(500)
	for count := 1; count <= 10; count++ {
		for _, id := range ids {
			owners := 0
			for index := range count {
				if (Assignment{Count: count, Index: index}).Owns(id) {
					owners++
				}
			}
			if owners != 1 {
				t.Fatalf("count %d: shard %q has %d owners, want 1", count, id, owners)
			}
		}
	}
}

// TestBalance: 500 shards (ElastiCache's maximum per group) spread over N
// processes within reason: no process gets less than half or more than
// one and a half times its fair share.
func TestBalance(t *testing.T) {
	for _, ids := range [][]string{shardIDs(500), slotRangeIDs(500)} {
		for count := 2; count <= 10; count++ {
			per := make([]int, count)
			for _, id := range ids {
				per[Owner(id, count)]++
			}
			fair := float64(len(ids)) / float64(count)
			for i, n := range per {
				if float64(n) < 0.5*fair || float64(n) > 1.5*fair {
					t.Errorf("%d shards (%s...) over %d processes: process %d owns %d, fair share %.0f (all: %v)", len(ids), ids[0], count, i, n, fair, per)
				}
			}
		}
	}
}

// TestGrowingMovesFewShards: going from N to N+1 processes only moves shards
// to the new process (jump hash), so a scale-up does not reconnect every node.
func TestGrowingMovesFewShards(t *testing.T) {
	ids := shardIDs(500)
	for count := 1; count < 10; count++ {
		moved := 0
		for _, id := range ids {
			before, after := Owner(id, count), Owner(id, count+1)
			if before != after {
				moved++
				if after != count {
					t.Fatalf("%q moved from %d to %d going from %d to %d processes; only moves to the new process are allowed", id, before, after, count, count+1)
				}
			}
		}
		if limit := 2 * len(ids) / (count + 1); moved > limit {
			t.Errorf("%d of %d shards moved going from %d to %d processes, want at most %d", moved, len(ids), count, count+1, limit)
		}
	}
}

// shardIDs are node group ids as ElastiCache names them ("0001"...).
func shardIDs(n int) []string {
	ids := make([]string, n)
	for i := range ids {
		ids[i] = fmt.Sprintf("%04d", i+1)
	}
	return ids
}

// slotRangeIDs are cluster shard labels of an un-adopted cluster: the
// first slot range of n equal shards.
func slotRangeIDs(n int) []string {
	ids := make([]string, n)
	for i := range ids {
		ids[i] = fmt.Sprintf("%d-%d", i*16384/n, (i+1)*16384/n-1)
	}
	return ids
}

func clusterTopology(shards, replicas int) *topology.Topology {
	t := &topology.Topology{Mode: topology.ModeCluster, DiscoveredAt: time.Unix(1700000000, 0)}
	for s := range shards {
		id := fmt.Sprintf("%04d", s+1)
		sh := topology.Shard{Name: id, Slots: []string{fmt.Sprintf("%d-%d", s*16384/shards, (s+1)*16384/shards-1)}}
		for r := range replicas + 1 {
			n := topology.Node{Name: fmt.Sprintf("g-%s-%03d", id, r+1), Shard: id, Role: topology.RoleReplica}
			n.Addr = n.Name + ":6379"
			if r == 0 {
				n.Role, sh.Primary = topology.RolePrimary, n.Name
			} else {
				n.PrimaryName = sh.Primary
			}
			t.Nodes = append(t.Nodes, n)
			sh.Nodes = append(sh.Nodes, n.Name)
		}
		t.Shards = append(t.Shards, sh)
	}
	return t
}

func TestFilterCluster(t *testing.T) {
	full := clusterTopology(9, 2)
	seen := map[string]int{}
	shards := map[string]int{}
	for index := range 3 {
		a := Assignment{Count: 3, Index: index}
		part := a.Filter(full)
		if part == full {
			t.Fatal("Filter returned the shared topology itself while sharding")
		}
		if part.Mode != full.Mode || !part.DiscoveredAt.Equal(full.DiscoveredAt) {
			t.Errorf("%v: mode %s, discovered %v; want the full topology's", a, part.Mode, part.DiscoveredAt)
		}
		for _, n := range part.Nodes {
			seen[n.Name]++
			if !a.Owns(n.Shard) {
				t.Errorf("%v keeps node %s of shard %s it does not own", a, n.Name, n.Shard)
			}
			if n.Role == topology.RoleReplica {
				if _, ok := part.Node(n.PrimaryName); !ok {
					t.Errorf("%v keeps replica %s without its primary %s", a, n.Name, n.PrimaryName)
				}
			}
		}
		for _, s := range part.Shards {
			shards[s.Name]++
			for _, name := range s.Nodes {
				if _, ok := part.Node(name); !ok {
					t.Errorf("%v keeps shard %s but not its node %s", a, s.Name, name)
				}
			}
		}
	}
	for _, n := range full.Nodes {
		if seen[n.Name] != 1 {
			t.Errorf("node %s is kept by %d processes, want 1", n.Name, seen[n.Name])
		}
	}
	for _, s := range full.Shards {
		if shards[s.Name] != 1 {
			t.Errorf("shard %s is kept by %d processes, want 1", s.Name, shards[s.Name])
		}
	}
	if len(full.Nodes) != 27 || len(full.Shards) != 9 {
		t.Errorf("Filter modified its input: %d nodes, %d shards left", len(full.Nodes), len(full.Shards))
	}
}

// TestFilterReplicationGroup: with cluster mode disabled the group is one
// shard, so one process of the set reads every node and the others none.
func TestFilterReplicationGroup(t *testing.T) {
	full := topology.SeedTopology([]string{"10.0.0.1:6379", "10.0.0.2:6379", "10.0.0.3:6379"})
	full.Shards = []topology.Shard{{Name: "0", Nodes: []string{"10.0.0.1:6379", "10.0.0.2:6379", "10.0.0.3:6379"}}}
	for count := 2; count <= 5; count++ {
		withAll := 0
		for index := range count {
			part := Assignment{Count: count, Index: index}.Filter(full)
			switch len(part.Nodes) {
			case 3:
				withAll++
			case 0:
				if len(part.Shards) != 0 {
					t.Errorf("count %d index %d: no nodes but shards %v", count, index, part.Shards)
				}
			default:
				t.Errorf("count %d index %d: %d of the group's 3 nodes; a shard is never split", count, index, len(part.Nodes))
			}
		}
		if withAll != 1 {
			t.Errorf("count %d: %d processes read the group, want exactly 1", count, withAll)
		}
	}
}

func TestFilterWithoutSharding(t *testing.T) {
	full := clusterTopology(3, 1)
	if got := (Assignment{Count: 1}).Filter(full); got != full {
		t.Error("Filter without sharding did not return the topology as is")
	}
	if got := (Assignment{Count: 3, Index: 1}).Filter(nil); got != nil {
		t.Errorf("Filter(nil) = %+v, want nil", got)
	}
}

func TestString(t *testing.T) {
	if got := (Assignment{Count: 3, Index: 1}).String(); got != "shard 1 of 3" {
		t.Errorf("String() = %q", got)
	}
	if got := (Assignment{}).String(); got != "all shards" {
		t.Errorf("String() = %q", got)
	}
}
