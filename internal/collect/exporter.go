// Package collect is the fan-out of a scrape: a round reads every node of
// the current topology concurrently, then runs every registered Collector
// (the Redis series, SLOWLOG, the CloudWatch cache, the log tails, the
// group's description) concurrently, timing each and recovering any panic
// into elasticache_exporter_scrape_collector_success{collector}=0.
//
// A round runs on its own context, never a client's: concurrent scrapes
// share it, and a client that disconnects or asks for a tiny deadline
// changes nothing for the others. A client that cannot wait for the round
// gets the newest complete answer instead (every node present), never an
// empty body.
package collect

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"reflect"
	"runtime/debug"
	"sync"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/redis/go-redis/v9"

	"github.com/elasticache-exporter/elasticache-exporter/internal/topology"
)

// Round deadlines are clamped to these bounds whatever a client asks for:
// a shared round shorter than MinRoundTimeout would read nothing useful
// for the clients that join it, one longer than MaxRoundTimeout holds
// connections and goroutines for longer than any Prometheus waits.
const (
	MinRoundTimeout = time.Second
	MaxRoundTimeout = 2 * time.Minute
)

// maxServedAge bounds how old a previous round may be and still be served
// to a client that cannot wait for the current one: Prometheus' own
// staleness horizon.
const maxServedAge = 5 * time.Minute

// collectorGrace is how long a round waits past its deadline for the
// collectors to return before it gives up on the slow ones.
const collectorGrace = 50 * time.Millisecond

// ClientLease is a round's hold on the node connections; see
// redisconn.Pool.Acquire.
type ClientLease interface {
	Client(addr, serverName string) *redis.Client
	Release()
}

// Options configures an Exporter. Every value is already validated by
// internal/config; nothing here re-defaults it.
type Options struct {
	Topology func() *topology.Topology
	// Acquire leases the node connections for one round.
	Acquire func() ClientLease
	// Concurrency is how many nodes a round reads at once.
	Concurrency func() int
	// Collectors run in every round after the node reads, besides the
	// built-in "redis" collector.
	Collectors []Collector
	// NodeReaders read each node right after its INFO read (NodeReader);
	// a Collector that is a NodeReader need not be listed again (one
	// wrapped by another Collector must be).
	NodeReaders []NodeReader
	// OnTopologyDoubt is called when a node fails or reports a role that
	// discovery does not know (typically Discoverer.Trigger).
	OnTopologyDoubt func()
	// Latency says which latency reads ride with INFO (nil:
	// DefaultLatencyPolicy).
	Latency func() LatencyPolicy
	// CommandStats bounds the per-command families (nil: all of them).
	CommandStats func() CommandStatsPolicy
	// OnFailover receives every failover a round measured (failover.go);
	// FailoverSignals lists the engine-log failover lines, read only when
	// a failover completes. Both may be nil.
	OnFailover      func(Failover)
	FailoverSignals func() []FailoverSignal
	// Self is gathered once per round into the same exposition: the Go,
	// process and build metrics.
	Self   prometheus.Gatherer
	Logger *slog.Logger
}

// Exporter runs scrape rounds. It is safe for concurrent use.
type Exporter struct {
	opts Options
	// redis turns the node reads into every node's series: it does no
	// I/O, and the round always waits for it, whatever its deadline, so
	// an answer never lacks a node.
	redis      *redisCollector
	collectors []Collector
	// nodeReaders follow each node's INFO read in the same worker.
	nodeReaders []NodeReader
	legacy      legacyInfo

	mu    sync.Mutex
	round *round // in flight, nil when none
	last  *round // newest complete round
	// encodeTime is how long the last round took to encode; the next
	// round stops reading that much (and a half) before its deadline.
	encodeTime time.Duration
	// familySizes and samples of the last round size the next one's
	// buffers.
	familySizes map[string]int
	samples     int
	// unanswered holds the addresses of the nodes whose read failed in
	// the last round; the next reads them last (readOrder).
	unanswered map[string]bool
	// running marks collectors whose Update has not returned yet (one
	// that outlived its round), so a stuck collector is skipped instead
	// of piling up goroutines.
	running map[string]bool
}

// round is one scrape in flight; late arrivals wait for it instead of
// starting another, so N concurrent /metrics cost one INFO per node and
// one encoding.
type round struct {
	done     chan struct{}
	finished time.Time
	exp      *Exposition // set before done is closed
	progress progress
}

