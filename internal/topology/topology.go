// Package topology owns the picture of a replication group: which nodes exist,
// which shard each belongs to and which of them is primary. Discovery builds a
// new Topology and swaps it in atomically; readers never see a half-built one.
package topology

import (
	"sort"
	"sync/atomic"
	"time"
)

// Role is what a node does in its shard. It is data, not a label on every
// series, so a failover does not churn all series of a node.
type Role string

const (
	RolePrimary Role = "primary"
	RoleReplica Role = "replica"
)

// Mode says how the group was found.
type Mode string

const (
	// ModeReplication is cluster mode disabled: one shard, a primary and up to 5 replicas
	// (a standalone node is a replication group of one).
	ModeReplication Mode = "replication"
	// ModeCluster is cluster mode enabled: many shards with hash slots.
	ModeCluster Mode = "cluster"
)

// Node is one Redis process of the group.
type Node struct {
	// Name is the stable `node` label: the address host:port, or the
	// ElastiCache member cluster id once the group is adopted.
	Name string `json:"node"`
	// Addr is what the exporter dials (host:port).
	Addr string `json:"address"`
	// Shard is the `shard` label: the node group id ("0001") when adopted,
	// otherwise "0" for cluster mode disabled or the cluster shard's first
	// slot range ("0-5460") in cluster mode.
	Shard string `json:"shard"`
	Role  Role   `json:"role"`
	// PrimaryName is the Name of this replica's primary ("" for a primary).
	PrimaryName string `json:"primary,omitempty"`
	// RedisID is the cluster node id (40 hex chars) in cluster mode.
	RedisID string `json:"redis_id,omitempty"`

	// Filled only when the group is adopted from the ElastiCache API.
	CacheClusterID   string `json:"cache_cluster_id,omitempty"`
	CacheNodeID      string `json:"cache_node_id,omitempty"`
	AvailabilityZone string `json:"availability_zone,omitempty"`
	// ServerName is the TLS server name to verify; defaults to the host of Addr.
	ServerName string `json:"server_name,omitempty"`
}

// Shard groups a primary with its replicas.
type Shard struct {
	Name    string   `json:"shard"`
	Primary string   `json:"primary"` // Node.Name of the primary, "" when none is known
	Slots   []string `json:"slots,omitempty"`
	Nodes   []string `json:"nodes"` // Node.Name of every member
}

// Topology is an immutable snapshot of the group.
type Topology struct {
	Mode         Mode      `json:"mode"`
	Nodes        []Node    `json:"nodes"`
	Shards       []Shard   `json:"shards"`
	DiscoveredAt time.Time `json:"discovered_at"`
	// index is a *nodeIndex (an atomic.Value, so that copying a Topology,
	// as tests and JSON decoding do, is allowed; a copy shares Nodes and
	// so its index).
	index atomic.Value
	// Refused lists (up to 100 of) the addresses nodes announced that
	// discovery did not dial (see policy.go); RefusedCount counts them all.
	Refused      []RefusedAddress `json:"refused_addresses,omitempty"`
	RefusedCount int              `json:"refused_count,omitempty"`
	// refused holds every refused address, so that a node refused now is
	// not carried over from an earlier topology.
	refused map[string]bool
}

// RefusedAddress is an address a node announced that discovery refused to
// dial with the group's credentials.
type RefusedAddress struct {
	Addr string `json:"address"`
	// AnnouncedBy is the node whose INFO replication named it.
	AnnouncedBy string `json:"announced_by"`
	Reason      string `json:"reason"`
}

// IsRefused reports whether discovery refused to dial addr.
func (t *Topology) IsRefused(addr string) bool {
	return t != nil && t.refused[addr]
}

// Node returns the node with the given name, in constant time.
func (t *Topology) Node(name string) (Node, bool) {
	return t.lookup(name, func(ix *nodeIndex) map[string]int { return ix.byName }, func(n *Node) string { return n.Name })
}

// ByAddr returns the node dialled at addr, in constant time.
func (t *Topology) ByAddr(addr string) (Node, bool) {
	return t.lookup(addr, func(ix *nodeIndex) map[string]int { return ix.byAddr }, func(n *Node) string { return n.Addr })
}

// nodeIndex maps names and addresses to positions in Nodes. It is built on
// first use; discovery appends to and sorts Nodes before it publishes a
// topology, so an index that no longer matches the slice is rebuilt.
type nodeIndex struct {
	n              int
	first          *Node
	byName, byAddr map[string]int
}

func (t *Topology) lookup(key string, table func(*nodeIndex) map[string]int, keyOf func(*Node) string) (Node, bool) {
	if t == nil || len(t.Nodes) == 0 {
		return Node{}, false
	}
	for range 2 {
		ix, _ := t.index.Load().(*nodeIndex)
		if ix == nil || ix.n != len(t.Nodes) || ix.first != &t.Nodes[0] {
			ix = t.buildIndex()
		}
		i, ok := table(ix)[key]
		if !ok {
			// Sorting moves nodes but never changes which are there.
			return Node{}, false
		}
		if i < len(t.Nodes) && keyOf(&t.Nodes[i]) == key {
			return t.Nodes[i], true
		}
		t.index.Store((*nodeIndex)(nil)) // sorted since it was built
	}
	return Node{}, false
}

func (t *Topology) buildIndex() *nodeIndex {
	ix := &nodeIndex{n: len(t.Nodes), first: &t.Nodes[0], byName: make(map[string]int, len(t.Nodes)), byAddr: make(map[string]int, len(t.Nodes))}
	for i := range t.Nodes {
		if _, dup := ix.byName[t.Nodes[i].Name]; !dup {
			ix.byName[t.Nodes[i].Name] = i
		}
		if _, dup := ix.byAddr[t.Nodes[i].Addr]; !dup {
			ix.byAddr[t.Nodes[i].Addr] = i
		}
	}
	t.index.Store(ix)
	return ix
}

// CountByRole counts nodes per role.
func (t *Topology) CountByRole() map[Role]int {
	out := map[Role]int{RolePrimary: 0, RoleReplica: 0}
	if t == nil {
		return out
	}
	for _, n := range t.Nodes {
		out[n.Role]++
	}
	return out
}

// Normalize sorts nodes and shards so that equal groups compare equal and
// expositions are stable.
func (t *Topology) Normalize() {
	sort.Slice(t.Nodes, func(i, j int) bool {
		if t.Nodes[i].Shard != t.Nodes[j].Shard {
			return t.Nodes[i].Shard < t.Nodes[j].Shard
		}
		return t.Nodes[i].Name < t.Nodes[j].Name
	})
	sort.Slice(t.Shards, func(i, j int) bool { return t.Shards[i].Name < t.Shards[j].Name })
	for i := range t.Shards {
		sort.Strings(t.Shards[i].Nodes)
	}
}
