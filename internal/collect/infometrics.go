package collect

import "github.com/prometheus/client_golang/prometheus"

// infoMetric maps one numeric INFO field to a metric. Names follow
// redis_exporter so Grafana dashboard 763 and the redis-mixin keep working.
type infoMetric struct {
	field string
	name  string
	help  string
	typ   prometheus.ValueType
}

var infoMetrics = []infoMetric{
	// Server
	{"uptime_in_seconds", "redis_uptime_in_seconds", "Seconds since the node started (INFO server uptime_in_seconds).", prometheus.GaugeValue},
	// Clients
	{"connected_clients", "redis_connected_clients", "Client connections, replicas excluded (INFO clients connected_clients).", prometheus.GaugeValue},
	{"blocked_clients", "redis_blocked_clients", "Clients blocked in BLPOP and similar commands (INFO clients blocked_clients).", prometheus.GaugeValue},
	// Memory
	{"used_memory", "redis_memory_used_bytes", "Bytes allocated by Redis (INFO memory used_memory).", prometheus.GaugeValue},
	{"used_memory_rss", "redis_memory_used_rss_bytes", "Resident set size of the Redis process in bytes (INFO memory used_memory_rss).", prometheus.GaugeValue},
	{"used_memory_peak", "redis_memory_used_peak_bytes", "Peak of used_memory in bytes (INFO memory used_memory_peak).", prometheus.GaugeValue},
	{"maxmemory", "redis_memory_max_bytes", "The maxmemory setting in bytes; 0 means no limit (INFO memory maxmemory).", prometheus.GaugeValue},
	{"mem_fragmentation_ratio", "redis_mem_fragmentation_ratio", "RSS divided by used memory (INFO memory mem_fragmentation_ratio).", prometheus.GaugeValue},
	// Persistence
	{"rdb_changes_since_last_save", "redis_rdb_changes_since_last_save", "Writes since the last RDB save (INFO persistence rdb_changes_since_last_save).", prometheus.GaugeValue},
	{"rdb_bgsave_in_progress", "redis_rdb_bgsave_in_progress", "1 while an RDB background save runs (INFO persistence rdb_bgsave_in_progress).", prometheus.GaugeValue},
	{"rdb_last_save_time", "redis_rdb_last_save_timestamp_seconds", "Unix time of the last successful RDB save (INFO persistence rdb_last_save_time).", prometheus.GaugeValue},
	{"aof_rewrite_in_progress", "redis_aof_rewrite_in_progress", "1 while an AOF rewrite runs (INFO persistence aof_rewrite_in_progress).", prometheus.GaugeValue},
	// Stats
	{"total_connections_received", "redis_connections_received_total", "Connections accepted (INFO stats total_connections_received).", prometheus.CounterValue},
	{"total_commands_processed", "redis_commands_processed_total", "Commands processed (INFO stats total_commands_processed).", prometheus.CounterValue},
	{"total_net_input_bytes", "redis_net_input_bytes_total", "Bytes read from the network (INFO stats total_net_input_bytes).", prometheus.CounterValue},
	{"total_net_output_bytes", "redis_net_output_bytes_total", "Bytes written to the network (INFO stats total_net_output_bytes).", prometheus.CounterValue},
	{"rejected_connections", "redis_rejected_connections_total", "Connections refused because maxclients was reached (INFO stats rejected_connections).", prometheus.CounterValue},
	{"expired_keys", "redis_expired_keys_total", "Keys removed because their TTL expired (INFO stats expired_keys).", prometheus.CounterValue},
	{"evicted_keys", "redis_evicted_keys_total", "Keys evicted because of maxmemory; for ksqlDB each one is lost state (INFO stats evicted_keys).", prometheus.CounterValue},
	{"keyspace_hits", "redis_keyspace_hits_total", "Successful key lookups (INFO stats keyspace_hits).", prometheus.CounterValue},
	{"keyspace_misses", "redis_keyspace_misses_total", "Failed key lookups (INFO stats keyspace_misses).", prometheus.CounterValue},
	{"latest_fork_usec", "redis_latest_fork_seconds", "Duration of the latest fork in seconds (INFO stats latest_fork_usec).", prometheus.GaugeValue},
	{"sync_full", "redis_sync_full_total", "Full resynchronisations served to replicas (INFO stats sync_full).", prometheus.CounterValue},
	{"sync_partial_ok", "redis_sync_partial_ok_total", "Partial resynchronisations accepted (INFO stats sync_partial_ok).", prometheus.CounterValue},
	{"sync_partial_err", "redis_sync_partial_err_total", "Partial resynchronisations refused (INFO stats sync_partial_err).", prometheus.CounterValue},
	// Replication
	{"connected_slaves", "redis_connected_slaves", "Replicas connected to this node (INFO replication connected_slaves).", prometheus.GaugeValue},
	{"master_repl_offset", "redis_master_repl_offset", "Replication offset of this node's replication stream in bytes (INFO replication master_repl_offset).", prometheus.GaugeValue},
	{"slave_repl_offset", "redis_slave_repl_offset", "Replication offset this replica has processed in bytes (INFO replication slave_repl_offset).", prometheus.GaugeValue},
	{"master_last_io_seconds_ago", "redis_master_last_io_seconds_ago", "Seconds since this replica last heard from its primary (INFO replication master_last_io_seconds_ago).", prometheus.GaugeValue},
	{"master_sync_in_progress", "redis_master_sync_in_progress", "1 while this replica is loading a full sync from its primary (INFO replication master_sync_in_progress).", prometheus.GaugeValue},
	{"repl_backlog_size", "redis_replication_backlog_bytes", "Size of the replication backlog in bytes (INFO replication repl_backlog_size).", prometheus.GaugeValue},
	// CPU
	{"used_cpu_sys", "redis_cpu_sys_seconds_total", "System CPU seconds of the Redis process (INFO cpu used_cpu_sys).", prometheus.CounterValue},
	{"used_cpu_user", "redis_cpu_user_seconds_total", "User CPU seconds of the Redis process (INFO cpu used_cpu_user).", prometheus.CounterValue},
	{"used_cpu_sys_main_thread", "redis_cpu_sys_main_thread_seconds_total", "System CPU seconds of Redis' main thread, the engine CPU (INFO cpu used_cpu_sys_main_thread).", prometheus.CounterValue},
	{"used_cpu_user_main_thread", "redis_cpu_user_main_thread_seconds_total", "User CPU seconds of Redis' main thread, the engine CPU (INFO cpu used_cpu_user_main_thread).", prometheus.CounterValue},
	// Cluster
	{"cluster_enabled", "redis_cluster_enabled", "1 when cluster mode is enabled (INFO cluster cluster_enabled).", prometheus.GaugeValue},
}

