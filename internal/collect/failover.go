package collect

import (
	"context"
	"strconv"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/elasticache-exporter/elasticache-exporter/internal/redisinfo"
	"github.com/elasticache-exporter/elasticache-exporter/internal/topology"
)

// Where a measured failover's start came from.
const (
	// FailoverSourceScrape: the last round that saw the old primary
	// accept writes.
	FailoverSourceScrape = "scrape"
	// FailoverSourceEngineLog: an engine-log line classified as a failover
	// (slowlog.EventFailover), when one lies between that round and the
	// first round that saw the old primary fail.
	FailoverSourceEngineLog = "engine-log"
)

// DefaultFailoverMaxWait bounds how long a failover waits for the new
// primary's replicas to link before it is recorded anyway, as a lower
// bound: the top bucket of elasticache_exporter_failover_duration_seconds.
const DefaultFailoverMaxWait = 10 * time.Minute

// failoverBuckets span 1 s to 10 min: a manual failover with nothing to
// sync takes a second or two, ElastiCache's automatic one 60–90 s, one
// that waits for a node to be replaced several minutes.
var failoverBuckets = []float64{1, 2, 5, 10, 15, 20, 30, 45, 60, 90, 120, 180, 300, 600}

var (
	failoverDurationDesc = prometheus.NewDesc("elasticache_exporter_failover_duration_seconds",
		"Duration of each failover the exporter's scrapes saw, by shard: from the last scrape that saw the old primary accept writes (or the engine-log line that the failover started, when it lies in between) to the first scrape where the new primary accepted writes and every replica that answered was linked to it. Accurate to one scrape interval.", []string{"shard"}, nil)
	lastFailoverDesc = prometheus.NewDesc("elasticache_exporter_last_failover_timestamp_seconds",
		"When the last measured failover of the shard ended (the first scrape that saw the new primary healthy), as a Unix time; absent before the first one since the exporter started.", []string{"shard"}, nil)
)

// Failover is one failover the exporter measured: from Start (the last
// round that saw OldPrimary accept writes, or the engine-log line that
// says the failover started) to End (the first round where NewPrimary
// accepted writes and every replica that answered was linked to it).
type Failover struct {
	Shard      string
	OldPrimary string
	NewPrimary string
	Start      time.Time
	End        time.Time
	Duration   time.Duration
	// Source is FailoverSourceScrape or FailoverSourceEngineLog: where
	// Start came from.
	Source string
	// Unlinked: a replica that answers was still not linked to the new
	// primary when MaxWait ran out; Duration is a lower bound.
	Unlinked bool
}

// FailoverSignal is an engine-log line of a shard classified as a failover
// (slowlog.EventFailover), with the line's own time.
type FailoverSignal struct {
	Shard string
	Node  string
	Time  time.Time
}

// failoverTracker measures failovers from successive rounds, per shard. It
// is pure: rounds come in through observe, engine-log lines through the
// signals function, and it keeps the histogram it exports.
//
// What a read-only exporter can see of "the new primary accepts writes":
// the node answers INFO, reports role:master, is not loading a dataset
// (loading:0) and is not in the middle of a FAILOVER command
// (master_failover_state absent or no-failover, Redis 6.2+). A refusal of
// writes by min-replicas-to-write is not visible in INFO (only
// min_slaves_good_slaves is, without the threshold), so it is not taken
// into account. "Its replicas are linked": every other node of the shard
// that answered reports role:slave with master_link_status:up, and the
// primary lists at least that many replicas with state=online. A node that
// does not answer (the dead old primary) is not waited for.
type failoverTracker struct {
	maxWait time.Duration
	shards  map[string]*shardFailover
}

// shardFailover is one shard's measuring state and its histogram.
type shardFailover struct {
	// primary is the node that last accepted writes as the shard's only
	// primary, healthyAt the time of the last read that saw it do so.
	primary   string
	healthyAt time.Time
	// failingSince is the first round that saw primary no longer accept
	// writes; zero while it does.
	failingSince time.Time

	buckets []uint64 // per failoverBuckets, not cumulative
	count   uint64
	sum     float64
	last    time.Time // End of the last measured failover
}

