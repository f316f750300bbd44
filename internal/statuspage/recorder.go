package statuspage

import (
	"context"
	"slices"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/elasticache-exporter/elasticache-exporter/internal/alarms"
	"github.com/elasticache-exporter/elasticache-exporter/internal/collect"
	"github.com/elasticache-exporter/elasticache-exporter/internal/redisinfo"
	"github.com/elasticache-exporter/elasticache-exporter/internal/topology"
)

// Bounds of what the recorder keeps between rounds.
const (
	// counterHistoryAge is how far back the per-node counter samples
	// reach: the longest window an alarm counts over (alarms.window is
	// at most config's limit; beyond it the increase is over what is kept).
	counterHistoryAge = 30 * time.Minute
	// counterHistoryMax bounds the samples per node (at 1,500 nodes and a
	// 15 s interval, 120 samples of 32 bytes are 5.8 MB at most).
	counterHistoryMax = 120
	maxErrorBytes     = 200
)

// Recorder keeps what the status page shows of the newest scrape round.
// It is a collect.Collector that sends no series: Update reads the
// round's node reads (INFO, already in memory) and never talks to a node.
// Safe for concurrent use.
type Recorder struct {
	alarms func() []alarms.Alarm
	// now is the clock; tests replace it.
	now func() time.Time

	mu sync.Mutex
	// counters are each node's cumulative counters over time, for the
	// rates and increases the CPU, evictions and rejected-connections
	// rules take.
	counters map[string][]counterSample
	// offsets are each shard's primary replication offsets over time,
	// for a replica's lag in seconds.
	offsets   map[string]*collect.OffsetHistory
	primaryOf map[string]string
	failovers map[string]int
	// overSince is when each node's alarm condition was first seen true
	// (key: node + "\x00" + alarm + "\x00" + condition).
	overSince  map[string]time.Time
	collectors map[string]CollectorResult
	// lastRole is the role each node reported when it last answered, so
	// that a node that stopped answering (the dead old primary after a
	// failover) is shown with its last known role, said to be that.
	lastRole map[string]roleSeen

	snap atomic.Pointer[Snapshot]

	// secrets are replaced in every error text kept: currentSecrets and
	// the ones before them (SetSecrets).
	secrets        atomic.Pointer[[]string]
	currentSecrets []string
}

// redactedSecret replaces a secret in the error texts the page shows.
const redactedSecret = "[REDACTED]"

// SetSecrets names the credentials (the Redis AUTH token) that must never
// appear on the page: a node's error reply is its own text, and one that
// echoes what it was sent would otherwise carry the token there. The
// previous call's secrets are kept too, for rounds still using the
// credentials a reload replaced.
func (r *Recorder) SetSecrets(secrets ...string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	previous := r.currentSecrets
	r.currentSecrets = nil
	for _, s := range secrets {
		if s != "" {
			r.currentSecrets = append(r.currentSecrets, s)
		}
	}
	all := slices.Clone(r.currentSecrets)
	for _, s := range previous {
		if !slices.Contains(all, s) {
			all = append(all, s)
		}
	}
	r.secrets.Store(&all)
}

// errorText is an error as the page keeps it: the secrets replaced, then
// bounded (valid UTF-8, no control characters).
func (r *Recorder) errorText(err string) string {
	if p := r.secrets.Load(); p != nil {
		for _, s := range *p {
			err = strings.ReplaceAll(err, s, redactedSecret)
		}
	}
	return boundedText(err, maxErrorBytes)
}

// NewRecorder returns a recorder; defs returns the alarms with the
// configured thresholds and windows (it follows reloads).
func NewRecorder(defs func() []alarms.Alarm) *Recorder {
	return &Recorder{alarms: defs, now: time.Now, counters: map[string][]counterSample{}, offsets: map[string]*collect.OffsetHistory{},
		primaryOf: map[string]string{}, failovers: map[string]int{}, overSince: map[string]time.Time{},
		collectors: map[string]CollectorResult{}, lastRole: map[string]roleSeen{}}
}

var _ collect.Collector = (*Recorder)(nil)

// Name implements collect.Collector.
func (r *Recorder) Name() string { return "status" }

// Snapshot is one round as the status page shows it. It is never modified
// once published.
type Snapshot struct {
	// At is when the round read its nodes.
	At    time.Time
	Mode  topology.Mode
	Nodes []NodeReading
	// Failovers counts, per shard, the primary changes scrapes have seen
	// since the exporter started.
	Failovers map[string]int
	// RoundError is the built-in redis collector's failure in this round
	// ("" when at least one node answered).
	RoundError string
}