// progress is what a round has read so far, for clients that cannot wait.
type progress struct {
	mu    sync.Mutex
	topo  *topology.Topology
	reads []NodeRead
	read  []bool
}

// New returns an Exporter.
func New(opts Options) *Exporter {
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	e := &Exporter{opts: opts, running: map[string]bool{}}
	e.legacy.latency = opts.Latency
	state := newReplicationState()
	state.signals = opts.FailoverSignals
	e.redis = &redisCollector{state: state, onDoubt: opts.OnTopologyDoubt, logger: opts.Logger, commands: opts.CommandStats, onFailover: opts.OnFailover}
	e.collectors = append([]Collector{e.redis}, opts.Collectors...)
	e.nodeReaders = nodeReaders(opts)
	return e
}

// nodeReaders lists opts.NodeReaders and the collectors that are
// NodeReaders; one given as the same pointer twice is listed once.
func nodeReaders(opts Options) []NodeReader {
	var out []NodeReader
	type identity struct {
		t reflect.Type
		p uintptr
	}
	seen := map[identity]bool{}
	add := func(r NodeReader) {
		if r == nil {
			return
		}
		// By pointer only: other dynamic types need not be comparable.
		if v := reflect.ValueOf(r); v.Kind() == reflect.Pointer {
			id := identity{v.Type(), v.Pointer()}
			if seen[id] {
				return
			}
			seen[id] = true
		}
		out = append(out, r)
	}
	for _, r := range opts.NodeReaders {
		add(r)
	}
	for _, c := range opts.Collectors {
		if r, ok := c.(NodeReader); ok {
			add(r)
		}
	}
	return out
}

// RoundTimeout clamps a client's wish to the bounds a shared round accepts.
func RoundTimeout(want time.Duration) time.Duration {
	return min(max(want, MinRoundTimeout), MaxRoundTimeout)
}

// Gather returns the exposition of a round: the one in flight, or a new
// one started with the clamped timeout. ctx only decides how long this
// caller waits; the round itself never sees it. A caller whose ctx ends
// first gets the newest complete round (its
// elasticache_exporter_scrape_round_timestamp_seconds says when it ended)
// or, before the first one, what the current round has read so far with
// the nodes not read yet as redis_up 0.
func (e *Exporter) Gather(ctx context.Context, timeout time.Duration) *Exposition {
	e.mu.Lock()
	r := e.round
	if r == nil {
		r = &round{done: make(chan struct{})}
		e.round = r
		go e.run(r, RoundTimeout(timeout))
	}
	e.mu.Unlock()

	select {
	case <-r.done:
		return r.exp
	case <-ctx.Done():
		return e.fallback(r)
	}
}

// fallback answers a caller that cannot wait for r.
func (e *Exporter) fallback(r *round) *Exposition {
	e.mu.Lock()
	last := e.last
	e.mu.Unlock()
	if last != nil && time.Since(last.finished) <= maxServedAge {
		return last.exp
	}
	r.progress.mu.Lock()
	in := &Input{Topology: r.progress.topo, Nodes: make([]NodeRead, len(r.progress.reads))}
	for i := range r.progress.reads {
		if r.progress.read[i] {
			in.Nodes[i] = r.progress.reads[i]
		} else {
			in.Nodes[i] = NodeRead{Node: r.progress.reads[i].Node, Err: errNotReadYet}
		}
	}
	r.progress.mu.Unlock()
	enc := newEncoder()
	emitNodes(func(m prometheus.Metric) { enc.add(m) }, in, replicationView{}, e.opts.Logger)
	enc.add(prometheus.MustNewConstMetric(collectorSuccessDesc, prometheus.GaugeValue, 0, "redis"))
	enc.add(prometheus.MustNewConstMetric(roundTimestampDesc, prometheus.GaugeValue, 0))
	exp, err := enc.finish()
	if err != nil {
		e.opts.Logger.Warn("encoding a partial answer", "err", err)
	}
	return exp
}

var errNotReadYet = fmt.Errorf("not read within this client's deadline (no complete round to serve yet)")

