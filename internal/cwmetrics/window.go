package cwmetrics

import "time"

// window is a GetMetricData time range: Start inclusive, End exclusive, both
// on period boundaries counted from the Unix epoch (CloudWatch aligns
// 60-second datapoints to whole minutes).
type window struct {
	Start, End time.Time
}

// alignDown returns the latest period boundary at or before t.
func alignDown(t time.Time, period time.Duration) time.Time {
	p := period.Nanoseconds()
	n := t.UnixNano()
	r := n % p
	if r < 0 {
		r += p
	}
	return time.Unix(0, n-r).UTC()
}

// nextWindow returns the range a refresh at now should ask for.
//
// The range ends at the newest period boundary at least delay ago, because
// CloudWatch publishes a minute's datapoint a minute or two late. It starts
// where the previous successful refresh ended, so consecutive refreshes
// neither re-read nor skip a period; a refresh that failed leaves lastEnd
// where it was, and the next one covers the gap. The range never reaches
// back more than lookback (rounded up to whole periods): older values would
// be past max_age anyway. The first refresh (zero lastEnd) asks for the whole
// lookback so values appear at once; GetMetricData bills per metric, not per
// datapoint, so that costs nothing extra.
//
// ok is false when no new period has completed since lastEnd.
func nextWindow(now, lastEnd time.Time, period, delay, lookback time.Duration) (w window, ok bool) {
	end := alignDown(now.Add(-delay), period)
	periods := int64((lookback + period - 1) / period)
	if periods < 1 {
		periods = 1
	}
	start := end.Add(-time.Duration(periods) * period)
	if !lastEnd.IsZero() && lastEnd.After(start) {
		start = lastEnd
	}
	if !start.Before(end) {
		return window{}, false
	}
	return window{Start: start, End: end}, true
}

// untilNextWindow is how long after now the next period completes, i.e.
// when nextWindow would first return a range ending after lastEnd. Run
// sleeps this long so that it refreshes exactly once per period.
func untilNextWindow(now, lastEnd time.Time, period, delay time.Duration) time.Duration {
	next := alignDown(now.Add(-delay), period).Add(period)
	if !lastEnd.IsZero() && !next.After(lastEnd) {
		next = lastEnd.Add(period)
	}
	d := next.Add(delay).Sub(now)
	if d < 0 {
		return 0
	}
	return d
}
