package slowlog

import (
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
)

var t0 = time.Date(2024, 5, 1, 12, 0, 0, 0, time.UTC)

// entries returns SLOWLOG GET reply entries with the given ids, logged at
// the given time.
func entries(at time.Time, ids ...int64) []redis.SlowLog {
	out := make([]redis.SlowLog, len(ids))
	for i, id := range ids {
		out[len(ids)-1-i] = redis.SlowLog{ID: id, Time: at, Args: []string{"get", "k"}} // newest first, as Redis replies
	}
	return out
}

func ids(s []redis.SlowLog) []int64 {
	out := []int64{}
	for _, e := range s {
		out = append(out, e.ID)
	}
	return out
}

func TestCursor(t *testing.T) {
	later := t0.Add(time.Minute)
	tests := []struct {
		name       string
		cur        *cursor
		probe      probe
		fetched    []redis.SlowLog
		wantFetch  int64
		wantNext   cursor
		wantFresh  []int64
		wantMissed int64
	}{
		{
			name:     "first sight baselines without counting",
			probe:    probe{RunID: "a", NewestID: 41, Length: 10, Now: t0},
			wantNext: cursor{RunID: "a", LastID: 41, LastScrape: t0}, wantFresh: []int64{},
		},
		{
			name:     "first sight of an empty buffer anchors at -1",
			probe:    probe{RunID: "a", NewestID: -1, Now: t0},
			wantNext: cursor{RunID: "a", LastID: -1, LastScrape: t0}, wantFresh: []int64{},
		},
		{
			name:      "after an empty first sight ids count from 0",
			cur:       &cursor{RunID: "a", LastID: -1, LastScrape: t0},
			probe:     probe{RunID: "a", NewestID: 9, Length: 4, Now: later},
			fetched:   entries(later, 6, 7, 8, 9),
			wantFetch: 10 + fetchSlack,
			wantNext:  cursor{RunID: "a", LastID: 9, LastScrape: later}, wantFresh: []int64{6, 7, 8, 9}, wantMissed: 6,
		},
		{
			name:     "nothing new",
			cur:      &cursor{RunID: "a", LastID: 41, LastScrape: t0},
			probe:    probe{RunID: "a", NewestID: 41, Length: 10, Now: later},
			wantNext: cursor{RunID: "a", LastID: 41, LastScrape: later}, wantFresh: []int64{},
		},
		{
			name:      "three new entries, older ones ignored",
			cur:       &cursor{RunID: "a", LastID: 41, LastScrape: t0},
			probe:     probe{RunID: "a", NewestID: 44, Length: 10, Now: later},
			fetched:   entries(later, 39, 40, 41, 42, 43, 44),
			wantFetch: 3 + fetchSlack,
			wantNext:  cursor{RunID: "a", LastID: 44, LastScrape: later}, wantFresh: []int64{42, 43, 44},
		},
		{
			name:      "overflow: 10 new, 4 kept, 6 missed",
			cur:       &cursor{RunID: "a", LastID: 41, LastScrape: t0},
			probe:     probe{RunID: "a", NewestID: 51, Length: 4, Now: later},
			fetched:   entries(later, 48, 49, 50, 51),
			wantFetch: 10 + fetchSlack,
			wantNext:  cursor{RunID: "a", LastID: 51, LastScrape: later}, wantFresh: []int64{48, 49, 50, 51}, wantMissed: 6,
		},
		{
			name:      "entries logged between probe and fetch are taken and not missed",
			cur:       &cursor{RunID: "a", LastID: 41, LastScrape: t0},
			probe:     probe{RunID: "a", NewestID: 43, Length: 10, Now: later},
			fetched:   entries(later, 42, 43, 44, 45),
			wantFetch: 2 + fetchSlack,
			wantNext:  cursor{RunID: "a", LastID: 45, LastScrape: later}, wantFresh: []int64{42, 43, 44, 45},
		},
		{
			name:      "restart (run_id changed): all of the new buffer counts, ids from 0",
			cur:       &cursor{RunID: "a", LastID: 500, LastScrape: t0},
			probe:     probe{RunID: "b", NewestID: 2, Length: 3, Now: later},
			fetched:   entries(t0.Add(10*time.Second), 0, 1, 2),
			wantFetch: 3 + fetchSlack,
			wantNext:  cursor{RunID: "b", LastID: 2, LastScrape: later}, wantFresh: []int64{0, 1, 2},
		},
		{
			name:      "restart with overflow counts the lost ones",
			cur:       &cursor{RunID: "a", LastID: 500, LastScrape: t0},
			probe:     probe{RunID: "b", NewestID: 9, Length: 4, Now: later},
			fetched:   entries(t0.Add(10*time.Second), 6, 7, 8, 9),
			wantFetch: 10 + fetchSlack,
			wantNext:  cursor{RunID: "b", LastID: 9, LastScrape: later}, wantFresh: []int64{6, 7, 8, 9}, wantMissed: 6,
		},
		{
			name:      "another long-running process behind the name: only entries after our last look",
			cur:       &cursor{RunID: "a", LastID: 500, LastScrape: t0},
			probe:     probe{RunID: "b", NewestID: 900, Length: 3, Now: later},
			fetched:   append(entries(t0.Add(30*time.Second), 900), entries(t0.Add(-time.Hour), 898, 899)...),
			wantFetch: 901 + fetchSlack,
			wantNext:  cursor{RunID: "b", LastID: 900, LastScrape: later}, wantFresh: []int64{900},
		},
		{
			name:      "ids going back with unknown run_id is a restart",
			cur:       &cursor{LastID: 500, LastScrape: t0},
			probe:     probe{NewestID: 1, Length: 2, Now: later},
			fetched:   entries(later, 0, 1),
			wantFetch: 2 + fetchSlack,
			wantNext:  cursor{LastID: 1, LastScrape: later}, wantFresh: []int64{0, 1},
		},
		{
			name:     "restart with an empty buffer anchors at -1",
			cur:      &cursor{RunID: "a", LastID: 500, LastScrape: t0},
			probe:    probe{RunID: "b", NewestID: -1, Now: later},
			wantNext: cursor{RunID: "b", LastID: -1, LastScrape: later}, wantFresh: []int64{},
		},
		{
			name:     "emptied buffer, same process: the id counter goes on",
			cur:      &cursor{RunID: "a", LastID: 500, LastScrape: t0},
			probe:    probe{RunID: "a", NewestID: -1, Now: later},
			wantNext: cursor{RunID: "a", LastID: 500, LastScrape: later}, wantFresh: []int64{},
		},
		{
			name:       "more new than the fetch cap: the rest is missed",
			cur:        &cursor{RunID: "a", LastID: 0, LastScrape: t0},
			probe:      probe{RunID: "a", NewestID: 5000, Length: 5000, Now: later},
			fetched:    entries(later, 3977, 3978),
			wantFetch:  maxFetch,
			wantNext:   cursor{RunID: "a", LastID: 5000, LastScrape: later},
			wantFresh:  []int64{3977, 3978},
			wantMissed: 4998,
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := plan(tc.cur, tc.probe); got != tc.wantFetch {
				t.Errorf("plan = %d, want %d", got, tc.wantFetch)
			}
			next, fresh, missed := advance(tc.cur, tc.probe, tc.fetched)
			if next != tc.wantNext {
				t.Errorf("next cursor = %+v, want %+v", next, tc.wantNext)
			}
			if got := ids(fresh); !equalInts(got, tc.wantFresh) {
				t.Errorf("fresh ids = %v, want %v", got, tc.wantFresh)
			}
			if missed != tc.wantMissed {
				t.Errorf("missed = %d, want %d", missed, tc.wantMissed)
			}
		})
	}
}

func equalInts(a, b []int64) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}
