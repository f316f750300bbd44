package slowlog

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/redis/go-redis/v9"

	"github.com/elasticache-exporter/elasticache-exporter/internal/collect"
	"github.com/elasticache-exporter/elasticache-exporter/internal/topology"
)

// Client is what the tracker needs of a node connection; *redis.Client
// satisfies it. The connection must carry the exporter's CLIENT SETNAME name
// so its own SLOWLOG commands are recognised and not counted.
type Client interface {
	Pipelined(ctx context.Context, fn func(redis.Pipeliner) error) ([]redis.Cmder, error)
	SlowLogGet(ctx context.Context, num int64) *redis.SlowLogCmd
}

var _ Client = (*redis.Client)(nil)

var (
	slowlogLengthDesc = prometheus.NewDesc("redis_slowlog_length",
		"SLOWLOG LEN of the node at the last scrape.", []string{"node", "shard"}, nil)
	slowlogLastIDDesc = prometheus.NewDesc("redis_slowlog_last_id",
		"Id of the newest SLOWLOG entry of the node at the last scrape (-1 when its buffer is empty).", []string{"node", "shard"}, nil)
)

// Tracker reads every node's slow log incrementally by entry id. One Tracker
// serves all nodes; Scrape is safe to call for different nodes concurrently.
type Tracker struct {
	rec         *Recorder
	now         func() time.Time
	concurrency int

	mu    sync.Mutex
	nodes map[string]*trackedNode
	topo  *topology.Topology // the newest group given; nil before the first
}

var (
	_ collect.Collector    = (*Tracker)(nil)
	_ collect.NodeReader   = (*Tracker)(nil)
	_ prometheus.Collector = (*Tracker)(nil)
)

type trackedNode struct {
	mu     sync.Mutex // one read of a node at a time
	cursor *cursor

	gauges sync.Mutex // guards the fields below, so Collect never waits for I/O
	shard  string
	length int64
	lastID int64
	ok     bool // the gauges hold a successful read
	// followed is the INFO read (its ReadAt) after which ReadNode last
	// read the node, and followErr how that went: Update takes them
	// instead of reading the node again in the same round.
	followed  time.Time
	followErr error
}

// NewTracker returns a tracker that feeds rec and reads at most concurrency
// nodes at once in Update (scrape.concurrency, validated by internal/config).
func NewTracker(rec *Recorder, concurrency int) *Tracker {
	rec.tracked.Store(true)
	return &Tracker{rec: rec, now: time.Now, concurrency: concurrency, nodes: make(map[string]*trackedNode)}
}

// Name implements collect.Collector.
func (t *Tracker) Name() string { return "slowlog" }

// Update implements collect.Collector: it sends the gauges and the
// recorder's series (which then include this round's entries; the
// Recorder's own Update leaves them to the tracker) after this round's
// SLOWLOG reads of every node that answered INFO, on the round's
// connection and with the round's run_id. Those reads are done by
// ReadNode, right after each node's INFO read, so a node that does not
// answer never holds up the others'; a node ReadNode did not follow in
// this round (the tracker used without the round's NodeReader hook, a
// node discovery had not told it about yet) is read here, at most the
// tracker's concurrency at once, each wave of them with an equal share of
// what is left of the deadline. It fails when any node's read failed,
// naming those nodes; the others are counted regardless.
func (t *Tracker) Update(ctx context.Context, in *collect.Input, ch chan<- prometheus.Metric) error {
	if in == nil {
		return nil
	}
	t.SetTopology(in.Topology)
	t.mu.Lock()
	current := t.topo
	t.mu.Unlock()

	var failed []nodeFailure
	var pending []*collect.NodeRead
	tried := 0
	for i := range in.Nodes {
		n := &in.Nodes[i]
		if !n.Up() || n.Client == nil {
			continue
		}
		if _, ok := current.Node(n.Node.Name); current != nil && !ok {
			continue // left the group since this round began
		}
		tried++
		if done, err := t.followed(n); done {
			if err != nil {
				failed = append(failed, nodeFailure{n.Node.Name, err})
			}
			continue
		}
		pending = append(pending, n)
	}
	failed = append(failed, t.readPending(ctx, pending)...)
	t.Collect(ch)
	t.rec.Collect(ch)
	if len(failed) == 0 {
		return nil
	}
	return failedReads(failed, tried)
}

// ReadNode implements collect.NodeReader: the round calls it right after
// the node answered INFO, and Update then takes what it read.
func (t *Tracker) ReadNode(ctx context.Context, read *collect.NodeRead) {
	if !read.Up() || read.Client == nil || read.ReadAt.IsZero() {
		return
	}
	t.mu.Lock()
	current := t.topo
	t.mu.Unlock()
	if _, ok := current.Node(read.Node.Name); current != nil && !ok {
		return // Update decides with the round's topology
	}
	n, err := t.scrape(ctx, read.Client, read.Node.Name, read.Node.Shard, read.RunID())
	n.gauges.Lock()
	n.followed, n.followErr = read.ReadAt, err
	n.gauges.Unlock()
}

// followed reports whether ReadNode read the node after this round's
// INFO read (the same ReadAt), and how that went.
func (t *Tracker) followed(read *collect.NodeRead) (bool, error) {
	t.mu.Lock()
	n, ok := t.nodes[read.Node.Name]
	t.mu.Unlock()
	if !ok || read.ReadAt.IsZero() {
		return false, nil
	}
	n.gauges.Lock()
	defer n.gauges.Unlock()
	if !n.followed.Equal(read.ReadAt) {
		return false, nil
	}
	return true, n.followErr
}

