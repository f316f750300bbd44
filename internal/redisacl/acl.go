// Package redisacl owns the Redis ACL of the exporter's own user: the list
// of commands elasticache-exporter sends to a node, written once, and the
// access string made from it (ElastiCache RBAC, ACL SETUSER). The Terraform
// module's exporter user gets it from exporter_acl.tf, which ./gen
// writes from this list; the package's tests run the exporter's discovery,
// scrape and slow-log reads as a user holding exactly these rules against
// real redis-server processes, so a command added to the code without
// being added here fails them.
package redisacl

import "strings"

// Command is one command (or subcommand) the exporter sends.
type Command struct {
	// ACL is the name ACL rules use: "info", "cluster|shards".
	ACL string
	// SentBy names the code that sends it and why.
	SentBy string
	// Fallback marks commands sent only to engines that refuse the first
	// choice: CLUSTER NODES where CLUSTER SHARDS is unknown (before Redis
	// 7.0). Redis 7 never sees them from the exporter, an older engine
	// would.
	Fallback bool
}

// Commands are the commands the exporter sends, besides AUTH and HELLO,
// which Redis runs for any client (they are how a client becomes a user)
// and ACL rules cannot take away. Nothing here writes, nothing is on
// ElastiCache's restricted list, and none of them touches a key.
var Commands = []Command{
	{ACL: "info", SentBy: "internal/collect (every scrape: INFO with the sections it exports), internal/topology (discovery: INFO server, replication, cluster; roles)"},
	{ACL: "cluster|info", SentBy: "internal/collect (every scrape of a cluster-mode node, pipelined with INFO)"},
	{ACL: "cluster|shards", SentBy: "internal/topology (discovery in cluster mode)"},
	{ACL: "cluster|nodes", SentBy: "internal/topology (discovery in cluster mode when CLUSTER SHARDS is unknown)", Fallback: true},
	{ACL: "latency|histogram", SentBy: "internal/collect (every scrape, pipelined with INFO: redis_commands_latencies_usec; not sent again to a node that refused it)"},
	{ACL: "latency|latest", SentBy: "internal/collect (every scrape, pipelined with INFO: redis_latency_spike_*; not sent again to a node that refused it)"},
	{ACL: "slowlog|get", SentBy: "internal/slowlog (SLOWLOG GET 1 every scrape, SLOWLOG GET n for new entries)"},
	{ACL: "slowlog|len", SentBy: "internal/slowlog (every scrape, pipelined with SLOWLOG GET 1)"},
	{ACL: "ping", SentBy: "internal/app (warming the connection of a newly discovered node)"},
	{ACL: "client|setname", SentBy: "go-redis connection setup: CLIENT SETNAME <redis.client_name> on every new connection, after HELLO (a refusal fails the connection)"},
}

// Rules are the ACL rules of the exporter's user without its password: the
// user is on, may run no command but Commands, and may touch no key and no
// Pub/Sub channel (none are granted).
func Rules() []string {
	rules := []string{"on", "-@all"}
	for _, c := range Commands {
		rules = append(rules, "+"+c.ACL)
	}
	return rules
}

// AccessString is Rules as one ElastiCache RBAC access string
// ("on -@all +info ..."), the exporter user's access_string in the
// Terraform module.
func AccessString() string { return strings.Join(Rules(), " ") }
