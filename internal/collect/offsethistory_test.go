package collect

import (
	"testing"
	"time"
)

// OffsetHistory is the lag-in-seconds computation of redis_replica_lag_seconds
// for other packages: the same answers as the package's own history.
func TestOffsetHistory(t *testing.T) {
	t0 := time.Date(2026, 12, 2, 8, 0, 0, 0, time.UTC)
	var h OffsetHistory
	if got := h.LagSeconds(10, t0); got != 0 {
		t.Errorf("empty history: lag %v, want 0", got)
	}
	h.Add(t0, 100)
	h.Add(t0.Add(10*time.Second), 200)
	h.Add(t0.Add(20*time.Second), 1200)
	now := t0.Add(25 * time.Second)
	for _, c := range []struct {
		offset int64
		want   float64
	}{
		{1200, 0}, // caught up
		{5000, 0}, // ahead of what was recorded: not behind
		{200, 15}, // the primary was there at t0+10s
		{700, 10}, // halfway between t0+10s and t0+20s
		{150, 20}, // halfway between t0 and t0+10s
		{50, 25},  // older than the history: its age, a lower bound
		{100, 25}, // exactly the oldest sample
	} {
		if got := h.LagSeconds(c.offset, now); got != c.want {
			t.Errorf("replica at %d: lag %v s, want %v", c.offset, got, c.want)
		}
	}
	h.Add(t0.Add(30*time.Second), 5) // offsets went back: a new history
	if got := h.LagSeconds(1, t0.Add(31*time.Second)); got != 1 {
		t.Errorf("after a reset: lag %v s, want 1 (the new history's age)", got)
	}
}
