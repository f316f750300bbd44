package collect

import (
	"math"
	"strconv"
	"strings"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/elasticache-exporter/elasticache-exporter/internal/redisinfo"
	"github.com/elasticache-exporter/elasticache-exporter/internal/topology"
)

// infoMetric maps one INFO field to a metric. Names, units and types follow
// redis_exporter (its exporter/ metric maps), so Grafana dashboard 763, the
// redis-mixin and a user's own queries keep working; docs/compatibility.md
// lists the few names that break Prometheus' naming lint for that reason
// (CompatNames) and what redis_exporter exports that this exporter does not.
type infoMetric struct {
	field string
	name  string
	help  string
	typ   prometheus.ValueType
	conv  conversion
}

// conversion is how an INFO value becomes the sample.
type conversion uint8

const (
	// asNumber: the value as written (the field's own unit).
	asNumber conversion = iota
	// usecToSeconds: microseconds to seconds.
	usecToSeconds
	// okStatus: "ok" is 1, "err" or "fail" 0, anything else no sample.
	okStatus
)

const (
	gauge   = prometheus.GaugeValue
	counter = prometheus.CounterValue
)

// infoMetrics are emitted for every field a node reports; a field the
// engine or version does not have is simply absent.
var infoMetrics = []infoMetric{
	// Server
	{"uptime_in_seconds", "redis_uptime_in_seconds", "Seconds since the node started (INFO server uptime_in_seconds).", gauge, asNumber},
	{"process_id", "redis_process_id", "Process id of the engine (INFO server process_id).", gauge, asNumber},
	{"io_threads_active", "redis_io_threads_active", "1 while the engine uses its I/O threads (INFO server io_threads_active).", gauge, asNumber},
	{"configured_hz", "redis_configured_hz", "The configured frequency of background tasks (INFO server configured_hz).", gauge, asNumber},
	{"hz", "redis_hz", "The current frequency of background tasks (INFO server hz).", gauge, asNumber},
	// Clients
	{"connected_clients", "redis_connected_clients", "Client connections, replicas excluded (INFO clients connected_clients).", gauge, asNumber},
	{"cluster_connections", "redis_cluster_connections", "Connections of the cluster bus (INFO clients cluster_connections).", gauge, asNumber},
	{"maxclients", "redis_max_clients", "The maxclients setting (INFO clients maxclients).", gauge, asNumber},
	{"client_recent_max_input_buffer", "redis_client_recent_max_input_buffer_bytes", "Biggest client input buffer in bytes, recently (INFO clients client_recent_max_input_buffer).", gauge, asNumber},
	{"client_recent_max_output_buffer", "redis_client_recent_max_output_buffer_bytes", "Biggest client output buffer in bytes, recently (INFO clients client_recent_max_output_buffer).", gauge, asNumber},
	{"blocked_clients", "redis_blocked_clients", "Clients blocked in BLPOP and similar commands (INFO clients blocked_clients).", gauge, asNumber},
	{"tracking_clients", "redis_tracking_clients", "Clients with client-side caching tracking on (INFO clients tracking_clients).", gauge, asNumber},
	{"pubsub_clients", "redis_pubsub_clients", "Clients in pub/sub mode (INFO clients pubsub_clients).", gauge, asNumber},
	{"watching_clients", "redis_watching_clients", "Clients watching keys for a transaction (INFO clients watching_clients).", gauge, asNumber},
	{"clients_in_timeout_table", "redis_clients_in_timeout_table", "Clients in the timeout table: blocked with a timeout (INFO clients clients_in_timeout_table).", gauge, asNumber},
	{"total_watched_keys", "redis_total_watched_keys", "Keys watched by transactions (INFO clients total_watched_keys).", gauge, asNumber},
	{"total_blocking_keys", "redis_total_blocking_keys", "Keys that block clients (INFO clients total_blocking_keys).", gauge, asNumber},
	{"total_blocking_keys_on_nokey", "redis_total_blocking_keys_on_nokey", "Keys that block clients until they are deleted (INFO clients total_blocking_keys_on_nokey).", gauge, asNumber},
	// Memory
	{"used_memory", "redis_memory_used_bytes", "Bytes allocated by the engine (INFO memory used_memory).", gauge, asNumber},
	{"used_memory_rss", "redis_memory_used_rss_bytes", "Resident set size of the engine process in bytes (INFO memory used_memory_rss).", gauge, asNumber},
	{"used_memory_peak", "redis_memory_used_peak_bytes", "Peak of used_memory in bytes (INFO memory used_memory_peak).", gauge, asNumber},
	{"used_memory_overhead", "redis_memory_used_overhead_bytes", "Bytes of used_memory that are bookkeeping, not data: buffers, dictionaries, replication backlog (INFO memory used_memory_overhead).", gauge, asNumber},
	{"used_memory_startup", "redis_memory_used_startup_bytes", "Bytes the engine used at start (INFO memory used_memory_startup).", gauge, asNumber},
	{"used_memory_dataset", "redis_memory_used_dataset_bytes", "Bytes of used_memory that hold the data: used_memory minus overhead (INFO memory used_memory_dataset).", gauge, asNumber},
	{"used_memory_lua", "redis_memory_used_lua_bytes", "Bytes used by the Lua engine (INFO memory used_memory_lua).", gauge, asNumber},
	{"used_memory_vm_eval", "redis_memory_used_vm_eval_bytes", "Bytes used by the script VM for EVAL (INFO memory used_memory_vm_eval).", gauge, asNumber},
	{"used_memory_scripts_eval", "redis_memory_used_scripts_eval_bytes", "Bytes of overhead of EVAL scripts (INFO memory used_memory_scripts_eval).", gauge, asNumber},
	{"used_memory_vm_functions", "redis_memory_used_vm_functions_bytes", "Bytes used by the script VM for functions (INFO memory used_memory_vm_functions).", gauge, asNumber},
	{"used_memory_functions", "redis_memory_used_functions_bytes", "Bytes of overhead of functions (INFO memory used_memory_functions).", gauge, asNumber},
	{"used_memory_scripts", "redis_memory_used_scripts_bytes", "Bytes of overhead of EVAL scripts and functions (INFO memory used_memory_scripts).", gauge, asNumber},
	{"number_of_cached_scripts", "redis_number_of_cached_scripts", "EVAL scripts cached by the engine (INFO memory number_of_cached_scripts).", gauge, asNumber},
	{"number_of_functions", "redis_number_of_functions", "Functions loaded (INFO memory number_of_functions).", gauge, asNumber},
	{"number_of_libraries", "redis_number_of_libraries", "Function libraries loaded (INFO memory number_of_libraries).", gauge, asNumber},
	{"maxmemory", "redis_memory_max_bytes", "The maxmemory setting in bytes; 0 means no limit (INFO memory maxmemory).", gauge, asNumber},
	{"total_system_memory", "redis_total_system_memory_bytes", "Memory of the host in bytes (INFO memory total_system_memory).", gauge, asNumber},
	{"allocator_allocated", "redis_allocator_allocated_bytes", "Bytes the allocator handed out (INFO memory allocator_allocated).", gauge, asNumber},
	{"allocator_active", "redis_allocator_active_bytes", "Bytes in the allocator's active pages (INFO memory allocator_active).", gauge, asNumber},
	{"allocator_resident", "redis_allocator_resident_bytes", "Bytes resident in the allocator (INFO memory allocator_resident).", gauge, asNumber},
	{"allocator_muzzy", "redis_allocator_muzzy_bytes", "Bytes in the allocator's muzzy pages (INFO memory allocator_muzzy).", gauge, asNumber},
	{"allocator_frag_ratio", "redis_allocator_frag_ratio", "Allocator fragmentation: active divided by allocated (INFO memory allocator_frag_ratio).", gauge, asNumber},
	{"allocator_frag_bytes", "redis_allocator_frag_bytes", "Allocator fragmentation in bytes: active minus allocated (INFO memory allocator_frag_bytes).", gauge, asNumber},
	{"allocator_rss_ratio", "redis_allocator_rss_ratio", "Resident divided by active allocator bytes (INFO memory allocator_rss_ratio).", gauge, asNumber},
	{"allocator_rss_bytes", "redis_allocator_rss_bytes", "Resident minus active allocator bytes (INFO memory allocator_rss_bytes).", gauge, asNumber},
	{"mem_fragmentation_ratio", "redis_mem_fragmentation_ratio", "RSS divided by used memory (INFO memory mem_fragmentation_ratio).", gauge, asNumber},
	{"mem_fragmentation_bytes", "redis_mem_fragmentation_bytes", "RSS minus used memory in bytes (INFO memory mem_fragmentation_bytes).", gauge, asNumber},
	{"mem_not_counted_for_evict", "redis_mem_not_counted_for_eviction_bytes", "Bytes of used_memory not counted against maxmemory: replica and AOF buffers (INFO memory mem_not_counted_for_evict).", gauge, asNumber},
	{"mem_replication_backlog", "redis_mem_replication_backlog_bytes", "Bytes of the replication backlog (INFO memory mem_replication_backlog).", gauge, asNumber},
	{"mem_total_replication_buffers", "redis_mem_total_replication_buffers_bytes", "Bytes of the replication buffers, backlog and replicas' output together (INFO memory mem_total_replication_buffers).", gauge, asNumber},
	{"mem_clients_slaves", "redis_mem_clients_slaves", "Bytes of the replicas' client buffers (INFO memory mem_clients_slaves).", gauge, asNumber},
	{"mem_clients_normal", "redis_mem_clients_normal", "Bytes of the normal clients' buffers (INFO memory mem_clients_normal).", gauge, asNumber},
	{"mem_cluster_links", "redis_mem_cluster_links_bytes", "Bytes of the cluster bus links (INFO memory mem_cluster_links).", gauge, asNumber},
	{"mem_aof_buffer", "redis_mem_aof_buffer_bytes", "Bytes of the AOF buffers (INFO memory mem_aof_buffer).", gauge, asNumber},
	{"mem_overhead_db_hashtable_rehashing", "redis_mem_overhead_db_hashtable_rehashing_bytes", "Bytes of the database hash tables being rehashed (INFO memory mem_overhead_db_hashtable_rehashing).", gauge, asNumber},
	{"active_defrag_running", "redis_active_defrag_running", "Percent of CPU active defragmentation is using, 0 when it is not running (INFO memory active_defrag_running).", gauge, asNumber},
	{"lazyfree_pending_objects", "redis_lazyfree_pending_objects", "Objects waiting to be freed in the background (INFO memory lazyfree_pending_objects).", gauge, asNumber},
	{"lazyfreed_objects", "redis_lazyfreed_objects", "Objects freed in the background since start (INFO memory lazyfreed_objects).", gauge, asNumber},
	// Persistence: ElastiCache forks for backups and full syncs.
	{"loading", "redis_loading_dump_file", "1 while the node loads a dump file (INFO persistence loading).", gauge, asNumber},
	{"async_loading", "redis_async_loading", "1 while the node loads a replication stream in the background (INFO persistence async_loading).", gauge, asNumber},
	{"rdb_changes_since_last_save", "redis_rdb_changes_since_last_save", "Writes since the last RDB save (INFO persistence rdb_changes_since_last_save).", gauge, asNumber},
	{"rdb_bgsave_in_progress", "redis_rdb_bgsave_in_progress", "1 while an RDB background save runs (INFO persistence rdb_bgsave_in_progress).", gauge, asNumber},
	{"rdb_last_save_time", "redis_rdb_last_save_timestamp_seconds", "Unix time of the last successful RDB save (INFO persistence rdb_last_save_time).", gauge, asNumber},
	{"rdb_last_bgsave_status", "redis_rdb_last_bgsave_status", "1 when the last RDB background save succeeded, 0 when it failed (INFO persistence rdb_last_bgsave_status).", gauge, okStatus},
	{"rdb_last_bgsave_time_sec", "redis_rdb_last_bgsave_duration_sec", "Seconds the last RDB background save took, -1 before the first (INFO persistence rdb_last_bgsave_time_sec).", gauge, asNumber},
	{"rdb_current_bgsave_time_sec", "redis_rdb_current_bgsave_duration_sec", "Seconds the running RDB background save has taken, -1 when none runs (INFO persistence rdb_current_bgsave_time_sec).", gauge, asNumber},
	{"rdb_saves", "redis_rdb_saves_total", "RDB saves since start (INFO persistence rdb_saves).", counter, asNumber},
	{"rdb_last_cow_size", "redis_rdb_last_cow_size_bytes", "Bytes copied on write during the last RDB save (INFO persistence rdb_last_cow_size).", gauge, asNumber},
	{"rdb_last_load_keys_expired", "redis_rdb_last_load_expired_keys", "Keys found expired when the last dump file was loaded (INFO persistence rdb_last_load_keys_expired).", gauge, asNumber},
	{"rdb_last_load_keys_loaded", "redis_rdb_last_load_loaded_keys", "Keys loaded from the last dump file (INFO persistence rdb_last_load_keys_loaded).", gauge, asNumber},
	{"aof_rewrite_in_progress", "redis_aof_rewrite_in_progress", "1 while an AOF rewrite runs (INFO persistence aof_rewrite_in_progress).", gauge, asNumber},
	// Stats
	{"total_connections_received", "redis_connections_received_total", "Connections accepted (INFO stats total_connections_received).", counter, asNumber},
	{"total_commands_processed", "redis_commands_processed_total", "Commands processed (INFO stats total_commands_processed).", counter, asNumber},
	{"total_net_input_bytes", "redis_net_input_bytes_total", "Bytes read from the network (INFO stats total_net_input_bytes).", counter, asNumber},
	{"total_net_output_bytes", "redis_net_output_bytes_total", "Bytes written to the network (INFO stats total_net_output_bytes).", counter, asNumber},
	{"total_net_repl_input_bytes", "redis_net_repl_input_bytes_total", "Bytes read from the network for replication (INFO stats total_net_repl_input_bytes).", counter, asNumber},
	{"total_net_repl_output_bytes", "redis_net_repl_output_bytes_total", "Bytes written to the network for replication (INFO stats total_net_repl_output_bytes).", counter, asNumber},
	{"rejected_connections", "redis_rejected_connections_total", "Connections refused because maxclients was reached (INFO stats rejected_connections).", counter, asNumber},
	{"expired_keys", "redis_expired_keys_total", "Keys removed because their TTL expired (INFO stats expired_keys).", counter, asNumber},
	{"expired_subkeys", "redis_expired_subkeys_total", "Hash fields removed because their TTL expired (INFO stats expired_subkeys).", counter, asNumber},
	{"expired_stale_perc", "redis_expired_stale_percentage", "Estimated percent of keys already expired but not yet removed (INFO stats expired_stale_perc).", gauge, asNumber},
	{"expired_time_cap_reached_count", "redis_expired_time_cap_reached_total", "Active expire cycles stopped early by their time limit (INFO stats expired_time_cap_reached_count).", counter, asNumber},
	{"expire_cycle_cpu_milliseconds", "redis_expire_cycle_cpu_time_ms_total", "Milliseconds of CPU spent in active expiry (INFO stats expire_cycle_cpu_milliseconds).", counter, asNumber},
	{"evicted_keys", "redis_evicted_keys_total", "Keys evicted because of maxmemory; for ksqlDB each one is lost state (INFO stats evicted_keys).", counter, asNumber},
	{"evicted_clients", "redis_evicted_clients_total", "Clients disconnected because of maxmemory-clients (INFO stats evicted_clients).", counter, asNumber},
	{"evicted_scripts", "redis_evicted_scripts_total", "EVAL scripts evicted from the script cache (INFO stats evicted_scripts).", counter, asNumber},
	{"total_eviction_exceeded_time", "redis_eviction_exceeded_time_ms_total", "Milliseconds used_memory was above maxmemory since start (INFO stats total_eviction_exceeded_time).", counter, asNumber},
	{"current_eviction_exceeded_time", "redis_current_eviction_exceeded_time_ms", "Milliseconds used_memory has been above maxmemory, 0 when it is not (INFO stats current_eviction_exceeded_time).", gauge, asNumber},
	{"keyspace_hits", "redis_keyspace_hits_total", "Successful key lookups (INFO stats keyspace_hits).", counter, asNumber},
	{"keyspace_misses", "redis_keyspace_misses_total", "Failed key lookups (INFO stats keyspace_misses).", counter, asNumber},
	{"pubsub_channels", "redis_pubsub_channels", "Pub/sub channels with subscribers (INFO stats pubsub_channels).", gauge, asNumber},
	{"pubsub_patterns", "redis_pubsub_patterns", "Pub/sub patterns with subscribers (INFO stats pubsub_patterns).", gauge, asNumber},
	{"pubsubshard_channels", "redis_pubsubshard_channels", "Shard pub/sub channels with subscribers (INFO stats pubsubshard_channels).", gauge, asNumber},
	{"latest_fork_usec", "redis_latest_fork_seconds", "Duration of the latest fork in seconds (INFO stats latest_fork_usec).", gauge, usecToSeconds},
	{"sync_full", "redis_replica_resyncs_full", "Full resynchronisations this node served to replicas since start (INFO stats sync_full).", gauge, asNumber},
	{"sync_partial_ok", "redis_replica_partial_resync_accepted", "Partial resynchronisations this node accepted since start (INFO stats sync_partial_ok).", gauge, asNumber},
	{"sync_partial_err", "redis_replica_partial_resync_denied", "Partial resynchronisations this node refused since start (INFO stats sync_partial_err).", gauge, asNumber},
	{"active_defrag_hits", "redis_defrag_hits", "Value reallocations by active defragmentation (INFO stats active_defrag_hits).", gauge, asNumber},
	{"active_defrag_misses", "redis_defrag_misses", "Value reallocations active defragmentation started and gave up (INFO stats active_defrag_misses).", gauge, asNumber},
	{"active_defrag_key_hits", "redis_defrag_key_hits", "Keys active defragmentation moved (INFO stats active_defrag_key_hits).", gauge, asNumber},
	{"active_defrag_key_misses", "redis_defrag_key_misses", "Keys active defragmentation skipped (INFO stats active_defrag_key_misses).", gauge, asNumber},
	{"tracking_total_keys", "redis_tracking_total_keys", "Keys tracked for client-side caching (INFO stats tracking_total_keys).", gauge, asNumber},
	{"tracking_total_items", "redis_tracking_total_items", "Client-key pairs tracked for client-side caching (INFO stats tracking_total_items).", gauge, asNumber},
	{"tracking_total_prefixes", "redis_tracking_total_prefixes", "Prefixes tracked for client-side caching (INFO stats tracking_total_prefixes).", gauge, asNumber},
	{"unexpected_error_replies", "redis_unexpected_error_replies", "Error replies of unexpected kinds, from AOF loading or replication (INFO stats unexpected_error_replies).", counter, asNumber},
	{"total_error_replies", "redis_total_error_replies", "Error replies sent (INFO stats total_error_replies).", counter, asNumber},
	{"dump_payload_sanitizations", "redis_dump_payload_sanitizations", "Deep integrity checks of RESTORE payloads (INFO stats dump_payload_sanitizations).", counter, asNumber},
	{"total_reads_processed", "redis_total_reads_processed", "Read events processed (INFO stats total_reads_processed).", counter, asNumber},
	{"total_writes_processed", "redis_total_writes_processed", "Write events processed (INFO stats total_writes_processed).", counter, asNumber},
	{"io_threaded_reads_processed", "redis_io_threaded_reads_processed", "Read events processed by I/O threads (INFO stats io_threaded_reads_processed).", counter, asNumber},
	{"io_threaded_writes_processed", "redis_io_threaded_writes_processed", "Write events processed by I/O threads (INFO stats io_threaded_writes_processed).", counter, asNumber},
	{"client_query_buffer_limit_disconnections", "redis_client_query_buffer_limit_disconnections_total", "Clients disconnected for exceeding the query buffer limit (INFO stats client_query_buffer_limit_disconnections).", counter, asNumber},
	{"client_output_buffer_limit_disconnections", "redis_client_output_buffer_limit_disconnections_total", "Clients disconnected for exceeding the output buffer limit (INFO stats client_output_buffer_limit_disconnections).", counter, asNumber},
	{"reply_buffer_shrinks", "redis_reply_buffer_shrinks_total", "Reply buffers shrunk (INFO stats reply_buffer_shrinks).", counter, asNumber},
	{"reply_buffer_expands", "redis_reply_buffer_expands_total", "Reply buffers grown (INFO stats reply_buffer_expands).", counter, asNumber},
	{"acl_access_denied_auth", "redis_acl_access_denied_auth_total", "Authentications refused (INFO stats acl_access_denied_auth).", counter, asNumber},
	{"acl_access_denied_cmd", "redis_acl_access_denied_cmd_total", "Commands refused by ACL (INFO stats acl_access_denied_cmd).", counter, asNumber},
	{"acl_access_denied_key", "redis_acl_access_denied_key_total", "Key accesses refused by ACL (INFO stats acl_access_denied_key).", counter, asNumber},
	{"acl_access_denied_channel", "redis_acl_access_denied_channel_total", "Channel accesses refused by ACL (INFO stats acl_access_denied_channel).", counter, asNumber},
	{"eventloop_cycles", "redis_eventloop_cycles_total", "Event loop cycles (INFO stats eventloop_cycles).", counter, asNumber},
	{"eventloop_duration_sum", "redis_eventloop_duration_sum_usec_total", "Microseconds spent in the event loop (INFO stats eventloop_duration_sum).", counter, asNumber},
	{"eventloop_duration_cmd_sum", "redis_eventloop_duration_cmd_sum_usec_total", "Microseconds the event loop spent running commands (INFO stats eventloop_duration_cmd_sum).", counter, asNumber},
	{"instantaneous_eventloop_duration_usec", "redis_instantaneous_eventloop_duration_usec", "Microseconds per event loop cycle, as the engine samples it (INFO stats instantaneous_eventloop_duration_usec).", gauge, asNumber},
	// Replication
	{"connected_slaves", "redis_connected_slaves", "Replicas connected to this node (INFO replication connected_slaves).", gauge, asNumber},
	{"master_repl_offset", "redis_master_repl_offset", "Replication offset of this node's replication stream in bytes (INFO replication master_repl_offset).", gauge, asNumber},
	{"second_repl_offset", "redis_second_repl_offset", "Offset up to which the previous replication ID is accepted for partial resyncs, -1 when none (INFO replication second_repl_offset).", gauge, asNumber},
	{"slave_repl_offset", "redis_slave_repl_offset", "Replication offset this replica has processed in bytes (INFO replication slave_repl_offset).", gauge, asNumber},
	{"slave_priority", "redis_slave_priority", "This replica's priority for promotion (INFO replication slave_priority).", gauge, asNumber},
	{"slave_expires_tracked_keys", "redis_slave_expires_tracked_keys", "Keys with a TTL written on this writable replica (INFO replication slave_expires_tracked_keys).", gauge, asNumber},
	{"master_last_io_seconds_ago", "redis_master_last_io_seconds_ago", "Seconds since this replica last heard from its primary (INFO replication master_last_io_seconds_ago).", gauge, asNumber},
	{"master_sync_in_progress", "redis_master_sync_in_progress", "1 while this replica is loading a full sync from its primary (INFO replication master_sync_in_progress).", gauge, asNumber},
	{"repl_backlog_active", "redis_repl_backlog_is_active", "1 when the replication backlog is in use (INFO replication repl_backlog_active).", gauge, asNumber},
	{"repl_backlog_size", "redis_replication_backlog_bytes", "Size of the replication backlog in bytes (INFO replication repl_backlog_size).", gauge, asNumber},
	{"repl_backlog_first_byte_offset", "redis_repl_backlog_first_byte_offset", "Replication offset of the backlog's first byte (INFO replication repl_backlog_first_byte_offset).", gauge, asNumber},
	{"repl_backlog_histlen", "redis_repl_backlog_history_bytes", "Bytes of replication stream the backlog holds (INFO replication repl_backlog_histlen).", gauge, asNumber},
	// CPU
	{"used_cpu_sys", "redis_cpu_sys_seconds_total", "System CPU seconds of the engine process (INFO cpu used_cpu_sys).", counter, asNumber},
	{"used_cpu_user", "redis_cpu_user_seconds_total", "User CPU seconds of the engine process (INFO cpu used_cpu_user).", counter, asNumber},
	{"used_cpu_sys_children", "redis_cpu_sys_children_seconds_total", "System CPU seconds of the engine's children: forks for backups and full syncs (INFO cpu used_cpu_sys_children).", counter, asNumber},
	{"used_cpu_user_children", "redis_cpu_user_children_seconds_total", "User CPU seconds of the engine's children: forks for backups and full syncs (INFO cpu used_cpu_user_children).", counter, asNumber},
	{"used_cpu_sys_main_thread", "redis_cpu_sys_main_thread_seconds_total", "System CPU seconds of the engine's main thread, the engine CPU (INFO cpu used_cpu_sys_main_thread).", counter, asNumber},
	{"used_cpu_user_main_thread", "redis_cpu_user_main_thread_seconds_total", "User CPU seconds of the engine's main thread, the engine CPU (INFO cpu used_cpu_user_main_thread).", counter, asNumber},
	// Cluster
	{"cluster_enabled", "redis_cluster_enabled", "1 when cluster mode is enabled (INFO cluster cluster_enabled).", gauge, asNumber},
}