// run is one round. Whatever happens inside, done is closed with an
// exposition and the round is cleared, so a panic can never leave later
// scrapes waiting on it or answering nothing.
func (e *Exporter) run(r *round, timeout time.Duration) {
	start := time.Now()
	defer func() {
		if p := recover(); p != nil {
			e.opts.Logger.Error("scrape round panicked", "panic", fmt.Sprint(p), "stack", string(debug.Stack()))
		}
		if r.exp == nil {
			r.exp = e.fallback(r)
		}
		r.finished = time.Now()
		e.mu.Lock()
		e.round = nil
		e.last = r
		e.mu.Unlock()
		close(r.done)
		// The node reads are not needed once the round is served (a late
		// client gets e.last's exposition); a kept round holds only bytes.
		r.progress.mu.Lock()
		r.progress.reads, r.progress.read, r.progress.topo = nil, nil, nil
		r.progress.mu.Unlock()
	}()
	// Reading stops early enough to leave the encoding its time, so the
	// whole answer fits the deadline the client asked for.
	e.mu.Lock()
	reserve := min(max(e.encodeTime*3/2, 20*time.Millisecond), timeout/2)
	sizes, samples := e.familySizes, e.samples
	e.mu.Unlock()
	ctx, cancel := context.WithTimeout(context.Background(), timeout-reserve)
	defer cancel()

	lease := e.opts.Acquire()
	in := e.readNodes(ctx, lease, &r.progress)
	enc := newSizedEncoder(sizes, samples)
	users := e.runCollectors(ctx, in, enc)
	// Collectors that outlived the round may still use the connections:
	// the lease goes back only when the last of them returns.
	go func() { users.Wait(); lease.Release() }()

	encodeStart := time.Now()
	if e.opts.Self != nil {
		self, err := e.opts.Self.Gather()
		if err != nil {
			e.opts.Logger.Warn("gathering the exporter's own metrics", "err", err)
		}
		enc.addSelf(self)
	}
	enc.add(prometheus.MustNewConstMetric(scrapeDurationDesc, prometheus.GaugeValue, time.Since(start).Seconds()))
	enc.add(prometheus.MustNewConstMetric(roundTimestampDesc, prometheus.GaugeValue, float64(time.Now().UnixNano())/1e9))
	exp, err := enc.finish()
	if err != nil {
		e.opts.Logger.Warn("encoding the round", "err", err)
	}
	r.exp = exp
	e.mu.Lock()
	e.encodeTime = time.Since(encodeStart)
	if exp != nil {
		e.familySizes, e.samples = enc.sizes, exp.Samples
	}
	e.mu.Unlock()
}

// readNodes reads INFO from every node concurrently, at most Concurrency
// at a time. A panic while reading one node fails that node only.
func (e *Exporter) readNodes(ctx context.Context, lease ClientLease, p *progress) *Input {
	topo := e.opts.Topology()
	in := &Input{Topology: topo}
	if topo == nil {
		return in
	}
	in.Nodes = make([]NodeRead, len(topo.Nodes))
	p.mu.Lock()
	p.topo = topo
	p.reads = make([]NodeRead, len(topo.Nodes))
	p.read = make([]bool, len(topo.Nodes))
	for i, n := range topo.Nodes {
		p.reads[i].Node = n
	}
	p.mu.Unlock()

	// Nodes that did not answer the last round are read last: one that
	// hangs (SIGSTOP, a host that accepts TCP and answers nothing) then
	// holds its worker after every other node was read, not while the
	// nodes queued behind it miss the deadline.
	e.mu.Lock()
	order := readOrder(topo.Nodes, e.unanswered)
	e.mu.Unlock()

	// A pool of Concurrency workers, not a goroutine per node: at 1,500
	// nodes those would be 1,500 stacks parked on a semaphore.
	cluster := topo.Mode == topology.ModeCluster
	var next atomic.Int64
	var wg sync.WaitGroup
	for range min(max(1, e.opts.Concurrency()), len(topo.Nodes)) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				k := int(next.Add(1) - 1)
				if k >= len(order) {
					return
				}
				i := order[k]
				e.readOne(ctx, lease, topo.Nodes[i], cluster, func(read NodeRead) {
					in.Nodes[i] = read
					p.mu.Lock()
					p.reads[i], p.read[i] = read, true
					p.mu.Unlock()
				})
			}
		}()
	}
	wg.Wait()
	unanswered := map[string]bool{}
	for i := range in.Nodes {
		if r := &in.Nodes[i]; !r.Up() && !errors.Is(r.Err, errNotRead) {
			unanswered[r.Node.Addr] = true
		}
	}
	e.mu.Lock()
	e.unanswered = unanswered
	e.mu.Unlock()
	return in
}

