// Package logtail follows the slow-log and engine-log groups ElastiCache
// delivers to CloudWatch Logs:
//
//   - Tailer polls FilterLogEvents from a checkpoint that survives restarts
//     (logs.state_file), so every delivered line is read once, and feeds
//     what it reads into the slowlog.Recorder, which de-duplicates slow
//     entries against SLOWLOG and owns the metrics and recent history. Its
//     log groups may arrive after construction (SetLogGroups: the daemon
//     learns them from ElastiCache adoption); with none it idles.
//   - ParseSlowLogLine and ParseEngineLogLine read both delivery formats
//     (JSON and TEXT); ClassifyEngineMessage maps an engine message to one
//     bounded event. They are pure functions.
//
// It serves no HTTP: internal/web serves the Recorder's history.
package logtail
