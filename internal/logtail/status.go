package logtail

import (
	"sort"
	"time"
)

// LogStatus is one followed log's health as the status page shows it.
type LogStatus struct {
	// Log is LogSlow or LogEngine; Group the CloudWatch Logs group.
	Log, Group string
	// LastSuccess is when a poll of the log last completed without error
	// (zero before the first).
	LastSuccess time.Time
	// Lag is how far the newest line read is behind now; HasLag is false
	// before the first line.
	Lag    time.Duration
	HasLag bool
	Lines  float64
	Calls  float64
	Errors float64
}

// Status returns the followed logs' health, ordered by log, and why the
// last poll failed ("" when it did not). It does no I/O.
func (t *Tailer) Status() (logs []LogStatus, lastErr string) {
	t.mu.Lock()
	defer t.mu.Unlock()
	now := t.now()
	for kind, group := range t.groups {
		s := LogStatus{Log: kind, Group: group}
		if c := t.counter[kind]; c != nil {
			s.LastSuccess, s.Lines, s.Calls, s.Errors = c.lastSuccess, c.lines, c.calls, c.errors
		}
		if cp := t.state.Logs[kind]; cp != nil && cp.NewestEventMs > 0 && cp.Group == group {
			s.Lag, s.HasLag = max(now.Sub(time.UnixMilli(cp.NewestEventMs)), 0), true
		}
		logs = append(logs, s)
	}
	sort.Slice(logs, func(i, j int) bool { return logs[i].Log < logs[j].Log })
	if t.lastErr != nil {
		lastErr = t.lastErr.Error()
	}
	return logs, lastErr
}
