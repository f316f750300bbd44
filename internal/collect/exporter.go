// Package collect is the exporter's prometheus.Collector: one scrape reads
// every node of the current topology concurrently within the scrape's
// deadline, merges the cached sources (CloudWatch, log tails), and turns it
// all into const metrics. Concurrent scrapes share one round.
package collect

import (
	"context"
	"log/slog"
	"strings"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/redis/go-redis/v9"

	"github.com/elasticache-exporter/elasticache-exporter/internal/redisinfo"
	"github.com/elasticache-exporter/elasticache-exporter/internal/topology"
)

// ClientSource hands out the persistent client of a node.
type ClientSource interface {
	Client(addr, serverName string) *redis.Client
}

// Source is a collector whose values are gathered elsewhere (a background
// refresh or tail); Collect must not do I/O. Its name is the collector
// label of elasticache_exporter_scrape_collector_success.
type Source interface {
	prometheus.Collector
	Name() string
	// Healthy reports whether the source's last refresh succeeded.
	Healthy() bool
}

// Options configures an Exporter.
type Options struct {
	Topology    func() *topology.Topology
	Clients     ClientSource
	Concurrency func() int
	Hooks       []NodeHook
	Sources     []Source
	// Extra collectors emitted in every scrape (adoption info, build info).
	Extra []prometheus.Collector
	// OnNodeError is called when a node fails or reports a role that
	// discovery does not know (typically Discoverer.Trigger).
	OnTopologyDoubt  func()
	DiscoveryLastRun func() time.Time
	Logger           *slog.Logger
}

// Exporter reads the group. It is safe for concurrent use.
type Exporter struct {
	opts   Options
	state  *replicationState
	legacy legacyInfo

	mu    sync.Mutex
	round *round
}

// round is one scrape in flight; late arrivals wait for it instead of
// starting another, so N concurrent /metrics cost one INFO per node.
type round struct {
	done    chan struct{}
	metrics []prometheus.Metric
}

// New returns an Exporter.
func New(opts Options) *Exporter {
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	return &Exporter{opts: opts, state: newReplicationState()}
}

// Gather runs a scrape round, or joins the one in flight.
func (e *Exporter) Gather(ctx context.Context) []prometheus.Metric {
	e.mu.Lock()
	if r := e.round; r != nil {
		e.mu.Unlock()
		select {
		case <-r.done:
			return r.metrics
		case <-ctx.Done():
			return nil
		}
	}
	r := &round{done: make(chan struct{})}
	e.round = r
	e.mu.Unlock()

	r.metrics = e.scrape(ctx)

	e.mu.Lock()
	e.round = nil
	e.mu.Unlock()
	close(r.done)
	return r.metrics
}

// Collector returns a prometheus.Collector bound to one request's context,
// which carries the scrape deadline.
func (e *Exporter) Collector(ctx context.Context) prometheus.Collector {
	return requestCollector{e: e, ctx: ctx}
}

type requestCollector struct {
	e   *Exporter
	ctx context.Context
}

// Describe sends nothing: the set of series depends on the group, so the
// collector is unchecked.
func (requestCollector) Describe(chan<- *prometheus.Desc) {}

func (c requestCollector) Collect(ch chan<- prometheus.Metric) {
	for _, m := range c.e.Gather(c.ctx) {
		ch <- m
	}
}

