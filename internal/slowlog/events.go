package slowlog

// Engine events: the bounded set an engine log message is classified into
// (internal/logtail classifies; the Recorder counts only these).
const (
	EventFailover         = "failover"
	EventFullSync         = "full_sync"
	EventPartialSync      = "partial_sync"
	EventReplicaConnected = "replica_connected"
	EventReplicaLost      = "replica_lost"
	EventPrimaryLinkLost  = "primary_link_lost"
	EventOOM              = "oom"
	EventRDBSave          = "rdb_save"
	EventAOFRewrite       = "aof_rewrite"
	EventRestart          = "restart"
	EventClusterState     = "cluster_state"
	EventOther            = "other"
)

// engineEvents lists every event label, for validation and docs.
var engineEvents = []string{EventFailover, EventFullSync, EventPartialSync, EventReplicaConnected,
	EventReplicaLost, EventPrimaryLinkLost, EventOOM, EventRDBSave, EventAOFRewrite, EventRestart,
	EventClusterState, EventOther}

// Engine log levels: the bounded level label.
const (
	LevelDebug   = "debug"
	LevelVerbose = "verbose"
	LevelNotice  = "notice"
	LevelWarning = "warning"
	LevelUnknown = "unknown"
)

var engineLevels = []string{LevelDebug, LevelVerbose, LevelNotice, LevelWarning, LevelUnknown}

// EngineEvents returns every event label, in a stable order.
func EngineEvents() []string { return append([]string(nil), engineEvents...) }

// ValidEvent reports whether s is an event label.
func ValidEvent(s string) bool { return contains(engineEvents, s) }

func validLevel(s string) bool { return contains(engineLevels, s) }

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}