// clusterInfoMetrics come from CLUSTER INFO, read only in cluster mode.
var clusterInfoMetrics = append([]infoMetric{
	{"cluster_slots_assigned", "redis_cluster_slots_assigned", "Hash slots assigned to some node (CLUSTER INFO cluster_slots_assigned).", gauge, asNumber},
	{"cluster_slots_ok", "redis_cluster_slots_ok", "Hash slots whose node is healthy (CLUSTER INFO cluster_slots_ok).", gauge, asNumber},
	{"cluster_slots_pfail", "redis_cluster_slots_pfail", "Hash slots whose node is possibly failing (CLUSTER INFO cluster_slots_pfail).", gauge, asNumber},
	{"cluster_slots_fail", "redis_cluster_slots_fail", "Hash slots whose node failed (CLUSTER INFO cluster_slots_fail).", gauge, asNumber},
	{"cluster_known_nodes", "redis_cluster_known_nodes", "Nodes this node knows, itself included (CLUSTER INFO cluster_known_nodes).", gauge, asNumber},
	{"cluster_size", "redis_cluster_size", "Primaries serving at least one slot (CLUSTER INFO cluster_size).", gauge, asNumber},
	{"cluster_current_epoch", "redis_cluster_current_epoch", "The cluster's current epoch (CLUSTER INFO cluster_current_epoch).", gauge, asNumber},
	{"cluster_my_epoch", "redis_cluster_my_epoch", "This node's config epoch (CLUSTER INFO cluster_my_epoch).", gauge, asNumber},
	{"cluster_stats_messages_sent", "redis_cluster_messages_sent_total", "Messages this node sent on the cluster bus (CLUSTER INFO cluster_stats_messages_sent).", counter, asNumber},
	{"cluster_stats_messages_received", "redis_cluster_messages_received_total", "Messages this node received on the cluster bus (CLUSTER INFO cluster_stats_messages_received).", counter, asNumber},
}, clusterMessageMetrics()...)