func (e *Exporter) scrape(ctx context.Context) []prometheus.Metric {
	start := time.Now()
	topo := e.opts.Topology()
	var out []prometheus.Metric
	emit := func(m prometheus.Metric) { out = append(out, m) }

	results := e.readNodes(ctx, topo)
	redisDur := time.Since(start)
	view := e.state.observe(results)

	anyUp, anyDown := false, false
	roles := map[string]float64{"primary": 0, "replica": 0, "unknown": 0}
	for i := range results {
		r := &results[i]
		emitNode(emit, r, view)
		if r.up() {
			anyUp = true
			roles[string(r.role())]++
		} else {
			anyDown = true
			roles["unknown"]++
			e.opts.Logger.Debug("node did not answer", "node", r.node.Name, "err", r.err)
		}
	}
	if (anyDown || view.roleMismatch) && e.opts.OnTopologyDoubt != nil {
		e.opts.OnTopologyDoubt()
	}
	for shard, n := range view.failovers {
		emit(prometheus.MustNewConstMetric(failoversDesc, prometheus.CounterValue, n, shard))
	}
	for role, n := range roles {
		emit(prometheus.MustNewConstMetric(nodesDesc, prometheus.GaugeValue, n, role))
	}
	emit(prometheus.MustNewConstMetric(collectorSuccessDesc, prometheus.GaugeValue, boolFloat(anyUp || len(results) == 0 && topo != nil), "redis"))
	emit(prometheus.MustNewConstMetric(collectorDurationDesc, prometheus.GaugeValue, redisDur.Seconds(), "redis"))

	for _, s := range e.opts.Sources {
		sStart := time.Now()
		out = append(out, drain(s)...)
		emit(prometheus.MustNewConstMetric(collectorSuccessDesc, prometheus.GaugeValue, boolFloat(s.Healthy()), s.Name()))
		emit(prometheus.MustNewConstMetric(collectorDurationDesc, prometheus.GaugeValue, time.Since(sStart).Seconds(), s.Name()))
	}
	for _, c := range e.opts.Extra {
		out = append(out, drain(c)...)
	}
	if e.opts.DiscoveryLastRun != nil {
		ts := 0.0
		if t := e.opts.DiscoveryLastRun(); !t.IsZero() {
			ts = float64(t.UnixNano()) / 1e9
		}
		emit(prometheus.MustNewConstMetric(discoveryLastSuccessDesc, prometheus.GaugeValue, ts))
	}
	emit(prometheus.MustNewConstMetric(scrapeDurationDesc, prometheus.GaugeValue, time.Since(start).Seconds()))
	return out
}

// readNodes reads every node concurrently, at most Concurrency at a time.
func (e *Exporter) readNodes(ctx context.Context, topo *topology.Topology) []nodeResult {
	if topo == nil {
		return nil
	}
	results := make([]nodeResult, len(topo.Nodes))
	limit := 16
	if e.opts.Concurrency != nil {
		limit = max(1, e.opts.Concurrency())
	}
	sem := make(chan struct{}, limit)
	var wg sync.WaitGroup
	cluster := topo.Mode == topology.ModeCluster
	for i, node := range topo.Nodes {
		wg.Add(1)
		go func() {
			defer wg.Done()
			select {
			case sem <- struct{}{}:
			case <-ctx.Done():
				results[i] = nodeResult{node: node, err: ctx.Err()}
				return
			}
			defer func() { <-sem }()
			c := e.opts.Clients.Client(node.Addr, node.ServerName)
			results[i] = readNode(ctx, c, node, cluster, &e.legacy)
			if !results[i].up() {
				return
			}
			for _, h := range e.opts.Hooks {
				if err := h.ScrapeNode(ctx, c, node, results[i].info.RunID()); err != nil {
					e.opts.Logger.Debug("node hook failed", "node", node.Name, "err", err)
				}
			}
		}()
	}
	wg.Wait()
	return results
}

// ReadOne reads a single node for /probe.
func (e *Exporter) ReadOne(ctx context.Context, c *redis.Client, node topology.Node) []prometheus.Metric {
	r := readNode(ctx, c, node, false, &e.legacy)
	if r.up() && r.info.ClusterEnabled() {
		r = readNode(ctx, c, node, true, &e.legacy)
	}
	var out []prometheus.Metric
	emitNode(func(m prometheus.Metric) { out = append(out, m) }, &r, replicationView{})
	return out
}

