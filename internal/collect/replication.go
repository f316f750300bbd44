package collect

import (
	"sort"
	"sync"
	"time"

	"github.com/elasticache-exporter/elasticache-exporter/internal/topology"
)

// offsetSample is a primary's replication offset as read at one moment.
type offsetSample struct {
	at     time.Time
	offset int64
}

const (
	offsetHistoryMax = 256
	offsetHistoryAge = 30 * time.Minute
)

// replicationState is what the exporter remembers between scrapes about
// each shard: its last primary (to count failovers) and the primary's
// offsets over time (to turn a replica's offset into seconds behind).
type replicationState struct {
	mu        sync.Mutex
	primaryOf map[string]string
	failovers map[string]float64
	history   map[string][]offsetSample
	// linkDownSeen is when a scrape first saw a replica's link down, for
	// when Redis itself reports no time.
	linkDownSeen map[string]time.Time
	// failover measures each failover's duration (failover.go); signals,
	// when set, lists the engine-log failover lines.
	failover *failoverTracker
	signals  func() []FailoverSignal
}

func newReplicationState() *replicationState {
	return &replicationState{primaryOf: map[string]string{}, failovers: map[string]float64{}, history: map[string][]offsetSample{},
		linkDownSeen: map[string]time.Time{}, failover: newFailoverTracker(DefaultFailoverMaxWait)}
}

// replicationView is one scrape's replication picture.
type replicationView struct {
	lagBytes   map[string]float64 // by replica node name
	lagSeconds map[string]float64
	// linkDownSeconds is how long each replica whose link is down has been so.
	linkDownSeconds map[string]float64
	failovers       map[string]float64 // by shard, cumulative
	roleMismatch    bool               // a scrape saw roles discovery does not know: rediscover
	// measured are the failovers this round completed; failoverStats the
	// duration histogram of every shard seen.
	measured      []Failover
	failoverStats map[string]failoverStats
}

// observe updates the state with one scrape's results.
func (s *replicationState) observe(reads []NodeRead) replicationView {
	s.mu.Lock()
	defer s.mu.Unlock()
	view := replicationView{lagBytes: map[string]float64{}, lagSeconds: map[string]float64{}, linkDownSeconds: map[string]float64{},
		failovers: map[string]float64{}, failoverStats: map[string]failoverStats{}}
	byShard := map[string][]*NodeRead{}
	for i := range reads {
		r := &reads[i]
		byShard[r.Node.Shard] = append(byShard[r.Node.Shard], r)
		if r.Up() && r.Node.Role != "" && r.Role() != r.Node.Role {
			view.roleMismatch = true
		}
	}
	signals := s.roundSignals()
	for shard, rs := range byShard {
		if _, ok := s.failovers[shard]; !ok {
			s.failovers[shard] = 0
		}
		if f, ok := s.failover.observe(shard, rs, signals); ok {
			view.measured = append(view.measured, f)
		}
		primary := pickPrimary(rs)
		if primary != nil {
			if last := s.primaryOf[shard]; last != "" && last != primary.Node.Name {
				s.failovers[shard]++
				delete(s.history, shard) // offsets of the old primary mean nothing now
			}
			s.primaryOf[shard] = primary.Node.Name
			if off, ok := primary.Info.Float("master_repl_offset"); ok {
				s.history[shard] = appendSample(s.history[shard], offsetSample{primary.ReadAt, int64(off)})
			}
		}
		for _, r := range rs {
			if !r.Up() || r.Role() != topology.RoleReplica {
				continue
			}
			linkUp := r.Info.Fields["master_link_status"] == "up"
			replicaOffset, hasOffset := r.Info.Float("slave_repl_offset")
			if primary != nil && hasOffset && linkUp {
				primaryOffset, _ := primary.Info.Float("master_repl_offset")
				view.lagBytes[r.Node.Name] = max(0, primaryOffset-replicaOffset)
				view.lagSeconds[r.Node.Name] = lagSeconds(s.history[shard], int64(replicaOffset), r.ReadAt)
			}
			if linkUp {
				delete(s.linkDownSeen, r.Node.Name)
				continue
			}
			seen, ok := s.linkDownSeen[r.Node.Name]
			if !ok {
				seen = r.ReadAt
				s.linkDownSeen[r.Node.Name] = seen
			}
			down := r.ReadAt.Sub(seen).Seconds()
			if v, ok := r.Info.Float("master_link_down_since_seconds"); ok && v > down {
				down = v
			}
			view.linkDownSeconds[r.Node.Name] = down
			view.lagSeconds[r.Node.Name] = down
		}
	}
	s.forget(reads, byShard)
	for k, v := range s.failovers {
		view.failovers[k] = v
	}
	for k, st := range s.failover.shards {
		view.failoverStats[k] = st.stats()
	}
	return view
}