// clusterMessageTypes are the cluster bus message types CLUSTER INFO
// counts (cluster_stats_messages_<type>_sent/_received). The list is fixed
// so a node cannot make up families; redis_exporter's names replace '-'
// with '_'.
var clusterMessageTypes = []string{"ping", "pong", "meet", "fail", "publish", "publishshard", "auth-req", "auth-ack", "update", "mfstart", "module"}

func clusterMessageMetrics() []infoMetric {
	var out []infoMetric
	for _, typ := range clusterMessageTypes {
		for _, dir := range []string{"sent", "received"} {
			field := "cluster_stats_messages_" + typ + "_" + dir
			out = append(out, infoMetric{field, "redis_cluster_stats_messages_" + metricNamePart(typ) + "_" + dir,
				"Cluster bus messages of type " + typ + " " + dir + " by this node (CLUSTER INFO " + field + ").", gauge, asNumber})
		}
	}
	return out
}

// metricNamePart replaces what a metric name cannot hold with '_'.
func metricNamePart(s string) string {
	b := []byte(s)
	for i, c := range b {
		if (c < 'a' || c > 'z') && (c < '0' || c > '9') && c != '_' {
			b[i] = '_'
		}
	}
	return string(b)
}

// CompatNames are the families kept under redis_exporter's names although
// Prometheus' naming lint (promtool check metrics) objects: counters
// without _total, and units abbreviated as _sec and _ms. Renaming them
// would break the dashboards and alerts written for redis_exporter; tests
// that lint an exposition ignore exactly these.
var CompatNames = []string{
	"redis_unexpected_error_replies",
	"redis_total_error_replies",
	"redis_dump_payload_sanitizations",
	"redis_total_reads_processed",
	"redis_total_writes_processed",
	"redis_io_threaded_reads_processed",
	"redis_io_threaded_writes_processed",
	"redis_rdb_last_bgsave_duration_sec",
	"redis_rdb_current_bgsave_duration_sec",
	"redis_current_eviction_exceeded_time_ms",
	"redis_eviction_exceeded_time_ms_total",
	"redis_expire_cycle_cpu_time_ms_total",
}

