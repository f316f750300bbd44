package dashboards

import "strings"

// The label matchers every query starts from. replication_group is a
// target label (the chart's ServiceMonitor adds it), node and shard come
// from the exporter.
const (
	selGroup = `job=~"$job", replication_group=~"$replication_group"`
	selShard = selGroup + `, shard=~"$shard"`
	selNode  = selShard + `, node=~"$node"`
	// Slow log series carry node but not shard; the node variable already
	// holds only the nodes of the chosen shards.
	selNodeNoShard = selGroup + `, node=~"$node"`
)

// sel renders metric{matchers}.
func sel(metric, matchers string) string { return metric + "{" + matchers + "}" }

// variables are the template variables shared by every dashboard. Each is
// chained to the ones before it so that picking a group narrows the shards
// and picking a shard narrows the nodes.
func variables() []Variable {
	return []Variable{
		{
			Name: "job", Label: "Job", Query: `label_values(redis_up, job)`, AllValue: ".*",
			Description: "Prometheus job of the exporter's targets.",
		},
		{
			Name: "replication_group", Label: "Replication group",
			Query:       `label_values(redis_up{job=~"$job"}, replication_group)`,
			AllValue:    ".*",
			Description: "ElastiCache replication group: the replication_group target label the chart's ServiceMonitor adds (replicationGroupId). All also matches series without the label.",
		},
		{
			Name: "shard", Label: "Shard",
			Query:       `label_values(redis_up{` + selGroup + `}, shard)`,
			Description: "Shard: the node group id when the group is adopted, 0 in cluster mode disabled, the slot range in cluster mode.",
		},
		{
			Name: "node", Label: "Node",
			Query:       `label_values(redis_up{` + selShard + `}, node)`,
			Description: "Node: the member cache cluster id when adopted, otherwise host:port.",
		},
	}
}

func row(title string) Panel { return Panel{Type: "row", Title: title} }

// legendNode labels a per-node series.
const legendNode = "{{shard}} / {{node}}"

// join joins description sentences.
func join(s ...string) string { return strings.Join(s, " ") }

// All returns every dashboard, in file order.
func All() []Dashboard {
	return []Dashboard{overview(), replication(), slowlogDashboard(), cloudwatchDashboard()}
}