func emitNode(emit func(prometheus.Metric), r *nodeResult, view replicationView) {
	name, shard := r.node.Name, r.node.Shard
	gauge := func(d *prometheus.Desc, v float64, extra ...string) {
		emit(prometheus.MustNewConstMetric(d, prometheus.GaugeValue, v, append([]string{name, shard}, extra...)...))
	}
	counter := func(d *prometheus.Desc, v float64, extra ...string) {
		emit(prometheus.MustNewConstMetric(d, prometheus.CounterValue, v, append([]string{name, shard}, extra...)...))
	}
	gauge(upDesc, boolFloat(r.up()))
	gauge(nodeScrapeDurationDesc, r.duration.Seconds())
	if !r.up() {
		return
	}
	info := r.info
	role := r.role()
	gauge(instanceInfoDesc, 1, string(role), info.Fields["redis_version"], info.Fields["redis_mode"], info.Fields["os"], info.Fields["maxmemory_policy"])
	gauge(isPrimaryDesc, boolFloat(role == topology.RolePrimary))
	for _, m := range infoMetrics {
		v, ok := info.Float(m.field)
		if !ok {
			continue
		}
		if f, ok := scale[m.field]; ok {
			v *= f
		}
		emit(prometheus.MustNewConstMetric(infoDescs[m.field], m.typ, v, name, shard))
	}
	if role == topology.RoleReplica {
		gauge(masterLinkUpDesc, boolFloat(info.Fields["master_link_status"] == "up"))
		if v, ok := view.lagBytes[name]; ok {
			gauge(replicaLagBytesDesc, v)
		}
		if v, ok := view.lagSeconds[name]; ok {
			gauge(replicaLagSecondsDesc, v)
		}
		if v, ok := view.linkDownSeconds[name]; ok {
			gauge(linkDownSinceDesc, v)
		}
	}
	info.Each("commandstats", func(k, v string) {
		cmd, ok := strings.CutPrefix(k, "cmdstat_")
		if !ok {
			return
		}
		cs, err := redisinfo.ParseCommandStat(v)
		if err != nil {
			return
		}
		counter(commandsDesc, float64(cs.Calls), cmd)
		counter(commandsDurationDesc, float64(cs.Usec)/1e6, cmd)
		counter(commandsRejectedDesc, float64(cs.RejectedCalls), cmd)
		counter(commandsFailedDesc, float64(cs.FailedCall), cmd)
	})
	info.Each("errorstats", func(k, v string) {
		prefix, ok := strings.CutPrefix(k, "errorstat_")
		if !ok {
			return
		}
		if n, err := redisinfo.ParseErrorStat(v); err == nil {
			counter(errorsDesc, float64(n), prefix)
		}
	})
	info.Each("keyspace", func(k, v string) {
		ks, err := redisinfo.ParseKeyspace(v)
		if err != nil {
			return
		}
		gauge(dbKeysDesc, float64(ks.Keys), k)
		gauge(dbKeysExpiringDesc, float64(ks.Expires), k)
		gauge(dbAvgTTLDesc, ks.AvgTTL/1e3, k)
	})
	if len(r.clusterInfo.Fields) > 0 {
		gauge(clusterStateDesc, boolFloat(r.clusterInfo.Fields["cluster_state"] == "ok"))
		for _, m := range clusterInfoMetrics {
			if v, ok := r.clusterInfo.Float(m.field); ok {
				emit(prometheus.MustNewConstMetric(clusterInfoDescs[m.field], m.typ, v, name, shard))
			}
		}
	}
}

// drain collects a collector's metrics synchronously.
func drain(c prometheus.Collector) []prometheus.Metric {
	ch := make(chan prometheus.Metric, 64)
	var out []prometheus.Metric
	done := make(chan struct{})
	go func() {
		for m := range ch {
			out = append(out, m)
		}
		close(done)
	}()
	c.Collect(ch)
	close(ch)
	<-done
	return out
}

func boolFloat(b bool) float64 {
	if b {
		return 1
	}
	return 0
}