// roundSignals reads the engine-log failover lines at most once in a
// round, when the first shard completes a failover: a cluster whose
// primaries all change in one round (or flap every round) would otherwise
// scan the history once per shard.
func (s *replicationState) roundSignals() func() []FailoverSignal {
	if s.signals == nil {
		return nil
	}
	var (
		lines []FailoverSignal
		read  bool
	)
	return func() []FailoverSignal {
		if !read {
			lines, read = s.signals(), true
		}
		return lines
	}
}

// forget drops what is kept of shards and nodes not in this round: the
// round reads every node of the topology, and a shard is named by its
// lowest slot range, so resharding (or a cluster announcing new ranges
// every round) would otherwise keep, and export, every name ever seen. A
// round without nodes (no topology yet) forgets nothing.
func (s *replicationState) forget(reads []NodeRead, byShard map[string][]*NodeRead) {
	if len(reads) == 0 {
		return
	}
	for shard := range s.failovers {
		if _, ok := byShard[shard]; !ok {
			delete(s.failovers, shard)
			delete(s.primaryOf, shard)
			delete(s.history, shard)
			delete(s.failover.shards, shard)
		}
	}
	for shard := range s.failover.shards {
		if _, ok := byShard[shard]; !ok {
			delete(s.failover.shards, shard)
		}
	}
	if len(s.linkDownSeen) == 0 {
		return
	}
	nodes := make(map[string]bool, len(reads))
	for i := range reads {
		nodes[reads[i].Node.Name] = true
	}
	for name := range s.linkDownSeen {
		if !nodes[name] {
			delete(s.linkDownSeen, name)
		}
	}
}

// pickPrimary returns the node of a shard that reports role:master. While
// two do (during a manual failover), the one with replicas wins.
func pickPrimary(rs []*NodeRead) *NodeRead {
	var best *NodeRead
	bestReplicas := -1.0
	for _, r := range rs {
		if !r.Up() || r.Role() != topology.RolePrimary {
			continue
		}
		n, _ := r.Info.Float("connected_slaves")
		if n > bestReplicas {
			best, bestReplicas = r, n
		}
	}
	return best
}

func appendSample(h []offsetSample, s offsetSample) []offsetSample {
	if n := len(h); n > 0 && s.offset < h[n-1].offset {
		h = nil // offsets went back: a new replication history
	}
	h = append(h, s)
	cut := 0
	for cut < len(h)-1 && (len(h)-cut > offsetHistoryMax || s.at.Sub(h[cut].at) > offsetHistoryAge) {
		cut++
	}
	return h[cut:]
}

// lagSeconds answers "how long ago was the primary where this replica is
// now": the crossing time is interpolated linearly between the two
// samples around the replica's offset. Older than the history reaches, it
// returns the history's age, a lower bound.
func lagSeconds(h []offsetSample, replicaOffset int64, at time.Time) float64 {
	if len(h) == 0 || replicaOffset >= h[len(h)-1].offset {
		return 0
	}
	i := sort.Search(len(h), func(i int) bool { return h[i].offset > replicaOffset })
	if i == 0 {
		return max(0, at.Sub(h[0].at).Seconds())
	}
	prev, next := h[i-1], h[i]
	frac := float64(replicaOffset-prev.offset) / float64(next.offset-prev.offset)
	crossed := prev.at.Add(time.Duration(frac * float64(next.at.Sub(prev.at))))
	return max(0, at.Sub(crossed).Seconds())
}