func newFailoverTracker(maxWait time.Duration) *failoverTracker {
	if maxWait <= 0 {
		maxWait = DefaultFailoverMaxWait
	}
	return &failoverTracker{maxWait: maxWait, shards: map[string]*shardFailover{}}
}

// observe takes one round's reads of one shard and returns the failover it
// completes, if any. signals is called only when a failover completes.
func (t *failoverTracker) observe(shard string, reads []*NodeRead, signals func() []FailoverSignal) (Failover, bool) {
	st := t.shards[shard]
	if st == nil {
		st = &shardFailover{buckets: make([]uint64, len(failoverBuckets))}
		t.shards[shard] = st
	}
	// The round's time is its last answer: a node that does not answer
	// may take its dial retries to say so, which says nothing about the
	// others.
	var now time.Time
	for _, r := range reads {
		if r.Up() && r.ReadAt.After(now) {
			now = r.ReadAt
		}
	}
	for _, r := range reads {
		if now.IsZero() && !r.ReadAt.IsZero() {
			now = r.ReadAt // no node answered
		}
	}
	primary := writablePrimary(reads)
	if primary != nil && primary.Node.Name == st.primary {
		// Still, or again (a flap), the same primary: no failover.
		st.healthyAt, st.failingSince = primary.ReadAt, time.Time{}
		return Failover{}, false
	}
	linked := primary != nil && replicasLinked(primary, reads)
	if st.primary == "" {
		// Nothing known yet (the exporter just started, perhaps in the
		// middle of a failover it cannot measure): the first healthy
		// primary is where measuring starts.
		if linked {
			st.primary, st.healthyAt = primary.Node.Name, primary.ReadAt
		}
		return Failover{}, false
	}
	if st.failingSince.IsZero() {
		st.failingSince = now
	}
	waited := now.Sub(st.healthyAt)
	if !linked && (primary == nil || waited < t.maxWait) {
		return Failover{}, false
	}
	f := Failover{Shard: shard, OldPrimary: st.primary, NewPrimary: primary.Node.Name, Start: st.healthyAt,
		End: now, Source: FailoverSourceScrape, Unlinked: !linked}
	if signals != nil {
		if at, ok := engineLogStart(shard, st.healthyAt, st.failingSince, signals()); ok {
			f.Start, f.Source = at, FailoverSourceEngineLog
		}
	}
	f.Duration = f.End.Sub(f.Start)
	st.primary, st.healthyAt, st.failingSince = primary.Node.Name, primary.ReadAt, time.Time{}
	if f.Duration < 0 {
		// The clock went back between the two reads: there is nothing to
		// measure; the new primary is where the next measurement starts.
		return Failover{}, false
	}
	st.record(f)
	return f, true
}

// engineLogStart returns the earliest engine-log failover line of shard
// after the last healthy read and no later than the first failing round:
// the only window where the failover can have started, so a line there
// narrows the measurement and a line elsewhere (the promotion itself, an
// older failover) is not taken.
func engineLogStart(shard string, healthyAt, failingSince time.Time, signals []FailoverSignal) (time.Time, bool) {
	var best time.Time
	for _, s := range signals {
		if s.Shard != shard || !s.Time.After(healthyAt) || s.Time.After(failingSince) {
			continue
		}
		if best.IsZero() || s.Time.Before(best) {
			best = s.Time
		}
	}
	return best, !best.IsZero()
}

func (st *shardFailover) record(f Failover) {
	secs := f.Duration.Seconds()
	for i, b := range failoverBuckets {
		if secs <= b {
			st.buckets[i]++
			break
		}
	}
	st.count++
	st.sum += secs
	st.last = f.End
}

// failoverStats is a copy of one shard's histogram for a round's series.
type failoverStats struct {
	buckets map[float64]uint64 // cumulative, as Prometheus wants them
	count   uint64
	sum     float64
	last    time.Time // zero before the first measured failover
}

