// Package slowlog owns everything the exporter learns from Redis slow logs
// and ElastiCache engine logs:
//
//   - Tracker reads SLOWLOG GET on every node incrementally by entry id
//     (never SLOWLOG RESET: ElastiCache's own log delivery reads the same
//     buffer), notices restarts and overflow, and skips the exporter's own
//     commands by their CLIENT SETNAME name.
//   - Tailer follows the slow-log and engine-log groups ElastiCache delivers
//     to CloudWatch Logs, with a checkpoint that survives restarts.
//   - Recorder is the one owner of the shared metrics, of the de-duplication
//     between the two sources and of the bounded recent-history buffers
//     served at /api/v1/slowlog and /api/v1/events.
//
// The line parsers (ParseSlowLogLine, ParseEngineLogLine) and the SLOWLOG
// cursor (plan/advance) are pure functions; I/O lives in tracker.go and
// tailer.go only.
//
// Privacy: slow log arguments can hold ksqlDB keys and values. Unless
// slowlog.keep_args is set, an entry keeps only the command name and the
// argument count, the way ElastiCache's own delivery writes
// "GET ... (1 more arguments)"; arguments never reach a metric label or a
// log line in either mode.
package slowlog