// emitInfoFields emits the table families of one INFO or CLUSTER INFO
// reply; descs is aligned with ms.
func emitInfoFields(e nodeEmitter, info redisinfo.Info, ms []infoMetric, descs []*prometheus.Desc) {
	for i := range ms {
		if v, ok := infoValue(info, &ms[i]); ok {
			e.metric(descs[i], ms[i].typ, v)
		}
	}
}

func infoValue(info redisinfo.Info, m *infoMetric) (float64, bool) {
	switch m.conv {
	case okStatus:
		switch info.Fields[m.field] {
		case "ok":
			return 1, true
		case "err", "fail":
			return 0, true
		}
		return 0, false
	case usecToSeconds:
		v, ok := info.Float(m.field)
		return v / 1e6, ok
	}
	return info.Float(m.field)
}

// emitInstanceInfo emits redis_instance_info with redis_exporter's labels
// (role as INFO writes it: master or slave) and the engine's own name and
// version: Valkey reports redis_version 7.2.4 (the Redis compatibility
// level) whatever its version, and Valkey 8 writes server_mode, not
// redis_mode.
func emitInstanceInfo(e nodeEmitter, r *NodeRead) {
	f := r.Info.Fields
	role := f["role"]
	if role == "" {
		switch r.Node.Role {
		case topology.RolePrimary:
			role = "master"
		case topology.RoleReplica:
			role = "slave"
		}
	}
	engine, version := "redis", f["redis_version"]
	if name := f["server_name"]; name != "" && name != "redis" {
		engine, version = name, f[name+"_version"]
	}
	mode := f["redis_mode"]
	if mode == "" {
		mode = f["server_mode"]
	}
	e.gauge(instanceInfoDesc, 1, role, f["redis_version"], f["redis_build_id"], mode, f["os"], f["maxmemory_policy"],
		f["tcp_port"], f["run_id"], f["process_id"], f["master_replid"], f["valkey_version"], engine, version)
	if up, ok := r.Info.Float("uptime_in_seconds"); ok && !r.ReadAt.IsZero() {
		e.gauge(startTimeDesc, float64(r.ReadAt.Unix())-up)
	}
}

