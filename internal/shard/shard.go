// Package shard owns horizontal sharding: which of N exporter processes
// reads which shard of a replication group, the way kube-state-metrics
// shards itself (--shard.count, --shard.index, or the ordinal of a
// StatefulSet pod name).
//
// The owner of a shard is a pure function of the shard id and the process
// count: FNV-1a 64 of the id's bytes, mapped to 0..Count-1 by Lamping and
// Veach's jump consistent hash. Every process computes the same answer
// without talking to the others, the answer never depends on the exporter's
// version, Go's version or the platform, and growing the set from N to N+1
// processes moves only about 1/(N+1) of the shards (a plain modulo would move
// almost all of them and reconnect every node at once). The constants in
// TestOwnerIsStable pin the function: changing it is a breaking change.
package shard

import (
	"fmt"
	"hash/fnv"
	"slices"
	"strconv"
	"strings"

	"github.com/elasticache-exporter/elasticache-exporter/internal/topology"
)

// MaxCount bounds --shard.count: far more processes than any replication
// group has shards (ElastiCache allows 500) is a typo, not a plan.
const MaxCount = 1000

// Assignment is this process's slice of the group: it reads the shards whose
// owner is Index among Count processes. The zero value, like Count 1, owns
// every shard (sharding off).
type Assignment struct {
	Count int
	Index int
}

// Validate returns an error naming the flag and the fix when the assignment
// cannot be meant.
func (a Assignment) Validate() error {
	switch {
	case a.Count < 1 || a.Count > MaxCount:
		return fmt.Errorf("--shard.count %d is out of range: use 1 (no sharding) to %d, the number of exporter processes sharing the group", a.Count, MaxCount)
	case a.Index < 0 || a.Index >= a.Count:
		return fmt.Errorf("--shard.index %d is out of range for --shard.count %d: use 0 to %d, a different one on each process", a.Index, a.Count, a.Count-1)
	}
	return nil
}

// Enabled reports whether the group is split between several processes.
func (a Assignment) Enabled() bool { return a.Count > 1 }

// Owns reports whether this process reads the shard with the given id.
func (a Assignment) Owns(shardID string) bool {
	if a.Count <= 1 {
		return true
	}
	return Owner(shardID, a.Count) == a.Index
}

// Owner is the index (0..count-1) of the process that reads shardID among
// count processes; 0 when count < 2.
func Owner(shardID string, count int) int {
	if count < 2 {
		return 0
	}
	h := fnv.New64a()
	h.Write([]byte(shardID)) // never fails
	return jump(h.Sum64(), count)
}

// jump is the jump consistent hash of Lamping and Veach ("A Fast, Minimal
// Memory, Consistent Hash Algorithm", 2014): key to a bucket in 0..buckets-1
// such that going from n to n+1 buckets moves only keys into the new one.
func jump(key uint64, buckets int) int {
	var b, j int64 = -1, 0
	for j < int64(buckets) {
		b = j
		key = key*2862933555777941757 + 1
		j = int64(float64(b+1) * (float64(int64(1)<<31) / float64((key>>33)+1)))
	}
	return int(b)
}

// maxPodName is the longest pod name Kubernetes accepts (a DNS subdomain).
const maxPodName = 253

// FromPodName derives the assignment from a StatefulSet pod name, whose
// ordinal is its last dash-separated part: "elasticache-exporter-2" is
// index 2. count is --shard.count.
func FromPodName(name string, count int) (Assignment, error) {
	if name == "" {
		return Assignment{}, fmt.Errorf("--shard.from-pod-name is empty: pass the pod's name (the chart sets it from the downward API, env POD_NAME), or use --shard.index")
	}
	if len(name) > maxPodName {
		return Assignment{}, fmt.Errorf("--shard.from-pod-name is %d bytes long, longer than any pod name (%d): pass the pod's name, or use --shard.index", len(name), maxPodName)
	}
	i := strings.LastIndexByte(name, '-')
	ordinal := name[i+1:]
	index, err := strconv.Atoi(ordinal)
	if i <= 0 || name[i-1] == '-' || err != nil || index < 0 || ordinal != strconv.Itoa(index) {
		return Assignment{}, fmt.Errorf("--shard.from-pod-name %q does not end in -<ordinal> like a StatefulSet pod (elasticache-exporter-2): run the exporter in a StatefulSet, or use --shard.index", name)
	}
	a := Assignment{Count: count, Index: index}
	if err := a.Validate(); err != nil {
		if index >= count && count >= 1 {
			return Assignment{}, fmt.Errorf("--shard.from-pod-name %q is ordinal %d but --shard.count is %d: set --shard.count to the StatefulSet's replicas", name, index, count)
		}
		return Assignment{}, err
	}
	return a, nil
}

// Filter returns the part of t this process reads: the nodes and shards of
// owned shards. With cluster mode disabled the group is one shard, so one
// process of the set reads every node and the others none. t itself is
// returned when sharding is off; a new Topology otherwise (t is never
// modified, it may be shared).
func (a Assignment) Filter(t *topology.Topology) *topology.Topology {
	if t == nil || a.Count <= 1 {
		return t
	}
	out := &topology.Topology{Mode: t.Mode, Nodes: []topology.Node{}, Shards: []topology.Shard{}, DiscoveredAt: t.DiscoveredAt}
	for _, n := range t.Nodes {
		if a.Owns(n.Shard) {
			out.Nodes = append(out.Nodes, n)
		}
	}
	for _, s := range t.Shards {
		if a.Owns(s.Name) {
			s.Slots, s.Nodes = slices.Clone(s.Slots), slices.Clone(s.Nodes)
			out.Shards = append(out.Shards, s)
		}
	}
	return out
}

// String is how logs and the status page show the assignment.
func (a Assignment) String() string {
	if a.Count <= 1 {
		return "all shards"
	}
	return fmt.Sprintf("shard %d of %d", a.Index, a.Count)
}
