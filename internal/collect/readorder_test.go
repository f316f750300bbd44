package collect

import (
	"context"
	"errors"
	"net"
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

// A read the round's deadline cut short counts against its node only when
// the node had a fair share of time: a hung node read with 300 ms left is
// unanswered (read last next round); one whose read started 30 ms before
// the deadline was not read, whatever it is. (A hung host here: a listener
// that accepts and never answers.)
func TestReadCutByTheDeadlineNeedsAFairShare(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = ln.Close() })
	go func() {
		var held []net.Conn
		defer func() {
			for _, c := range held {
				_ = c.Close()
			}
		}()
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			held = append(held, c)
		}
	}()
	pool := redisconn.NewPool(redisconn.Credentials{ClientName: "test", DialTimeout: time.Second})
	t.Cleanup(pool.Close)
	node := topology.Node{Name: ln.Addr().String(), Addr: ln.Addr().String(), Shard: "0"}
	e := New(Options{
		Topology: func() *topology.Topology {
			return &topology.Topology{Mode: topology.ModeReplication, Nodes: []topology.Node{node}}
		},
		Acquire: func() ClientLease { return pool.Acquire() },
	})
	for _, c := range []struct {
		left        time.Duration
		notRead     bool
		consequence string
	}{
		{30 * time.Millisecond, true, "not read: the next round keeps its place"},
		{300 * time.Millisecond, false, "unanswered: the next round reads it last"},
	} {
		ctx, cancel := context.WithTimeout(context.Background(), c.left)
		lease := pool.Acquire()
		var read NodeRead
		e.readOne(ctx, lease, node, false, func(r NodeRead) { read = r })
		lease.Release()
		cancel()
		if read.Up() || errors.Is(read.Err, errNotRead) != c.notRead {
			t.Errorf("a hung node read with %s left: err %v; want %s", c.left, read.Err, c.consequence)
		}
	}
}