// readOrder is the order a round reads nodes in: by index, the nodes that
// answered the last round (or are new) first, then those that did not.
func readOrder(nodes []topology.Node, unanswered map[string]bool) []int {
	order := make([]int, 0, len(nodes))
	for i, n := range nodes {
		if !unanswered[n.Addr] {
			order = append(order, i)
		}
	}
	for i, n := range nodes {
		if unanswered[n.Addr] {
			order = append(order, i)
		}
	}
	return order
}

// errNotRead marks a node the round had no time left to read: it says
// nothing about the node, so the next round does not read it last.
var errNotRead = errors.New("not read before the round's deadline")

// readOne reads one node and hands the result to done, whatever happens:
// a panic while reading it fails that node only.
func (e *Exporter) readOne(ctx context.Context, lease ClientLease, node topology.Node, cluster bool, done func(NodeRead)) {
	read := NodeRead{Node: node}
	defer func() {
		if pv := recover(); pv != nil {
			e.opts.Logger.Error("reading a node panicked; reporting it down for this round", "node", node.Name, "panic", fmt.Sprint(pv), "stack", string(debug.Stack()))
			read = NodeRead{Node: node, Err: fmt.Errorf("internal error while reading the node: %v", pv)}
		}
		done(read)
	}()
	if err := ctx.Err(); err != nil {
		read.Err = fmt.Errorf("%w: %w", errNotRead, err)
		return
	}
	deadline, bounded := ctx.Deadline()
	start := time.Now()
	read = readNode(ctx, lease.Client(node.Addr, node.ServerName), node, cluster, &e.legacy)
	if read.Up() {
		e.followRead(ctx, read)
		return
	}
	if bounded && deadline.Sub(start) < minReadBudget && !time.Now().Before(deadline) {
		// Started with almost no time left and cut short by the round's
		// deadline: that says nothing about the node (the connection's
		// deadline can fire a moment before the context reports it, so
		// the check above let the read start).
		read.Err = fmt.Errorf("%w: %w", errNotRead, read.Err)
	}
}

// minReadBudget is the least time left to the round's deadline at which a
// read that the deadline cut short counts against the node: below it the
// next round does not read the node last (readOrder) for it.
const minReadBudget = 100 * time.Millisecond

// followRead runs the node readers on a node that answered INFO. A panic
// in one of them is logged; the node's read stands.
func (e *Exporter) followRead(ctx context.Context, read NodeRead) {
	for _, r := range e.nodeReaders {
		func() {
			defer func() {
				if pv := recover(); pv != nil {
					e.opts.Logger.Error("a node reader panicked; the node's INFO read stands", "node", read.Node.Name, "panic", fmt.Sprint(pv), "stack", string(debug.Stack()))
				}
			}()
			// A copy: a reader cannot change what the round read.
			own := read
			r.ReadNode(ctx, &own)
		}()
	}
}

// addFrom encodes one metric a collector sent. Whatever it sends cannot
// stop the process: a metric that panics while being written fails its
// collector, and the rest of what it sends is still taken.
func (e *Exporter) addFrom(run *collectorRun, enc *encoder, m prometheus.Metric) {
	run.mu.Lock()
	defer run.mu.Unlock()
	defer func() {
		if p := recover(); p != nil {
			e.opts.Logger.Error("encoding a collector's metric panicked", "collector", run.name, "panic", fmt.Sprint(p))
			if run.err == nil {
				run.err = fmt.Errorf("collector %s sent a metric that could not be encoded: %v", run.name, p)
			}
		}
	}()
	if !run.closed && enc.add(m) {
		run.series++
	}
}

// collectorRun is one collector's part of a round.
type collectorRun struct {
	name string
	mu   sync.Mutex
	// series counts what it sent that went into the exposition; closed
	// stops taking what it sends once the round gave up on it.
	series   int
	closed   bool
	err      error
	duration time.Duration
	start    time.Time
	done     chan struct{}
	skipped  bool
}

