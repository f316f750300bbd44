package redistest

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/redis/go-redis/v9/maintnotifications"
)

// totalSlots is Redis Cluster's fixed hash slot count.
const totalSlots = 16384

// Cluster is a cluster-mode-enabled group: shards of one primary and
// replicas each, the slots split evenly over the shards in order.
type Cluster struct {
	// Nodes are all servers, shard by shard: shard 0's primary, its
	// replicas, shard 1's primary, ...
	Nodes  []*Server
	Shards []Shard
}

// Shard is one primary, its replicas and its slot range as created. After
// a failover the roles in Redis differ from these fields.
type Shard struct {
	Primary   *Server
	Replicas  []*Server
	FirstSlot int
	LastSlot  int
}

// NewCluster starts shards*(1+replicasPerShard) nodes with cluster-enabled
// yes and joins them itself with CLUSTER commands (faster than redis-cli
// --cluster create, and no password on a command line): unique config
// epochs, ADDSLOTSRANGE, MEET between every pair, REPLICATE. It returns
// once every node reports cluster_state:ok with all 16384 slots, sees every
// node with its final role, and every replica's link is up. That takes
// about 3 s, mostly Redis's own 2 s delay before a new primary declares the
// cluster ok (CLUSTER_WRITABLE_DELAY) and gossip spreading the replica roles.
func NewCluster(t testing.TB, shards, replicasPerShard int, o Options) *Cluster {
	t.Helper()
	o.require(t)
	if shards < 1 || replicasPerShard < 0 {
		t.Fatalf("redistest: NewCluster(shards=%d, replicasPerShard=%d): need at least 1 shard and 0 or more replicas", shards, replicasPerShard)
	}
	var files *TLSFiles
	if o.TLS {
		files = NewTLSFiles(t)
	}
	c := &Cluster{}
	for i := range shards {
		sh := Shard{
			Primary:   newServer(t, fmt.Sprintf("shard %d primary", i), o, files),
			FirstSlot: i * totalSlots / shards,
			LastSlot:  (i+1)*totalSlots/shards - 1,
		}
		c.Nodes = append(c.Nodes, sh.Primary)
		for j := range replicasPerShard {
			rep := newServer(t, fmt.Sprintf("shard %d replica %d", i, j), o, files)
			sh.Replicas = append(sh.Replicas, rep)
			c.Nodes = append(c.Nodes, rep)
		}
		c.Shards = append(c.Shards, sh)
	}
	for _, n := range c.Nodes {
		n.cfg.cluster = true
	}
	register(t, c.Nodes...)

	if err := startAll(c.Nodes); err != nil {
		t.Fatalf("redistest: cluster: %v", err)
	}
	if err := c.create(); err != nil {
		t.Fatalf("redistest: cluster: %v", err)
	}
	if err := c.waitHealthy(readyTimeout, true); err != nil {
		t.Fatalf("redistest: cluster: %v", err)
	}
	return c
}

// create turns the started nodes into one cluster.
func (c *Cluster) create() error {
	ctx, cancel := context.WithTimeout(context.Background(), readyTimeout)
	defer cancel()
	for _, n := range c.Nodes {
		id, err := n.adminClient().Do(ctx, "CLUSTER", "MYID").Text()
		if err != nil {
			return fmt.Errorf("%s CLUSTER MYID: %w", n.name, err)
		}
		n.NodeID = id
	}
	// Distinct epochs before the nodes meet, as redis-cli does, so that the
	// slot owners need no epoch-collision resolution.
	for i, sh := range c.Shards {
		p := sh.Primary.adminClient()
		if err := p.Do(ctx, "CLUSTER", "SET-CONFIG-EPOCH", i+1).Err(); err != nil {
			return fmt.Errorf("%s CLUSTER SET-CONFIG-EPOCH: %w", sh.Primary.name, err)
		}
		if err := p.Do(ctx, "CLUSTER", "ADDSLOTSRANGE", sh.FirstSlot, sh.LastSlot).Err(); err != nil {
			return fmt.Errorf("%s CLUSTER ADDSLOTSRANGE %d %d: %w", sh.Primary.name, sh.FirstSlot, sh.LastSlot, err)
		}
	}
	// Every pair meets directly instead of waiting for gossip to spread
	// the news, which takes seconds.
	for i, a := range c.Nodes {
		for _, b := range c.Nodes[:i] {
			if err := a.adminClient().Do(ctx, "CLUSTER", "MEET", "127.0.0.1", b.Port).Err(); err != nil {
				return fmt.Errorf("%s CLUSTER MEET %s: %w", a.name, b.Addr, err)
			}
		}
	}
	// REPLICATE needs the replica to know its primary's ID.
	if err := poll(readyTimeout, c.allKnown); err != nil {
		return fmt.Errorf("nodes meeting: %w", err)
	}
	for _, sh := range c.Shards {
		for _, rep := range sh.Replicas {
			if err := rep.adminClient().Do(ctx, "CLUSTER", "REPLICATE", sh.Primary.NodeID).Err(); err != nil {
				return fmt.Errorf("%s CLUSTER REPLICATE %s: %w", rep.name, sh.Primary.NodeID, err)
			}
		}
	}
	return nil
}

