package main

import (
	"os"
	"runtime"
	"runtime/debug"
	"runtime/metrics"
)

// minGCHeadroom is the least the heap may grow between two collections,
// whatever GOGC 40 (defaultGCPercent) says. GOGC 40 keeps a large round's
// heap (hundreds of MB at 1,500 nodes) close to its live data, but on a
// small group the live heap is about 5 MB: 40% of it is 2 MB, a
// collection every few scrapes, and the collections were a third of the
// exporter's CPU per scrape (measured with every #12 family on: 1.8 ms per
// scrape at GOGC 40, 1.25 ms with this floor). The floor costs at most
// this much memory, and nothing once the live heap passes 40 MB, where
// 40% is more than the floor. GOMEMLIMIT still caps the heap; a GOGC set
// in the environment turns the floor off.
const minGCHeadroom = 16 << 20

// maxGCPercent bounds what the floor asks for on an almost empty heap.
const maxGCPercent = 1000

func init() {
	if _, set := os.LookupEnv("GOGC"); set {
		return
	}
	armGCFloor(defaultGCPercent)
}

// gcSentinel is garbage whose finalizer runs after each collection.
type gcSentinel struct{ _ [64]byte }

// armGCFloor re-applies the floor after every collection, from the live
// heap that collection measured.
func armGCFloor(current int) {
	s := new(gcSentinel)
	runtime.SetFinalizer(s, func(*gcSentinel) {
		live := []metrics.Sample{{Name: "/gc/heap/live:bytes"}}
		metrics.Read(live)
		next := current
		if live[0].Value.Kind() == metrics.KindUint64 {
			next = gcPercentFor(live[0].Value.Uint64(), defaultGCPercent, minGCHeadroom)
		}
		if next != current {
			debug.SetGCPercent(next)
		}
		armGCFloor(next)
	})
}

// gcPercentFor is the GOGC that lets a heap of live bytes grow by at least
// headroom before the next collection, never below base nor above
// maxGCPercent, rounded down to a multiple of 10 so that small changes of
// the live heap do not reset it after every collection.
func gcPercentFor(live uint64, base int, headroom uint64) int {
	if live == 0 {
		return maxGCPercent
	}
	p := headroom * 100 / live
	if p >= maxGCPercent {
		return maxGCPercent
	}
	return max(base, int(p)/10*10)
}
