package collect

import (
	"context"
	"testing"
	"time"

	"github.com/elasticache-exporter/elasticache-exporter/internal/redisconn"
	"github.com/elasticache-exporter/elasticache-exporter/internal/redistest"
	"github.com/elasticache-exporter/elasticache-exporter/internal/topology"
)

// TestUnansweredNodeIsReadLast: with one node read at a time and a
// SIGSTOPped node first in the topology, the round in which it stopped
// answering spends its deadline on it; from the next round on it is read
// after the others, which are up again instead of "not read before the
// round's deadline".
func TestUnansweredNodeIsReadLast(t *testing.T) {
	stopped, a, b := redistest.Standalone(t, redistest.Options{}), redistest.Standalone(t, redistest.Options{}), redistest.Standalone(t, redistest.Options{})
	pool := redisconn.NewPool(redisconn.Credentials{ClientName: "test", DialTimeout: time.Second})
	t.Cleanup(pool.Close)
	topo := &topology.Topology{Mode: topology.ModeReplication}
	for _, s := range []*redistest.Server{stopped, a, b} {
		topo.Nodes = append(topo.Nodes, topology.Node{Name: s.Addr, Addr: s.Addr, Shard: "0"})
	}
	e := New(Options{
		Topology:    func() *topology.Topology { return topo },
		Acquire:     func() ClientLease { return pool.Acquire() },
		Concurrency: func() int { return 1 },
	})
	ctx := context.Background()
	e.Gather(ctx, time.Second)
	stopped.Pause()
	t.Cleanup(stopped.Resume)
	e.Gather(ctx, time.Second) // the stopped node holds the only worker to the deadline

	ss := samples(t, e.Gather(ctx, time.Second))
	for _, c := range []struct {
		addr string
		want float64
	}{{stopped.Addr, 0}, {a.Addr, 1}, {b.Addr, 1}} {
		if got := value(t, ss, "redis_up", map[string]string{"node": c.addr}); got != c.want {
			t.Errorf("the round after a node stopped answering: redis_up{node=%q} = %v, want %v", c.addr, got, c.want)
		}
	}
}

func TestReadOrder(t *testing.T) {
	nodes := []topology.Node{{Addr: "a"}, {Addr: "b"}, {Addr: "c"}, {Addr: "d"}}
	got := readOrder(nodes, map[string]bool{"a": true, "c": true, "gone": true})
	want := []int{1, 3, 0, 2}
	for i := range want {
		if len(got) != len(want) || got[i] != want[i] {
			t.Fatalf("readOrder = %v, want %v", got, want)
		}
	}
}
