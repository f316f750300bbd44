package app

import (
	"context"
	"sync"
	"time"

	"github.com/elasticache-exporter/elasticache-exporter/internal/redisconn"
	"github.com/elasticache-exporter/elasticache-exporter/internal/topology"
)

// warmTimeout bounds one node's connection set-up (TCP, TLS, AUTH,
// CLIENT SETNAME) while warming.
const warmTimeout = 5 * time.Second

// connectionWarmer opens the connection of every node discovery adds, in
// the background, so that the first scrape after start (or after a scale
// out) is no slower than a steady one: at 1,500 nodes the handshakes are
// most of a cold scrape.
type connectionWarmer struct {
	pool        *redisconn.Pool
	concurrency func() int

	mu     sync.Mutex
	warmed map[string]bool // by address
}

func newConnectionWarmer(pool *redisconn.Pool, concurrency func() int) *connectionWarmer {
	return &connectionWarmer{pool: pool, concurrency: concurrency, warmed: map[string]bool{}}
}

// onChange is a discovery OnChange hook: it forgets nodes that left and
// warms the new ones without holding up discovery.
func (w *connectionWarmer) onChange(_, t *topology.Topology) {
	w.mu.Lock()
	present := make(map[string]bool, len(t.Nodes))
	var fresh []topology.Node
	for _, n := range t.Nodes {
		present[n.Addr] = true
		if !w.warmed[n.Addr] {
			w.warmed[n.Addr] = true
			fresh = append(fresh, n)
		}
	}
	for a := range w.warmed {
		if !present[a] {
			delete(w.warmed, a)
		}
	}
	w.mu.Unlock()
	if len(fresh) > 0 {
		go w.warm(fresh)
	}
}

// warm pings each node on its persistent connection, a bounded number at
// a time. A node that does not answer is left to the scrapes to report.
func (w *connectionWarmer) warm(nodes []topology.Node) {
	sem := make(chan struct{}, max(1, w.concurrency()))
	var wg sync.WaitGroup
	for _, n := range nodes {
		sem <- struct{}{}
		wg.Add(1)
		go func() {
			defer func() { <-sem; wg.Done() }()
			ctx, cancel := context.WithTimeout(context.Background(), warmTimeout)
			defer cancel()
			lease := w.pool.Acquire()
			defer lease.Release()
			_ = lease.Client(n.Addr, n.ServerName).Ping(ctx).Err()
		}()
	}
	wg.Wait()
}
