package collect

import "time"

// OffsetHistory is a shard primary's replication offsets over time, from
// which a replica's lag in seconds is read: the same computation as
// redis_replica_lag_seconds, for code outside this package (the status
// page) that keeps its own history from the same rounds, so the two never
// disagree on how lag is measured. The zero value is empty; not safe for
// concurrent use.
type OffsetHistory struct{ samples []offsetSample }

// Add records the primary's offset as read at at. An offset below the
// last one starts a new history (the primary changed or restarted); the
// history keeps at most offsetHistoryMax samples and offsetHistoryAge.
func (h *OffsetHistory) Add(at time.Time, offset int64) {
	h.samples = appendSample(h.samples, offsetSample{at, offset})
}

// LagSeconds is how long before at the primary was where a replica at
// replicaOffset is now (0 when it is caught up or nothing is recorded).
func (h *OffsetHistory) LagSeconds(replicaOffset int64, at time.Time) float64 {
	return lagSeconds(h.samples, replicaOffset, at)
}