// maxReplicaLines bounds the slaveN lines read from one primary's INFO:
// ElastiCache allows 5 replicas per shard, Redis a few hundred in theory;
// a reply claiming thousands would only make series.
const maxReplicaLines = 32

// emitReplication emits redis_exporter's per-link families: on a replica
// redis_slave_info, on a primary redis_connected_slave_offset_bytes and
// _lag_seconds per replica line (our redis_replica_lag_* compare both ends
// of the link instead).
func emitReplication(e nodeEmitter, info redisinfo.Info) {
	if info.Role() == "slave" {
		e.gauge(slaveInfoDesc, 1, info.Fields["master_host"], info.Fields["master_port"], info.Fields["slave_read_only"])
		return
	}
	if n, _ := info.Float("connected_slaves"); n < 1 {
		return
	}
	seen := map[[3]string]bool{}
	info.Each("replication", func(k, v string) {
		if len(seen) >= maxReplicaLines || !isReplicaLine(k) {
			return
		}
		line, err := redisinfo.ParseReplicaLine(v)
		if err != nil {
			return
		}
		key := [3]string{LabelValue(line.IP), strconv.Itoa(line.Port), LabelValue(line.State)}
		if seen[key] {
			return
		}
		seen[key] = true
		e.gauge(connectedSlaveOffsetDesc, float64(line.Offset), key[:]...)
		e.gauge(connectedSlaveLagDesc, float64(line.LagSeconds), key[:]...)
	})
}

