package slowlog

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/redis/go-redis/v9"
)

// SlowlogClient is what the tracker needs of a node connection; *redis.Client
// satisfies it. The connection must carry the exporter's CLIENT SETNAME name
// so its own SLOWLOG commands are recognised and not counted.
type SlowlogClient interface {
	Pipelined(ctx context.Context, fn func(redis.Pipeliner) error) ([]redis.Cmder, error)
	SlowLogGet(ctx context.Context, num int64) *redis.SlowLogCmd
}

var _ SlowlogClient = (*redis.Client)(nil)

var (
	slowlogLengthDesc = prometheus.NewDesc("redis_slowlog_length",
		"SLOWLOG LEN of the node at the last scrape.", []string{"node", "shard"}, nil)
	slowlogLastIDDesc = prometheus.NewDesc("redis_slowlog_last_id",
		"Id of the newest SLOWLOG entry of the node at the last scrape (-1 when its buffer is empty).", []string{"node", "shard"}, nil)
)

// Tracker reads every node's slow log incrementally by entry id. One Tracker
// serves all nodes; Scrape is safe to call for different nodes concurrently.
type Tracker struct {
	rec *Recorder
	now func() time.Time

	mu    sync.Mutex
	nodes map[string]*trackedNode
}

type trackedNode struct {
	mu     sync.Mutex // one read of a node at a time
	cursor *cursor

	gauges sync.Mutex // guards the fields below, so Collect never waits for I/O
	shard  string
	length int64
	lastID int64
	ok     bool // the gauges hold a successful read
}

// NewTracker returns a tracker that feeds rec.
func NewTracker(rec *Recorder) *Tracker {
	return &Tracker{rec: rec, now: time.Now, nodes: make(map[string]*trackedNode)}
}

// Scrape reads the node's new slow log entries and counts them. runID is
// INFO server's run_id from the same scrape ("" when unknown): a change means
// the node restarted and its ids started over. It never runs SLOWLOG RESET.
func (t *Tracker) Scrape(ctx context.Context, c SlowlogClient, node, shard, runID string) error {
	t.mu.Lock()
	n, ok := t.nodes[node]
	if !ok {
		n = &trackedNode{}
		t.nodes[node] = n
	}
	t.mu.Unlock()

	n.mu.Lock()
	defer n.mu.Unlock()

	// One round trip for the newest id and the length; entries are fetched
	// only when the ids say there are new ones.
	var newest *redis.SlowLogCmd
	var length *redis.IntCmd
	if _, err := c.Pipelined(ctx, func(p redis.Pipeliner) error {
		newest = p.SlowLogGet(ctx, 1)
		length = p.SlowLogLen(ctx)
		return nil
	}); err != nil {
		n.setFailed()
		return fmt.Errorf("slowlog %s: SLOWLOG GET 1 / SLOWLOG LEN: %w", node, err)
	}
	pr := probe{RunID: runID, NewestID: -1, Length: length.Val(), Now: t.now()}
	if v := newest.Val(); len(v) > 0 {
		pr.NewestID = v[0].ID
	}

	var fetched []redis.SlowLog
	if want := plan(n.cursor, pr); want > 0 {
		var err error
		if fetched, err = c.SlowLogGet(ctx, want).Result(); err != nil && !errors.Is(err, redis.Nil) {
			n.setFailed()
			return fmt.Errorf("slowlog %s: SLOWLOG GET %d: %w", node, want, err)
		}
	}
	next, fresh, missed := advance(n.cursor, pr, fetched)
	n.cursor = &next
	n.gauges.Lock()
	n.shard, n.length, n.lastID, n.ok = shard, pr.Length, pr.NewestID, true
	n.gauges.Unlock()

	t.rec.recordMissed(node, missed)
	for _, s := range fresh {
		if t.rec.ownEntry(s.ClientName) {
			continue
		}
		t.rec.recordSlow(entryFromRedis(node, shard, s, t.rec.args))
	}
	return nil
}

// Forget drops a node that left the topology, with its gauges.
func (t *Tracker) Forget(node string) {
	t.mu.Lock()
	defer t.mu.Unlock()
	delete(t.nodes, node)
}

// Describe implements prometheus.Collector.
func (t *Tracker) Describe(ch chan<- *prometheus.Desc) {
	ch <- slowlogLengthDesc
	ch <- slowlogLastIDDesc
}

// Collect implements prometheus.Collector: the gauges of the last
// successful read of every node.
func (t *Tracker) Collect(ch chan<- prometheus.Metric) {
	t.mu.Lock()
	nodes := make(map[string]*trackedNode, len(t.nodes))
	for k, v := range t.nodes {
		nodes[k] = v
	}
	t.mu.Unlock()
	for name, n := range nodes {
		n.gauges.Lock()
		if n.ok {
			ch <- prometheus.MustNewConstMetric(slowlogLengthDesc, prometheus.GaugeValue, float64(n.length), name, n.shard)
			ch <- prometheus.MustNewConstMetric(slowlogLastIDDesc, prometheus.GaugeValue, float64(n.lastID), name, n.shard)
		}
		n.gauges.Unlock()
	}
}

func (n *trackedNode) setFailed() {
	n.gauges.Lock()
	n.ok = false
	n.gauges.Unlock()
}
