package slowlog

import (
	"context"
	"sync"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/elasticache-exporter/elasticache-exporter/internal/collect"
	"github.com/elasticache-exporter/elasticache-exporter/internal/config"
	"github.com/elasticache-exporter/elasticache-exporter/internal/topology"
)

// dedupLimit bounds how many recent slow entries are remembered to match
// the two sources; at 100k the memory stays in the low megabytes.
const dedupLimit = 100_000

// durationBuckets span 1 ms to 10 s: below 1 ms is ordinary Redis latency,
// above 10 s the node was unavailable anyway.
var durationBuckets = []float64{0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10}

// Kinds of elasticache_exporter_log_entries_outside_group_total.
const (
	kindSlow   = "slow"
	kindEngine = "engine"
)

// Recorder owns what both sources feed: the slow command and engine event
// metrics, their de-duplication and the recent-history buffers. One Recorder
// serves the daemon; the Tracker and the log tail write into it.
type Recorder struct {
	clientName string
	args       argPolicy

	// mu guards dedup and group, and is held across every counter update
	// so that SetTopology's deletions never interleave with a recording
	// (which would bring a departed node's series back).
	mu    sync.Mutex
	dedup *dedup
	group *groupView // nil until the first SetTopology
	// labelled holds every node and shard that has series, so that
	// SetTopology deletes exactly those of nodes outside the new group.
	labelled map[member]bool

	entries  *prometheus.CounterVec
	duration *prometheus.HistogramVec
	missed   *prometheus.CounterVec
	events   *prometheus.CounterVec
	outside  *prometheus.CounterVec

	slowHistory  *ring[SlowEntry]
	eventHistory *ring[EngineEvent]

	// tracked is set once a Tracker writes into the recorder: the tracker
	// then sends the recorder's series after its reads (see Update).
	tracked atomic.Bool
}

var (
	_ collect.Collector    = (*Recorder)(nil)
	_ prometheus.Collector = (*Recorder)(nil)
)

// NewRecorder builds the recorder. clientName is redis.client_name: slow
// entries of clients with that name are the exporter's own and not counted.
func NewRecorder(clientName string, slow config.SlowlogConfig, logs config.LogsConfig) *Recorder {
	return &Recorder{
		clientName: clientName,
		args:       argPolicy{keep: slow.KeepArgs, maxLen: slow.MaxArgLen},
		dedup:      newDedup(dedupLimit),
		labelled:   map[member]bool{},
		entries: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "redis_slowlog_entries_total",
			Help: "Slow log entries of the node, read with SLOWLOG GET by entry id and from ElastiCache's slow-log delivery to CloudWatch Logs, each counted once; the exporter's own commands are excluded. Counts start when the exporter first sees the node; the series go when the node leaves the group.",
		}, []string{"node", "shard", "cmd"}),
		duration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "redis_slowlog_duration_seconds",
			Help:    "Execution time of slow log entries (as redis_slowlog_entries_total), as the node measured it.",
			Buckets: durationBuckets,
		}, []string{"node", "shard", "cmd"}),
		missed: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "redis_slowlog_missed_entries_total",
			Help: "Slow log entries that left the node's buffer (slowlog-max-len) before the exporter could read them, known from gaps in the entry ids.",
		}, []string{"node", "shard"}),
		events: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "redis_engine_log_events_total",
			Help: "Engine log lines from ElastiCache's engine-log delivery to CloudWatch Logs, by level and classified event.",
		}, []string{"node", "shard", "level", "event"}),
		outside: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "elasticache_exporter_log_entries_outside_group_total",
			Help: "Slow log entries (kind=slow) and engine log events (kind=engine) read for a node that is not in the current group: another group's stream, a node that left, or a delivered line naming a member cluster while nodes are named by address. They stay in the recent history and are not counted per node.",
		}, []string{"kind"}),
		slowHistory:  newRing[SlowEntry](slow.HistorySize),
		eventHistory: newRing[EngineEvent](logs.HistorySize),
	}
}