// scale converts INFO's units to base units where the name says seconds.
var scale = map[string]float64{"latest_fork_usec": 1e-6}

// clusterInfoMetrics come from CLUSTER INFO, read only in cluster mode.
var clusterInfoMetrics = []infoMetric{
	{"cluster_slots_assigned", "redis_cluster_slots_assigned", "Hash slots assigned to some node (CLUSTER INFO cluster_slots_assigned).", prometheus.GaugeValue},
	{"cluster_slots_ok", "redis_cluster_slots_ok", "Hash slots whose node is healthy (CLUSTER INFO cluster_slots_ok).", prometheus.GaugeValue},
	{"cluster_slots_pfail", "redis_cluster_slots_pfail", "Hash slots whose node is possibly failing (CLUSTER INFO cluster_slots_pfail).", prometheus.GaugeValue},
	{"cluster_slots_fail", "redis_cluster_slots_fail", "Hash slots whose node failed (CLUSTER INFO cluster_slots_fail).", prometheus.GaugeValue},
	{"cluster_known_nodes", "redis_cluster_known_nodes", "Nodes this node knows, itself included (CLUSTER INFO cluster_known_nodes).", prometheus.GaugeValue},
	{"cluster_size", "redis_cluster_size", "Primaries serving at least one slot (CLUSTER INFO cluster_size).", prometheus.GaugeValue},
	{"cluster_current_epoch", "redis_cluster_current_epoch", "The cluster's current epoch (CLUSTER INFO cluster_current_epoch).", prometheus.GaugeValue},
}