// runCollectors runs every collector concurrently, streaming what they
// send into enc, and waits for them until the round's deadline (plus a
// short grace). users is done when every collector goroutine has
// returned, including those the round gave up on.
func (e *Exporter) runCollectors(ctx context.Context, in *Input, enc *encoder) (users *sync.WaitGroup) {
	users = &sync.WaitGroup{}
	runs := make([]*collectorRun, len(e.collectors))
	for i, c := range e.collectors {
		run := &collectorRun{name: c.Name(), start: time.Now(), done: make(chan struct{})}
		runs[i] = run
		e.mu.Lock()
		busy := e.running[run.name]
		if !busy {
			e.running[run.name] = true
		}
		e.mu.Unlock()
		if busy {
			run.skipped = true
			run.err = fmt.Errorf("collector %s: its previous update is still running", run.name)
			close(run.done)
			continue
		}
		users.Add(1)
		if c == Collector(e.redis) {
			continue // started last, in this goroutine
		}
		go e.runOne(ctx, c, in, run, users, enc)
	}
	// The node series are built here while the others run, and waited
	// for without a deadline: they are pure CPU, bounded by the nodes.
	if !runs[0].skipped {
		e.runOne(ctx, e.redis, in, runs[0], users, enc)
	}

	deadline, _ := ctx.Deadline()
	timer := time.NewTimer(time.Until(deadline) + collectorGrace)
	defer timer.Stop()
wait:
	for _, run := range runs {
		select {
		case <-run.done:
		case <-timer.C:
			break wait
		}
	}
	for _, run := range runs {
		run.mu.Lock()
		select {
		case <-run.done:
		default:
			// Past the deadline: the collector is reported failed with
			// what it sent so far, and is skipped by later rounds until
			// it returns.
			run.err = fmt.Errorf("collector %s did not finish before the round's deadline", run.name)
			run.duration = time.Since(run.start)
		}
		run.closed = true
		ok := run.err == nil
		if !ok && !run.skipped {
			e.opts.Logger.Warn("collector failed", "collector", run.name, "err", run.err)
		}
		enc.add(prometheus.MustNewConstMetric(collectorSuccessDesc, prometheus.GaugeValue, boolFloat(ok), run.name))
		enc.add(prometheus.MustNewConstMetric(collectorDurationDesc, prometheus.GaugeValue, run.duration.Seconds(), run.name))
		enc.add(prometheus.MustNewConstMetric(seriesDesc, prometheus.GaugeValue, float64(run.series), run.name))
		run.mu.Unlock()
	}
	return users
}

// runOne runs one collector, draining what it sends, and recovers its
// panic into a failure of that collector alone.
func (e *Exporter) runOne(ctx context.Context, c Collector, in *Input, run *collectorRun, users *sync.WaitGroup, enc *encoder) {
	ch := make(chan prometheus.Metric, 256)
	drained := make(chan struct{})
	go func() {
		defer close(drained)
		for m := range ch {
			e.addFrom(run, enc, m)
		}
	}()
	var err error
	func() {
		defer func() {
			if p := recover(); p != nil {
				e.opts.Logger.Error("collector panicked; it reports failure for this round", "collector", run.name, "panic", fmt.Sprint(p), "stack", string(debug.Stack()))
				err = fmt.Errorf("collector %s panicked: %v", run.name, p)
			}
		}()
		err = c.Update(ctx, in, ch)
	}()
	close(ch)
	<-drained
	run.mu.Lock()
	if run.err == nil {
		run.err = err
	}
	if run.duration == 0 {
		run.duration = time.Since(run.start)
	}
	run.mu.Unlock()
	e.mu.Lock()
	delete(e.running, run.name)
	e.mu.Unlock()
	users.Done()
	close(run.done)
}

// ReadOne reads a single node for /probe: one INFO (with CLUSTER INFO when
// discovery knows the node is in a cluster).
func (e *Exporter) ReadOne(ctx context.Context, c *redis.Client, node topology.Node, cluster bool) []prometheus.Metric {
	read := readNode(ctx, c, node, cluster, &e.legacy)
	var out []prometheus.Metric
	emitNodes(func(m prometheus.Metric) { out = append(out, m) }, &Input{Nodes: []NodeRead{read}}, replicationView{}, e.opts.Logger)
	return out
}

func boolFloat(b bool) float64 {
	if b {
		return 1
	}
	return 0
}
