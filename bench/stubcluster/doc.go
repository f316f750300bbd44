// Package stubcluster impersonates a Redis Cluster of S shards × R nodes on
// loopback ports (127.0.0.1 or ::1), for the scale benchmark (bench/scale):
// one process, one listener per node, no cluster bus, no data. Each port
// answers as one node of a consistent cluster the commands an exporter
// sends: HELLO, AUTH, CLIENT SETNAME/GETNAME, INFO (any sections), CLUSTER
// SHARDS/NODES/INFO/SLOTS, SLOWLOG GET/LEN, LATENCY LATEST/HISTOGRAM, PING,
// SELECT, DBSIZE, COMMAND COUNT; CONFIG is refused the way ElastiCache
// refuses it, anything else with Redis's unknown-command error.
//
// Every reply comes from templates captured from a real redis-server 7.0
// cluster under a ksqlDB-like workload (TestCapture, `-capture`, writes
// templates/); the stub substitutes what differs per node (run_id, port,
// node id, role, replication offsets, slot ranges, connection and command
// counters) so the topology every node reports is the same. It counts the
// connections each node accepted and the commands it served, for the
// benchmark's report.
package stubcluster
