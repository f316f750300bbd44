package slowlog

import (
	"sort"
	"sync"
	"time"
)

// ring is a bounded buffer that forgets its oldest item when full.
type ring[T any] struct {
	mu    sync.Mutex
	items []T
	next  int // where the next item goes
	full  bool
}

func newRing[T any](size int) *ring[T] {
	return &ring[T]{items: make([]T, max(size, 1))}
}

func (r *ring[T]) add(v T) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.items[r.next] = v
	r.next++
	if r.next == len(r.items) {
		r.next, r.full = 0, true
	}
}

// matching returns the items keep reports true for, most recently added
// first.
func (r *ring[T]) matching(keep func(*T) bool) []T {
	r.mu.Lock()
	defer r.mu.Unlock()
	n := r.next
	if r.full {
		n = len(r.items)
	}
	var out []T
	for i := 0; i < n; i++ {
		idx := (r.next - 1 - i + len(r.items)) % len(r.items)
		if keep(&r.items[idx]) {
			out = append(out, r.items[idx])
		}
	}
	return out
}

// newestFirst orders items by their own time, newest first, and keeps at
// most limit. Items arrive in any time order (two sources, many nodes, log
// lines delivered late); among equal times the one added last comes first.
func newestFirst[T any](items []T, at func(*T) time.Time, limit int) []T {
	sort.SliceStable(items, func(i, j int) bool { return at(&items[i]).After(at(&items[j])) })
	if len(items) > limit {
		items = items[:limit]
	}
	if items == nil {
		items = []T{}
	}
	return items
}

// EngineEvent is one engine log line as the exporter keeps it.
type EngineEvent struct {
	Node        string    `json:"node"`
	Shard       string    `json:"shard,omitempty"`
	CacheNodeID string    `json:"cache_node_id,omitempty"`
	Time        time.Time `json:"time"`
	Level       string    `json:"level"`
	Role        string    `json:"role,omitempty"`
	Event       string    `json:"event"`
	Message     string    `json:"message,omitempty"`
	// Raw holds a line that parsed in neither format.
	Raw string `json:"raw,omitempty"`
	// The fields below are set on a failover the exporter measured
	// (RecordFailover) and on nothing else: Source says where its start
	// came from (SourceScrape or SourceEngineLog), DurationSeconds is the
	// measured duration, Node the new primary.
	Source          string  `json:"source,omitempty"`
	DurationSeconds float64 `json:"duration_seconds,omitempty"`
	OldPrimary      string  `json:"old_primary,omitempty"`
	NewPrimary      string  `json:"new_primary,omitempty"`
}

// SlowQuery selects recent slow entries; empty fields match everything.
type SlowQuery struct {
	Node string
	// Cmd is a value of CommandLabel.
	Cmd   string
	Limit int
}

// EventQuery selects recent engine events; empty fields match everything.
type EventQuery struct {
	Node string
	// Event is one of EngineEvents.
	Event string
	Limit int
}

// RecentSlow returns up to q.Limit slow entries of both sources, newest
// first by the entry's own time (the node's SLOWLOG timestamp or the
// delivered line's), across nodes. The history keeps the last
// slowlog.history_size entries recorded, in the order they were read.
func (r *Recorder) RecentSlow(q SlowQuery) []SlowEntry {
	items := r.slowHistory.matching(func(e *SlowEntry) bool {
		return (q.Node == "" || e.Node == q.Node) && (q.Cmd == "" || e.Cmd == q.Cmd)
	})
	return newestFirst(items, func(e *SlowEntry) time.Time { return e.Time }, max(q.Limit, 0))
}

// RecentEvents returns up to q.Limit engine events, newest first by the
// line's own time, across nodes.
func (r *Recorder) RecentEvents(q EventQuery) []EngineEvent {
	items := r.eventHistory.matching(func(e *EngineEvent) bool {
		return (q.Node == "" || e.Node == q.Node) && (q.Event == "" || e.Event == q.Event)
	})
	return newestFirst(items, func(e *EngineEvent) time.Time { return e.Time }, max(q.Limit, 0))
}