// groupView is the group the recorder counts for.
type groupView struct {
	topo *topology.Topology
	// byKey finds a member by its Name or its CacheClusterId (the log
	// delivery's name for it).
	byKey map[string]member
	// shardOf is the shard of every member by Name: the series that exist.
	shardOf map[string]string
}

type member struct{ name, shard string }

func newGroupView(t *topology.Topology) *groupView {
	g := &groupView{topo: t, byKey: map[string]member{}, shardOf: map[string]string{}}
	for _, n := range t.Nodes {
		m := member{name: collect.LabelValue(n.Name), shard: collect.LabelValue(n.Shard)}
		g.shardOf[m.name] = m.shard
		g.byKey[n.Name] = m
		if n.CacheClusterID != "" {
			if _, taken := g.byKey[n.CacheClusterID]; !taken {
				g.byKey[n.CacheClusterID] = m
			}
		}
	}
	return g
}

// SetTopology makes t the group the recorder counts for. Every series of a
// node that is not in t, or whose shard changed, is deleted at once.
// Snapshots older than the current one (a round that started before the
// last discovery) are ignored, so they cannot bring a departed node back.
// Call it from discovery's OnChange; Update also takes each round's
// topology.
func (r *Recorder) SetTopology(t *topology.Topology) {
	if t == nil {
		return
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if cur := r.group; cur != nil && (cur.topo == t || t.DiscoveredAt.Before(cur.topo.DiscoveredAt)) {
		return
	}
	next := newGroupView(t)
	for m := range r.labelled {
		if s, ok := next.shardOf[m.name]; !ok || s != m.shard {
			r.deleteSeries(m.name, m.shard)
			delete(r.labelled, m)
		}
	}
	r.group = next
}

// deleteSeries drops every series of one node in one shard. Callers hold r.mu.
func (r *Recorder) deleteSeries(node, shard string) {
	l := prometheus.Labels{"node": node, "shard": shard}
	r.entries.DeletePartialMatch(l)
	r.duration.DeletePartialMatch(l)
	r.missed.DeletePartialMatch(l)
	r.events.DeletePartialMatch(l)
}

// resolve maps a node as a source names it to the group's member. Before
// the recorder was given a topology, a node the caller places in a shard
// (the tracker, which reads the round's nodes) is taken as it comes; the
// first SetTopology then removes whatever is not in the group. Callers
// hold r.mu.
func (r *Recorder) resolve(node, shard string) (member, bool) {
	if r.group == nil {
		if shard == "" {
			return member{}, false
		}
		return member{name: collect.LabelValue(node), shard: collect.LabelValue(shard)}, true
	}
	m, ok := r.group.byKey[node]
	return m, ok
}

// KnowsGroup reports whether the recorder has been given a topology; the
// log tail waits for one so that nothing it reads is left unattributed.
func (r *Recorder) KnowsGroup() bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.group != nil
}

// Name implements collect.Collector.
func (r *Recorder) Name() string { return "slowlog_history" }

// Update implements collect.Collector: it takes the round's topology (see
// SetTopology) and sends the counters. When a Tracker feeds the recorder,
// the Tracker sends them instead, after this round's SLOWLOG reads, so a
// round's exposition holds what that round read (collectors run
// concurrently); registering both never sends them twice. It has nothing
// of its own to fail.
func (r *Recorder) Update(_ context.Context, in *collect.Input, ch chan<- prometheus.Metric) error {
	if in != nil {
		r.SetTopology(in.Topology)
	}
	if !r.tracked.Load() {
		r.Collect(ch)
	}
	return nil
}

// Describe implements prometheus.Collector.
func (r *Recorder) Describe(ch chan<- *prometheus.Desc) {
	r.entries.Describe(ch)
	r.duration.Describe(ch)
	r.missed.Describe(ch)
	r.events.Describe(ch)
	r.outside.Describe(ch)
}