// NodeReading is one node in one round.
type NodeReading struct {
	Node topology.Node
	Up   bool
	// Error is why the node did not answer (bounded, valid UTF-8).
	Error string
	// Role is what the node said in this round (RoleFrom RoleFromNode);
	// when it did not answer, what it said when it last did
	// (RoleFromLastSeen, at RoleSeenAt), or else discovery's
	// (RoleFromDiscovery).
	Role       topology.Role
	RoleFrom   string
	RoleSeenAt time.Time
	// Replica side: the link to the primary and how far behind it is.
	LinkStatus      string
	LinkDownSeconds float64
	HasLag          bool
	LagBytes        float64
	LagSeconds      float64
	UsedMemory      float64
	MaxMemory       float64
	Clients         float64
	HasClients      bool
	// Alarms holds one reading per alarm, in the order of the recorder's
	// alarm definitions.
	Alarms []AlarmReading
	ReadAt time.Time
}

// AlarmReading is one alarm's condition on one node, as the exporter's own
// Prometheus rule would evaluate it on this round's values.
type AlarmReading struct {
	Alarm string
	// Has is false when the node gives no value (down, a primary for the
	// replication alarm, no maxmemory, or the first sample of a rate).
	Has   bool
	Value float64
	// Condition is the rule that is over (lag, link_down, clients,
	// rejected), or the one whose value is shown.
	Condition string
	Over      bool
	// OverSince is when the condition was first seen true in a row of
	// rounds; Firing when it has held for the rule's `for`.
	OverSince time.Time
	For       time.Duration
	Firing    bool
}

// Where a node's role comes from.
const (
	RoleFromNode      = "node"
	RoleFromLastSeen  = "last_seen"
	RoleFromDiscovery = "discovery"
)

type roleSeen struct {
	role topology.Role
	at   time.Time
}

// CollectorResult is a collector's outcome in the newest round it ran in.
type CollectorResult struct {
	Name     string
	OK       bool
	Error    string
	At       time.Time
	Duration time.Duration
}

// Snapshot returns the newest round's snapshot (nil before the first).
func (r *Recorder) Snapshot() *Snapshot { return r.snap.Load() }

