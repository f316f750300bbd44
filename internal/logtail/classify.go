package logtail

import (
	"strings"

	"github.com/elasticache-exporter/elasticache-exporter/internal/slowlog"
)

// eventRules are tried in order against the lower-cased message; the first
// rule with a matching fragment wins, so the more specific ones come first
// ("Partial resynchronization not possible" is a full sync, "Starting BGSAVE
// for SYNC" is a sync and not a snapshot). The fragments are Redis 6.2–7.x
// and Valkey log messages; "master"/"slave" and "primary"/"replica" both
// appear depending on the version.
var eventRules = []struct {
	event     string
	fragments []string
}{
	{slowlog.EventFailover, []string{"failover", "master mode enabled", "primary mode enabled",
		"setting secondary replication id", "configuration change detected",
		"reconfiguring myself as a replica"}},
	{slowlog.EventFullSync, []string{"partial resynchronization not possible", "full resync",
		"starting bgsave for sync", "sync: finished with success", "synchronization with replica",
		"synchronization with slave", "sync: receiving", "sync: loading db", "sync: flushing old data"}},
	{slowlog.EventPartialSync, []string{"partial resynchronization", "partial resync"}},
	{slowlog.EventReplicaConnected, []string{"asks for synchronization", "replica is online", "slave is online",
		"replica was connected", "slave was connected"}},
	{slowlog.EventReplicaLost, []string{"connection with replica", "connection with slave",
		"disconnecting timedout replica", "disconnecting timedout slave", "replica lost", "slave lost"}},
	{slowlog.EventPrimaryLinkLost, []string{"connection with master lost", "connection with primary lost",
		"master timeout", "primary timeout", "error condition on socket for sync",
		"error reply to ping from master", "unable to connect to master", "unable to connect to primary"}},
	{slowlog.EventOOM, []string{"out of memory", "oom command not allowed", "can't allocate", "cannot allocate"}},
	{slowlog.EventRDBSave, []string{"background saving", "db saved on disk", "rdb:", "bgsave",
		"saving the final rdb", "fork child for saving"}},
	{slowlog.EventAOFRewrite, []string{"append only file rewrit", "aof rewrite", "background aof",
		"aof_rewrite", "rewriting aof"}},
	{slowlog.EventRestart, []string{"server initialized", "ready to accept connections", "redis is starting",
		"valkey is starting", "redis version=", "received sigterm", "ready to exit",
		"user requested shutdown", "oo0ooo0ooo0oo"}},
	{slowlog.EventClusterState, []string{"cluster state changed", "marking node", "fail message received",
		"clear fail state", "slot migration"}},
}

// ClassifyEngineMessage maps an engine log message to one bounded event
// (one of slowlog.EngineEvents).
func ClassifyEngineMessage(msg string) string {
	lower := strings.ToLower(msg)
	for _, r := range eventRules {
		for _, f := range r.fragments {
			if strings.Contains(lower, f) {
				return r.event
			}
		}
	}
	// "OOM" only as a word: "room" or "bloom" are not out of memory.
	for _, w := range strings.FieldsFunc(msg, func(r rune) bool { return r < 'A' || r > 'Z' }) {
		if w == "OOM" {
			return slowlog.EventOOM
		}
	}
	return slowlog.EventOther
}