// readPending reads the nodes ReadNode did not, in the round's order, at
// most the tracker's concurrency at once. Each wave gets an equal share
// of what is left of the deadline, so a node that never answers uses its
// share and not the time of the nodes queued behind it.
func (t *Tracker) readPending(ctx context.Context, nodes []*collect.NodeRead) []nodeFailure {
	if len(nodes) == 0 {
		return nil
	}
	workers := min(max(t.concurrency, 1), len(nodes))
	share := time.Duration(-1)
	if deadline, ok := ctx.Deadline(); ok {
		waves := (len(nodes) + workers - 1) / workers
		share = max(time.Until(deadline)/time.Duration(waves), 0)
	}
	var next atomic.Int64
	var wg sync.WaitGroup
	var mu sync.Mutex
	var failed []nodeFailure
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := int(next.Add(1) - 1)
				if i >= len(nodes) {
					return
				}
				n := nodes[i]
				var err error
				if ctx.Err() != nil {
					err = fmt.Errorf("slowlog %s: not read before the round's deadline: %w", n.Node.Name, ctx.Err())
				} else {
					err = t.readWithin(ctx, share, n)
				}
				if err != nil {
					mu.Lock()
					failed = append(failed, nodeFailure{n.Node.Name, err})
					mu.Unlock()
				}
			}
		}()
	}
	wg.Wait()
	return failed
}

// readWithin reads one node within share of the round's deadline (all of
// what is left when share is negative).
func (t *Tracker) readWithin(ctx context.Context, share time.Duration, n *collect.NodeRead) error {
	if share >= 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, share)
		defer cancel()
	}
	_, err := t.scrape(ctx, n.Client, n.Node.Name, n.Node.Shard, n.RunID())
	return err
}

// nodeFailure is one node's failed SLOWLOG read.
type nodeFailure struct {
	node string
	err  error
}

// maxNamedFailures bounds how many failed nodes the collector's error
// names: one line however many failed.
const maxNamedFailures = 5

// failedReads is the collector's error: how many nodes failed, the first
// of them by name, and the first error.
func failedReads(failed []nodeFailure, tried int) error {
	sort.Slice(failed, func(i, j int) bool { return failed[i].node < failed[j].node })
	names := make([]string, 0, min(len(failed), maxNamedFailures))
	for _, f := range failed[:min(len(failed), maxNamedFailures)] {
		names = append(names, f.node)
	}
	more := ""
	if len(failed) > maxNamedFailures {
		more = fmt.Sprintf(" and %d more", len(failed)-maxNamedFailures)
	}
	return fmt.Errorf("SLOWLOG read failed on %d of %d nodes (%s%s), first: %w", len(failed), tried, strings.Join(names, ", "), more, failed[0].err)
}

// SetTopology makes t the group: nodes that left it are forgotten with
// their gauges, and the recorder drops every series of theirs. Older
// snapshots than the newest given are ignored. Call it from discovery's
// OnChange; Update also takes each round's topology.
func (t *Tracker) SetTopology(topo *topology.Topology) {
	if topo == nil {
		return
	}
	t.rec.SetTopology(topo)
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.topo != nil && (t.topo == topo || topo.DiscoveredAt.Before(t.topo.DiscoveredAt)) {
		return
	}
	t.topo = topo
	for name := range t.nodes {
		if _, ok := topo.Node(name); !ok {
			delete(t.nodes, name)
		}
	}
}

// Scrape reads the node's new slow log entries and counts them. runID is
// INFO server's run_id from the same scrape ("" when unknown): a change means
// the node restarted and its ids started over. It never runs SLOWLOG RESET.
func (t *Tracker) Scrape(ctx context.Context, c Client, node, shard, runID string) error {
	_, err := t.scrape(ctx, c, node, shard, runID)
	return err
}

// scrape is Scrape, returning the node's state too.
func (t *Tracker) scrape(ctx context.Context, c Client, node, shard, runID string) (*trackedNode, error) {
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
		return n, fmt.Errorf("slowlog %s: SLOWLOG GET 1 / SLOWLOG LEN: %w", node, err)
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
			return n, fmt.Errorf("slowlog %s: SLOWLOG GET %d: %w", node, want, err)
		}
	}
	next, fresh, missed := advance(n.cursor, pr, fetched)
	n.cursor = &next
	n.gauges.Lock()
	n.shard, n.length, n.lastID, n.ok = shard, pr.Length, pr.NewestID, true
	n.gauges.Unlock()

	t.rec.recordMissed(node, shard, missed)
	for _, s := range fresh {
		t.rec.RecordSlow(commandFromRedis(node, shard, s))
	}
	return n, nil
}

// Forget drops a node that left the topology, with its gauges (SetTopology
// does this for every departed node, and the recorder's series too).
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
			node, shard := collect.LabelValue(name), collect.LabelValue(n.shard)
			ch <- prometheus.MustNewConstMetric(slowlogLengthDesc, prometheus.GaugeValue, float64(n.length), node, shard)
			ch <- prometheus.MustNewConstMetric(slowlogLastIDDesc, prometheus.GaugeValue, float64(n.lastID), node, shard)
		}
		n.gauges.Unlock()
	}
}

func (n *trackedNode) setFailed() {
	n.gauges.Lock()
	n.ok = false
	n.gauges.Unlock()
}
