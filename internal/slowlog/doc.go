// Package slowlog owns what the exporter counts of slow commands and engine
// events, and SLOWLOG tracking on the nodes:
//
//   - Tracker reads SLOWLOG GET on every node incrementally by entry id
//     (never SLOWLOG RESET: ElastiCache's own log delivery reads the same
//     buffer), notices restarts and overflow, and skips the exporter's own
//     commands by their CLIENT SETNAME name. The cursor (plan/advance) is
//     pure; the I/O is in tracker.go only.
//   - Recorder is the one owner of the shared metrics, of the
//     de-duplication between SLOWLOG and ElastiCache's slow-log delivery
//     (tailed by internal/logtail through RecordSlow and RecordEngine) and
//     of the bounded recent-history buffers that internal/web serves at
//     /api/v1/slowlog and /api/v1/events (RecentSlow, RecentEvents).
//
// Series lifecycle: every per-node series carries node and shard. The
// Recorder counts only nodes of the group it was last given (SetTopology,
// also taken from every round's topology); a node that leaves the group
// loses all its series at the next SetTopology, and entries read for a
// node outside the group are kept in the history but counted only in
// elasticache_exporter_log_entries_outside_group_total.
//
// Privacy: slow log arguments can hold ksqlDB keys and values. Unless
// slowlog.keep_args is set, an entry keeps only the command name and the
// argument count, the way ElastiCache's own delivery writes
// "GET ... (1 more arguments)"; arguments never reach a metric label or a
// log line in either mode.
package slowlog