func (st *shardFailover) stats() failoverStats {
	out := failoverStats{buckets: make(map[float64]uint64, len(failoverBuckets)), count: st.count, sum: st.sum, last: st.last}
	var n uint64
	for i, b := range failoverBuckets {
		n += st.buckets[i]
		out.buckets[b] = n
	}
	return out
}

// writablePrimary returns the shard's only node reporting role:master when
// it accepts writes as far as INFO shows; nil when none or several do.
func writablePrimary(reads []*NodeRead) *NodeRead {
	var primary *NodeRead
	for _, r := range reads {
		if !r.Up() || r.Info.Role() != "master" {
			continue
		}
		if primary != nil {
			return nil // two primaries: the failover is not over
		}
		primary = r
	}
	if primary == nil || primary.Info.Fields["loading"] == "1" {
		return nil
	}
	if s := primary.Info.Fields["master_failover_state"]; s != "" && s != "no-failover" {
		return nil
	}
	return primary
}

// replicasLinked reports whether every other node of the shard that
// answered is a replica with its link up, and the primary lists at least
// that many replicas online.
func replicasLinked(primary *NodeRead, reads []*NodeRead) bool {
	want := 0
	for _, r := range reads {
		if r == primary || !r.Up() {
			continue
		}
		if r.Info.Role() != "slave" || r.Info.Fields["master_link_status"] != "up" {
			return false
		}
		want++
	}
	return onlineReplicas(primary.Info) >= want
}

// onlineReplicas counts the slave<N> lines of INFO replication with
// state=online; connected_slaves says how many there are, bounded by the
// fields the reply has.
func onlineReplicas(info redisinfo.Info) int {
	n, ok := info.Float("connected_slaves")
	if !ok || n < 0 {
		return 0
	}
	n = min(n, float64(len(info.Fields)))
	online := 0
	for i := range int(n) {
		v, ok := info.Fields["slave"+strconv.Itoa(i)]
		if !ok {
			continue
		}
		if line, err := redisinfo.ParseReplicaLine(v); err == nil && line.State == "online" {
			online++
		}
	}
	return online
}

// FailoverWatch measures the failovers of the shards it is shown, by the
// same rules as the rounds; `exporter failover test` drives it with its
// own reads.
type FailoverWatch struct{ tracker *failoverTracker }

// NewFailoverWatch returns a watch that waits at most maxWait for the
// replicas to link (0: DefaultFailoverMaxWait).
func NewFailoverWatch(maxWait time.Duration) *FailoverWatch {
	return &FailoverWatch{tracker: newFailoverTracker(maxWait)}
}

// Observe takes one read of every node of a shard and returns the failover
// it completes, if any; signals may be nil.
func (w *FailoverWatch) Observe(shard string, reads []NodeRead, signals func() []FailoverSignal) (Failover, bool) {
	rs := make([]*NodeRead, len(reads))
	for i := range reads {
		rs[i] = &reads[i]
	}
	return w.tracker.observe(shard, rs, signals)
}

// Primary is the node the watch last saw accepting writes as the shard's
// primary ("" before it first saw the shard healthy), and whether that
// primary is failing now.
func (w *FailoverWatch) Primary(shard string) (name string, failing bool) {
	st := w.tracker.shards[shard]
	if st == nil {
		return "", false
	}
	return st.primary, !st.failingSince.IsZero()
}

// ReadNodes reads INFO from each node once, concurrently, with no latency
// reads: what the failover rules need, for a one-off command.
func ReadNodes(ctx context.Context, clients topology.ClientSource, nodes []topology.Node, cluster bool) []NodeRead {
	legacy := &legacyInfo{latency: func() LatencyPolicy { return LatencyPolicy{} }}
	out := make([]NodeRead, len(nodes))
	var wg sync.WaitGroup
	for i, n := range nodes {
		wg.Go(func() { out[i] = readNode(ctx, clients.Client(n.Addr, n.ServerName), n, cluster, legacy) })
	}
	wg.Wait()
	return out
}
