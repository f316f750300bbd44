// Package statuspage owns the status page at / and its JSON twin at
// /api/v1/status: what an on-call engineer opens first.
//
// A Recorder runs as one more collector of every scrape round and keeps a
// compact reading of each node (role, up/down, replication, memory,
// clients, the values the five alarms watch); Watch wraps the other
// collectors to remember whether each succeeded. Build turns that, the
// alarm definitions, the CloudWatch cache, the slow-command and
// engine-event history and the sources' health into a Status, from memory
// only: a page view never sends a command to Redis or a call to AWS.
// Render writes it as HTML (html/template: every value is escaped; no
// script is needed).
package statuspage