// isReplicaLine matches slave0, slave1, … of INFO replication.
func isReplicaLine(k string) bool {
	n, ok := strings.CutPrefix(k, "slave")
	if !ok || n == "" {
		return false
	}
	for _, c := range n {
		if c < '0' || c > '9' {
			return false
		}
	}
	return true
}

// emitLatency emits the latency families of one node: INFO latencystats
// as the summary redis_latency_percentiles_usec (count and sum from this
// round's commandstats, as redis_exporter has them) and LATENCY HISTOGRAM
// as the histogram redis_commands_latencies_usec (count and sum of the
// read that took it), both only for the commands the commandstats policy
// kept; and LATENCY LATEST as redis_latency_spike_* per event. What the
// node did not send is absent. The snapshot is parsed and deduplicated
// already (newLatencySnapshot); this only builds the series.
func emitLatency(e nodeEmitter, r *NodeRead, commands []commandStat) {
	l := &r.Latency
	if len(commands) > 0 && (len(l.Percentiles) > 0 || len(l.Histograms) > 0) {
		index := make(map[string]*commandStat, len(commands))
		for i := range commands {
			index[commands[i].cmd] = &commands[i]
		}
		for _, p := range l.Percentiles {
			if st, ok := index[p.Cmd]; ok {
				e.summary(latencyPercentilesDesc, count(st.calls), st.usec, p.Quantiles, p.Cmd)
			}
		}
		for _, h := range l.Histograms {
			if _, ok := index[h.Cmd]; ok {
				e.histogram(commandsLatenciesDesc, h.Calls, h.SumUsec, h.Buckets, h.Cmd)
			}
		}
	}
	if len(l.Latest) > 0 {
		done := make(map[string]bool, len(l.Latest))
		for _, ev := range l.Latest {
			name := LabelValue(ev.Name)
			if done[name] {
				continue
			}
			done[name] = true
			e.gauge(latencySpikeLastDesc, float64(ev.LastUnix), name)
			e.gauge(latencySpikeDurationDesc, float64(ev.LatestMs)/1e3, name)
		}
	}
}

// count turns a commandstats total into a sample count (never negative).
func count(v float64) uint64 {
	if !(v > 0) {
		return 0
	}
	if v >= math.MaxUint64 {
		return math.MaxUint64
	}
	return uint64(v)
}

// summary and histogram emit the two families that are not plain samples,
// as fast distributions the encoder writes without protobuf (sample.go).
// Label values from the node go through LabelValue; a sample the encoder
// refuses is dropped and counted, never a panic.
func (e nodeEmitter) summary(d *prometheus.Desc, n uint64, sum float64, quantiles map[float64]float64, extra ...string) {
	e.emit(newFastSummary(d, n, sum, quantiles, e.labelValues(extra)))
}

func (e nodeEmitter) histogram(d *prometheus.Desc, n uint64, sum float64, buckets map[float64]uint64, extra ...string) {
	e.emit(newFastHistogram(d, n, sum, buckets, e.labelValues(extra)))
}

func (e nodeEmitter) labelValues(extra []string) []string {
	labels := make([]string, 0, 2+len(extra))
	labels = append(labels, e.name, e.shard)
	for _, x := range extra {
		labels = append(labels, LabelValue(x))
	}
	return labels
}
