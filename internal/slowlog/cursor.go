package slowlog

import (
	"sort"
	"time"

	"github.com/redis/go-redis/v9"
)

// Limits of one incremental read.
const (
	// maxFetch caps SLOWLOG GET n so one scrape stays small; new entries
	// beyond it (only with a slowlog-max-len above it) count as missed.
	maxFetch = 1024
	// fetchSlack asks for a few more entries than the ids say are new, so
	// entries logged between the probe and the fetch (the probe itself, other
	// clients) do not push the oldest new entries out of the reply.
	fetchSlack = 16
	// clockTolerance allows for SLOWLOG's whole-second timestamps and a
	// little clock skew between the exporter and the node.
	clockTolerance = 2 * time.Second
)

// cursor is what the tracker remembers of one node between scrapes.
type cursor struct {
	RunID string
	// LastID is the newest entry id already accounted for (-1: none yet,
	// ids of a freshly started process begin at 0). An empty buffer at
	// first sight anchors at -1: ElastiCache forbids SLOWLOG RESET, so an
	// empty buffer means nothing was ever logged. (On a self-managed node
	// emptied by SLOWLOG RESET the first read then reports the ids logged
	// before the reset as missed, once.)
	LastID int64
	// LastScrape is the exporter's clock at the previous successful read.
	LastScrape time.Time
}

// probe is what one scrape learned before fetching entries.
type probe struct {
	RunID string
	// NewestID is the id of the newest entry (-1 when the buffer is empty).
	NewestID int64
	// Length is SLOWLOG LEN.
	Length int64
	Now    time.Time
}

// restarted reports whether the node's id sequence started over since cur:
// a different run_id, or (when run_ids are unknown) ids going backwards.
func restarted(cur *cursor, p probe) bool {
	if cur.RunID != "" && p.RunID != "" {
		return cur.RunID != p.RunID
	}
	return p.NewestID >= 0 && p.NewestID < cur.LastID
}

// plan says how many entries SLOWLOG GET must return for this scrape; 0 means
// no fetch. cur is nil at first sight of the node.
//
// First sight takes the current newest id as the baseline and counts
// nothing: counting what is already in the buffer would count it again
// after every restart of the exporter.
func plan(cur *cursor, p probe) int64 {
	if cur == nil || p.NewestID < 0 {
		return 0
	}
	var n int64
	switch {
	case restarted(cur, p):
		n = p.NewestID + 1 // ids restart at 0
	case p.NewestID > cur.LastID:
		n = p.NewestID - cur.LastID
	default:
		return 0
	}
	return min(n+fetchSlack, maxFetch)
}

// advance applies a fetched SLOWLOG GET reply (any order) to the cursor and
// returns the next cursor, the new entries oldest first, and how many new
// entries were lost before they could be read (buffer overflow or the fetch
// cap). cur is nil at first sight.
func advance(cur *cursor, p probe, fetched []redis.SlowLog) (next cursor, fresh []redis.SlowLog, missed int64) {
	next = cursor{RunID: p.RunID, LastID: p.NewestID, LastScrape: p.Now}
	if cur == nil {
		return next, nil, 0
	}
	if p.NewestID < 0 {
		// Empty buffer. A restart with nothing logged yet anchors at -1;
		// otherwise someone emptied it (SLOWLOG RESET on a self-managed
		// node), which does not reset the id counter.
		next.LastID = cur.LastID
		if restarted(cur, p) {
			next.LastID = -1
		}
		return next, nil, 0
	}
	upper := p.NewestID
	for _, s := range fetched {
		upper = max(upper, s.ID)
	}
	next.LastID = upper
	sorted := append([]redis.SlowLog(nil), fetched...)
	sort.Slice(sorted, func(i, j int) bool { return sorted[i].ID < sorted[j].ID })

	switch {
	case restarted(cur, p):
		// Entries logged before our previous look belong to a process we
		// never watched (another process now answers at this address): they
		// are not counted, and then the id range says nothing about losses.
		since := cur.LastScrape.Truncate(time.Second).Add(-clockTolerance)
		allAfter := true
		for _, s := range sorted {
			if cur.LastScrape.IsZero() || !s.Time.Before(since) {
				fresh = append(fresh, s)
			} else {
				allAfter = false
			}
		}
		if allAfter {
			missed = upper + 1 - int64(len(fresh))
		}
	default:
		for _, s := range sorted {
			if s.ID > cur.LastID {
				fresh = append(fresh, s)
			}
		}
		missed = upper - cur.LastID - int64(len(fresh))
	}
	return next, fresh, max(missed, 0)
}
