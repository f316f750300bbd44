package topology

import (
	"context"
	"sync"

	"github.com/elasticache-exporter/elasticache-exporter/internal/redisinfo"
)

// FillRoles asks every node whose role is unknown for it (INFO
// replication). ElastiCache's API reports no roles in cluster mode; the
// nodes know. A node that does not answer keeps an empty role and is
// reported down by the scrape. It runs at discovery, never per scrape.
func FillRoles(ctx context.Context, t *Topology, clients ClientSource) {
	var wg sync.WaitGroup
	var mu sync.Mutex
	for i := range t.Nodes {
		if t.Nodes[i].Role != "" {
			continue
		}
		wg.Add(1)
		go func(n *Node) {
			defer wg.Done()
			text, err := clients.Client(n.Addr, n.ServerName).Info(ctx, "replication").Result()
			if err != nil {
				return
			}
			info, err := redisinfo.Parse(text)
			if err != nil {
				return
			}
			mu.Lock()
			defer mu.Unlock()
			switch info.Role() {
			case "master":
				n.Role = RolePrimary
			case "slave":
				n.Role = RoleReplica
			}
		}(&t.Nodes[i])
	}
	wg.Wait()
	primaryOf := map[string]string{}
	for _, n := range t.Nodes {
		if n.Role == RolePrimary {
			primaryOf[n.Shard] = n.Name
		}
	}
	for i := range t.Nodes {
		if t.Nodes[i].Role == RoleReplica && t.Nodes[i].PrimaryName == "" {
			t.Nodes[i].PrimaryName = primaryOf[t.Nodes[i].Shard]
		}
	}
	for i := range t.Shards {
		if t.Shards[i].Primary == "" {
			t.Shards[i].Primary = primaryOf[t.Shards[i].Name]
		}
	}
}