// Collectors returns every watched collector's newest result, by name.
func (r *Recorder) Collectors() []CollectorResult {
	r.mu.Lock()
	out := make([]CollectorResult, 0, len(r.collectors))
	for _, c := range r.collectors {
		out = append(out, c)
	}
	r.mu.Unlock()
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

// Update implements collect.Collector: it keeps the round's readings.
func (r *Recorder) Update(_ context.Context, in *collect.Input, _ chan<- prometheus.Metric) error {
	if in == nil || in.Topology == nil {
		return nil
	}
	var defs []alarms.Alarm
	if r.alarms != nil {
		defs = r.alarms()
	}
	now := r.now()
	snap := &Snapshot{At: now, Mode: in.Topology.Mode, Nodes: make([]NodeReading, len(in.Nodes)), Failovers: map[string]int{}}
	up := 0
	r.mu.Lock()
	defer r.mu.Unlock()
	byShard := map[string][]int{}
	for i := range in.Nodes {
		read := &in.Nodes[i]
		n := NodeReading{Node: read.Node, Up: read.Up(), Role: read.Role(), ReadAt: read.ReadAt}
		if n.ReadAt.IsZero() {
			n.ReadAt = now
		}
		if n.Up {
			up++
			n.UsedMemory, _ = read.Info.Float("used_memory")
			n.MaxMemory, _ = read.Info.Float("maxmemory")
			n.Clients, n.HasClients = read.Info.Float("connected_clients")
			r.counters[read.Node.Name] = appendCounter(r.counters[read.Node.Name], counterFrom(read.Info, n.ReadAt))
		} else {
			n.Error = r.errorText(read.Err.Error())
		}
		r.role(read, &n)
		snap.Nodes[i] = n
		byShard[read.Node.Shard] = append(byShard[read.Node.Shard], i)
	}
	r.replication(in.Nodes, snap, byShard)
	for i := range snap.Nodes {
		snap.Nodes[i].Alarms = r.evaluate(defs, &snap.Nodes[i], now)
	}
	r.forget(in.Topology)
	if up == 0 && len(in.Nodes) > 0 {
		snap.RoundError = "none of the nodes answered"
	}
	r.snap.Store(snap)
	return nil
}

// role says where n's role comes from and, for a node that did not
// report one this round, uses the one it last reported. Caller holds r.mu.
func (r *Recorder) role(read *collect.NodeRead, n *NodeReading) {
	if n.Up {
		switch read.Info.Role() {
		case "master", "slave":
			n.RoleFrom = RoleFromNode
			r.lastRole[read.Node.Name] = roleSeen{role: n.Role, at: n.ReadAt}
			return
		}
	}
	if seen, ok := r.lastRole[read.Node.Name]; ok {
		n.Role, n.RoleFrom, n.RoleSeenAt = seen.role, RoleFromLastSeen, seen.at
		return
	}
	n.RoleFrom = RoleFromDiscovery
}

// replication fills the replicas' link and lag, and counts failovers. It
// follows what the redis collector exports: lag only while the link is up,
// bytes as the primary's offset minus the replica's in the same round.
func (r *Recorder) replication(reads []collect.NodeRead, snap *Snapshot, byShard map[string][]int) {
	for shard, idx := range byShard {
		var primary *collect.NodeRead
		best := -1.0
		for _, i := range idx {
			read := &reads[i]
			if !read.Up() || read.Role() != topology.RolePrimary {
				continue
			}
			if n, _ := read.Info.Float("connected_slaves"); n > best {
				primary, best = read, n
			}
		}
		if primary != nil {
			if last := r.primaryOf[shard]; last != "" && last != primary.Node.Name {
				r.failovers[shard]++
				delete(r.offsets, shard)
			}
			r.primaryOf[shard] = primary.Node.Name
			if off, ok := primary.Info.Float("master_repl_offset"); ok {
				h := r.offsets[shard]
				if h == nil {
					h = &collect.OffsetHistory{}
					r.offsets[shard] = h
				}
				h.Add(primary.ReadAt, int64(off))
			}
		}
		snap.Failovers[shard] = r.failovers[shard]
		for _, i := range idx {
			read, n := &reads[i], &snap.Nodes[i]
			if !read.Up() || read.Role() != topology.RoleReplica {
				continue
			}
			n.LinkStatus = boundedText(read.Info.Fields["master_link_status"], 16)
			if n.LinkStatus != "up" {
				n.LinkDownSeconds, _ = read.Info.Float("master_link_down_since_seconds")
				continue
			}
			off, ok := read.Info.Float("slave_repl_offset")
			if primary == nil || !ok {
				continue
			}
			primaryOffset, _ := primary.Info.Float("master_repl_offset")
			n.HasLag, n.LagBytes = true, max(0, primaryOffset-off)
			if h := r.offsets[shard]; h != nil {
				n.LagSeconds = h.LagSeconds(int64(off), read.ReadAt)
			}
		}
	}
}

// forget drops the state of nodes and shards no longer in the topology.
func (r *Recorder) forget(t *topology.Topology) {
	nodes := make(map[string]bool, len(t.Nodes))
	shards := map[string]bool{}
	for _, n := range t.Nodes {
		nodes[n.Name], shards[n.Shard] = true, true
	}
	for k := range r.counters {
		if !nodes[k] {
			delete(r.counters, k)
		}
	}
	for k := range r.lastRole {
		if !nodes[k] {
			delete(r.lastRole, k)
		}
	}
	for k := range r.overSince {
		if node, _, _ := cutNUL(k); !nodes[node] {
			delete(r.overSince, k)
		}
	}
	for k := range r.primaryOf {
		if !shards[k] {
			delete(r.primaryOf, k)
			delete(r.failovers, k)
		}
	}
	for k := range r.failovers {
		if !shards[k] {
			delete(r.failovers, k)
		}
	}
	for k := range r.offsets {
		if !shards[k] {
			delete(r.offsets, k)
		}
	}
}

func cutNUL(s string) (before, after string, ok bool) {
	for i := 0; i < len(s); i++ {
		if s[i] == 0 {
			return s[:i], s[i+1:], true
		}
	}
	return s, "", false
}

// counterSample is a node's cumulative counters at one read.
type counterSample struct {
	at                  time.Time
	cpuSeconds          float64 // main thread, sys + user
	hasCPU              bool
	evicted, rejected   float64
	hasEvicted, hasRejd bool
}

func counterFrom(info redisinfo.Info, at time.Time) counterSample {
	s := counterSample{at: at}
	sys, ok1 := info.Float("used_cpu_sys_main_thread")
	user, ok2 := info.Float("used_cpu_user_main_thread")
	s.cpuSeconds, s.hasCPU = sys+user, ok1 && ok2
	s.evicted, s.hasEvicted = info.Float("evicted_keys")
	s.rejected, s.hasRejd = info.Float("rejected_connections")
	return s
}

func appendCounter(h []counterSample, s counterSample) []counterSample {
	if n := len(h); n > 0 && !s.at.After(h[n-1].at) {
		return h
	}
	h = append(h, s)
	cut := 0
	for cut < len(h)-1 && (len(h)-cut > counterHistoryMax || s.at.Sub(h[cut].at) > counterHistoryAge) {
		cut++
	}
	if cut > 0 {
		h = append(h[:0:0], h[cut:]...)
	}
	return h
}

// since returns the oldest sample no older than window before the newest
// one, or the one just before the newest when none is (a window shorter
// than the scrape interval), and false with fewer than two samples.
func since(h []counterSample, window time.Duration) (counterSample, bool) {
	if len(h) < 2 {
		return counterSample{}, false
	}
	last := h[len(h)-1]
	i := sort.Search(len(h), func(i int) bool { return last.at.Sub(h[i].at) <= window })
	if i >= len(h)-1 {
		i = len(h) - 2
	}
	return h[i], true
}