// Collect implements prometheus.Collector.
func (r *Recorder) Collect(ch chan<- prometheus.Metric) {
	r.entries.Collect(ch)
	r.duration.Collect(ch)
	r.missed.Collect(ch)
	r.events.Collect(ch)
	r.outside.Collect(ch)
}

// ownClient reports whether the exporter itself issued the command.
func (r *Recorder) ownClient(clientName string) bool {
	return r.clientName != "" && clientName == r.clientName
}

// RecordSlow counts c unless it is the exporter's own command or the other
// source already counted it, and keeps it in the history. A command of a
// node outside the group is kept and counted only as outside the group. It
// reports whether c was new.
func (r *Recorder) RecordSlow(c SlowCommand) bool {
	if r.ownClient(c.ClientName) {
		return false
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	m, inGroup := r.resolve(c.Node, c.Shard)
	if !inGroup {
		m = member{name: TruncateArg(c.Node, maxFieldLen)}
	}
	e := r.args.entry(c, m.name, m.shard)
	if r.dedup.seen(e) {
		return false
	}
	if inGroup {
		r.labelled[m] = true
		r.entries.WithLabelValues(m.name, m.shard, e.Cmd).Inc()
		r.duration.WithLabelValues(m.name, m.shard, e.Cmd).Observe(e.Duration.Seconds())
	} else {
		r.outside.WithLabelValues(kindSlow).Inc()
	}
	r.slowHistory.add(e)
	return true
}

// RecordUnparsedSlow keeps a delivered slow-log line that did not parse in
// the history (cut to a bound); node is the stream's node, "" if unknown.
func (r *Recorder) RecordUnparsedSlow(raw string, at time.Time, node string) {
	r.mu.Lock()
	m, ok := r.resolve(node, "")
	r.mu.Unlock()
	if !ok {
		m = member{name: TruncateArg(node, maxFieldLen)}
	}
	r.slowHistory.add(SlowEntry{Node: m.name, Shard: m.shard, ID: -1, Time: at.UTC(), Source: SourceCloudWatchLogs,
		Raw: TruncateArg(raw, maxRawLen)})
}

// RecordEngine counts an engine event of a node in the group (unless it is
// an unparsed line, ev.Raw set) and keeps it in the history. Level and event
// outside the bounded sets become unknown and other.
func (r *Recorder) RecordEngine(ev EngineEvent) {
	if !validLevel(ev.Level) {
		ev.Level = LevelUnknown
	}
	if !ValidEvent(ev.Event) {
		ev.Event = EventOther
	}
	ev.Time = ev.Time.UTC()
	ev.CacheNodeID = TruncateArg(ev.CacheNodeID, maxFieldLen)
	ev.Role = TruncateArg(ev.Role, maxFieldLen)
	ev.Message = TruncateArg(ev.Message, maxRawLen)
	ev.Raw = TruncateArg(ev.Raw, maxRawLen)
	r.mu.Lock()
	defer r.mu.Unlock()
	m, inGroup := r.resolve(ev.Node, ev.Shard)
	if !inGroup {
		m = member{name: TruncateArg(ev.Node, maxFieldLen)}
	}
	ev.Node, ev.Shard = m.name, m.shard
	switch {
	case ev.Raw != "":
	case inGroup:
		r.labelled[m] = true
		r.events.WithLabelValues(m.name, m.shard, ev.Level, ev.Event).Inc()
	default:
		r.outside.WithLabelValues(kindEngine).Inc()
	}
	r.eventHistory.add(ev)
}

// recordMissed adds n entries lost before they could be read; 0 still
// exports the series from the first read on, so alerts on increase() work.
func (r *Recorder) recordMissed(node, shard string, n int64) {
	r.mu.Lock()
	defer r.mu.Unlock()
	m, ok := r.resolve(node, shard)
	if !ok {
		return
	}
	r.labelled[m] = true
	c := r.missed.WithLabelValues(m.name, m.shard)
	if n > 0 {
		c.Add(float64(n))
	}
}
