package slowlog

import (
	"fmt"
	"time"

	"github.com/elasticache-exporter/elasticache-exporter/internal/collect"
)

// failoverSignalLimit bounds the engine-log failover lines looked at when
// a measured failover completes.
const failoverSignalLimit = 1000

// RecordFailover keeps a failover the scrapes measured in the event
// history, as an event of type failover on the new primary with the
// duration in DurationSeconds. It counts nothing:
// redis_engine_log_events_total counts delivered log lines only, and the
// measurement has its own histogram.
func (r *Recorder) RecordFailover(f collect.Failover) {
	ev := EngineEvent{
		Node:            TruncateArg(collect.LabelValue(f.NewPrimary), maxFieldLen),
		Shard:           TruncateArg(collect.LabelValue(f.Shard), maxFieldLen),
		Time:            f.End.UTC(),
		Level:           LevelNotice,
		Role:            "master",
		Event:           EventFailover,
		Source:          f.Source,
		DurationSeconds: f.Duration.Seconds(),
		OldPrimary:      TruncateArg(collect.LabelValue(f.OldPrimary), maxFieldLen),
		NewPrimary:      TruncateArg(collect.LabelValue(f.NewPrimary), maxFieldLen),
	}
	ev.Message = fmt.Sprintf("failover measured: %s -> %s in %.1f s (start from %s)", ev.OldPrimary, ev.NewPrimary,
		ev.DurationSeconds, f.Source)
	if f.Unlinked {
		ev.Message += fmt.Sprintf("; a replica was still not linked after %s, so this is a lower bound", f.Duration.Round(time.Second))
	}
	ev.Message = TruncateArg(ev.Message, maxRawLen)
	r.eventHistory.add(ev)
}

// FailoverSignals returns the engine-log lines of the recent history
// classified as a failover and placed in a shard, for
// collect.Options.FailoverSignals; measured failovers are not among them.
func (r *Recorder) FailoverSignals() []collect.FailoverSignal {
	var out []collect.FailoverSignal
	for _, ev := range r.RecentEvents(EventQuery{Event: EventFailover, Limit: failoverSignalLimit}) {
		if ev.Source != "" || ev.Raw != "" || ev.Shard == "" {
			continue
		}
		out = append(out, collect.FailoverSignal{Shard: ev.Shard, Node: ev.Node, Time: ev.Time})
	}
	return out
}
