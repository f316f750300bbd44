package slowlog

import (
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

// newest returns up to limit items that keep reports true, newest first.
func (r *ring[T]) newest(limit int, keep func(*T) bool) []T {
	r.mu.Lock()
	defer r.mu.Unlock()
	n := r.next
	if r.full {
		n = len(r.items)
	}
	out := make([]T, 0, min(limit, n))
	for i := 0; i < n && len(out) < limit; i++ {
		idx := (r.next - 1 - i + len(r.items)) % len(r.items)
		if keep(&r.items[idx]) {
			out = append(out, r.items[idx])
		}
	}
	return out
}

// EngineEvent is one engine log line as the exporter keeps it.
type EngineEvent struct {
	Node        string    `json:"node"`
	CacheNodeID string    `json:"cache_node_id,omitempty"`
	Time        time.Time `json:"time"`
	Level       string    `json:"level"`
	Role        string    `json:"role,omitempty"`
	Event       string    `json:"event"`
	Message     string    `json:"message,omitempty"`
	// Raw holds a line that parsed in neither format.
	Raw string `json:"raw,omitempty"`
}

// maxRawLen bounds what an unparsed line keeps in the history.
const maxRawLen = 1024
