package cwmetrics

import (
	"testing"
	"time"
)

func TestNextWindow(t *testing.T) {
	const (
		p     = time.Minute
		delay = 2 * time.Minute
		look  = 5 * time.Minute
	)
	at := func(hms string) time.Time {
		tm, err := time.Parse("15:04:05", hms)
		if err != nil {
			panic(err)
		}
		return time.Date(2025, 3, 1, tm.Hour(), tm.Minute(), tm.Second(), 0, time.UTC)
	}
	for _, tc := range []struct {
		name             string
		now, lastEnd     time.Time
		period, lookback time.Duration
		wantStart        time.Time
		wantEnd          time.Time
		wantOK           bool
	}{
		{"first refresh reads the whole lookback", at("12:10:30"), time.Time{}, p, look, at("12:03:00"), at("12:08:00"), true},
		{"next period continues where the last ended", at("12:11:00"), at("12:08:00"), p, look, at("12:08:00"), at("12:09:00"), true},
		{"same period again asks nothing", at("12:10:59"), at("12:08:00"), p, look, time.Time{}, time.Time{}, false},
		{"after a failure the gap is covered", at("12:13:05"), at("12:08:00"), p, look, at("12:08:00"), at("12:11:00"), true},
		{"a long outage is capped at the lookback", at("13:00:00"), at("12:08:00"), p, look, at("12:53:00"), at("12:58:00"), true},
		{"lookback rounds up to whole periods", at("12:10:30"), time.Time{}, p, 90 * time.Second, at("12:06:00"), at("12:08:00"), true},
		{"five-minute periods align to :00/:05", at("12:14:59"), time.Time{}, 5 * time.Minute, 25 * time.Minute, at("11:45:00"), at("12:10:00"), true},
		{"clock stepped back asks nothing", at("12:05:00"), at("12:08:00"), p, look, time.Time{}, time.Time{}, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			w, ok := nextWindow(tc.now, tc.lastEnd, tc.period, delay, tc.lookback)
			if ok != tc.wantOK || !w.Start.Equal(tc.wantStart) || !w.End.Equal(tc.wantEnd) {
				t.Errorf("nextWindow = %s..%s %v, want %s..%s %v", w.Start.Format("15:04:05"), w.End.Format("15:04:05"), ok,
					tc.wantStart.Format("15:04:05"), tc.wantEnd.Format("15:04:05"), tc.wantOK)
			}
		})
	}
}

// TestWindowsTileTime: refreshing at arbitrary moments, successful windows
// never overlap and never leave a gap.
func TestWindowsTileTime(t *testing.T) {
	now := time.Date(2025, 3, 1, 12, 0, 17, 0, time.UTC)
	var lastEnd time.Time
	steps := []time.Duration{13 * time.Second, 47 * time.Second, 5 * time.Second, 3 * time.Minute, 61 * time.Second, 59 * time.Second, 1 * time.Second}
	for i := 0; i < 200; i++ {
		w, ok := nextWindow(now, lastEnd, time.Minute, 2*time.Minute, 5*time.Minute)
		if ok {
			if !lastEnd.IsZero() && !w.Start.Equal(lastEnd) {
				t.Fatalf("window %s..%s does not start at the last end %s", w.Start, w.End, lastEnd)
			}
			if w.Start.Second() != 0 || w.End.Second() != 0 {
				t.Fatalf("window %s..%s not aligned to the minute", w.Start, w.End)
			}
			lastEnd = w.End
		}
		now = now.Add(steps[i%len(steps)])
	}
}

func TestUntilNextWindow(t *testing.T) {
	last := time.Date(2025, 3, 1, 12, 8, 0, 0, time.UTC)
	// Just refreshed at 12:10:00.2 (window ended 12:08): the 12:09 window is
	// due at 12:11:00, 59.8 s later.
	now := time.Date(2025, 3, 1, 12, 10, 0, 200e6, time.UTC)
	if d := untilNextWindow(now, last, time.Minute, 2*time.Minute); d != 59800*time.Millisecond {
		t.Errorf("wait = %s, want 59.8s", d)
	}
	if _, ok := nextWindow(now.Add(59800*time.Millisecond), last, time.Minute, 2*time.Minute, 5*time.Minute); !ok {
		t.Error("no window due when the wait ends")
	}
	if _, ok := nextWindow(now.Add(59700*time.Millisecond), last, time.Minute, 2*time.Minute, 5*time.Minute); ok {
		t.Error("a window was due before the wait ended")
	}
}