// allKnown reports whether every node lists every other node as
// connected, past the handshake.
func (c *Cluster) allKnown() (bool, string) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	for _, n := range c.Nodes {
		nodes, err := n.clusterNodes(ctx)
		if err != nil {
			return false, err.Error()
		}
		if len(nodes) != len(c.Nodes) {
			return false, fmt.Sprintf("%s knows %d of %d nodes", n.name, len(nodes), len(c.Nodes))
		}
		for _, e := range nodes {
			if e.hasFlag("handshake") || e.hasFlag("noaddr") || e.linkState != "connected" {
				return false, fmt.Sprintf("%s sees %s flags %s link %s", n.name, e.addr, strings.Join(e.flags, ","), e.linkState)
			}
		}
	}
	return true, ""
}

// WaitHealthy waits until every running node reports cluster_state:ok and
// every running replica's link is up, e.g. after Restart or a failover.
func (c *Cluster) WaitHealthy(t testing.TB, timeout time.Duration) {
	t.Helper()
	if err := c.waitHealthy(timeout, false); err != nil {
		t.Fatalf("redistest: cluster: %v", err)
	}
}

// waitHealthy checks cluster_state:ok and all slots on every running node
// and the links of replicas; asCreated also requires every node to see the
// roles NewCluster set up (which a failover legitimately changes).
func (c *Cluster) waitHealthy(timeout time.Duration, asCreated bool) error {
	return poll(timeout, func() (bool, string) {
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		defer cancel()
		for _, n := range c.Nodes {
			if !n.Running() {
				continue
			}
			text, err := n.adminClient().ClusterInfo(ctx).Result()
			if err != nil {
				return false, fmt.Sprintf("%s CLUSTER INFO: %v", n.name, err)
			}
			ci := parseInfo(text)
			if ci["cluster_state"] != "ok" || ci["cluster_slots_assigned"] != "16384" || ci["cluster_slots_ok"] != "16384" {
				return false, fmt.Sprintf("%s cluster_state:%s slots_assigned:%s slots_ok:%s", n.name, ci["cluster_state"], ci["cluster_slots_assigned"], ci["cluster_slots_ok"])
			}
			repl, err := n.info(ctx, "replication")
			if err != nil {
				return false, err.Error()
			}
			if repl["role"] == "slave" && repl["master_link_status"] != "up" {
				return false, fmt.Sprintf("%s master_link_status:%s", n.name, repl["master_link_status"])
			}
			if !asCreated {
				continue
			}
			nodes, err := n.clusterNodes(ctx)
			if err != nil {
				return false, err.Error()
			}
			byID := map[string]clusterNode{}
			for _, e := range nodes {
				byID[e.id] = e
			}
			for _, sh := range c.Shards {
				for _, rep := range sh.Replicas {
					if e := byID[rep.NodeID]; !e.hasFlag("slave") || e.primaryID != sh.Primary.NodeID {
						return false, fmt.Sprintf("%s does not yet see %s as replica of %s (flags %v, master %q)", n.name, rep.name, sh.Primary.name, e.flags, e.primaryID)
					}
				}
			}
		}
		return true, ""
	})
}

// Client is a go-redis cluster client seeded with every node, closed when
// the test ends.
func (c *Cluster) Client(t testing.TB) *redis.ClusterClient {
	cc := redis.NewClusterClient(c.ClientOptions())
	t.Cleanup(func() { _ = cc.Close() })
	return cc
}

// ClientOptions are go-redis cluster options for this cluster.
func (c *Cluster) ClientOptions() *redis.ClusterOptions {
	n := c.Nodes[0]
	o := &redis.ClusterOptions{
		Password:                 n.cfg.password,
		DisableIdentity:          true,
		MaintNotificationsConfig: &maintnotifications.Config{Mode: maintnotifications.ModeDisabled},
	}
	for _, s := range c.Nodes {
		o.Addrs = append(o.Addrs, s.Addr)
	}
	if n.tlsFiles != nil {
		o.TLSConfig = n.tlsFiles.ClientConfig()
	}
	return o
}

// Primaries are the servers created as primaries, shard by shard.
func (c *Cluster) Primaries() []*Server {
	var ps []*Server
	for _, sh := range c.Shards {
		ps = append(ps, sh.Primary)
	}
	return ps
}

// clusterNode is one line of CLUSTER NODES, as far as the harness needs it.
type clusterNode struct {
	id, addr, primaryID, linkState string
	flags                          []string
}

func (e clusterNode) hasFlag(f string) bool {
	for _, g := range e.flags {
		if g == f {
			return true
		}
	}
	return false
}

func (s *Server) clusterNodes(ctx context.Context) ([]clusterNode, error) {
	text, err := s.adminClient().ClusterNodes(ctx).Result()
	if err != nil {
		return nil, fmt.Errorf("%s CLUSTER NODES: %w", s.name, err)
	}
	return parseClusterNodes(text), nil
}

// parseClusterNodes reads "<id> <ip:port@cport> <flags> <master> <ping>
// <pong> <epoch> <link> <slot>..." lines; short lines are skipped.
func parseClusterNodes(text string) []clusterNode {
	var out []clusterNode
	for _, line := range strings.Split(text, "\n") {
		f := strings.Fields(line)
		if len(f) < 8 {
			continue
		}
		e := clusterNode{id: f[0], addr: f[1], flags: strings.Split(f[2], ","), linkState: f[7]}
		if f[3] != "-" {
			e.primaryID = f[3]
		}
		out = append(out, e)
	}
	return out
}
