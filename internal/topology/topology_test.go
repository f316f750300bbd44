package topology

import (
	"fmt"
	"testing"
)

// Lookups stay right while discovery appends to and sorts the node list
// after a first lookup built the index.
func TestLookupFollowsAppendsAndSorting(t *testing.T) {
	topo := &Topology{}
	for i := range 5 {
		topo.Nodes = append(topo.Nodes, Node{Name: fmt.Sprintf("n%d", 4-i), Addr: fmt.Sprintf("10.0.0.%d:6379", 4-i), Shard: "0"})
	}
	if n, ok := topo.Node("n3"); !ok || n.Addr != "10.0.0.3:6379" {
		t.Fatalf("Node(n3) = %+v %v", n, ok)
	}
	topo.Nodes = append(topo.Nodes, Node{Name: "n9", Addr: "10.0.0.9:6379", Shard: "0"})
	if n, ok := topo.ByAddr("10.0.0.9:6379"); !ok || n.Name != "n9" {
		t.Fatalf("ByAddr after an append = %+v %v", n, ok)
	}
	topo.Normalize()
	for i := range 5 {
		name := fmt.Sprintf("n%d", i)
		if n, ok := topo.Node(name); !ok || n.Name != name {
			t.Fatalf("Node(%s) after sorting = %+v %v", name, n, ok)
		}
	}
	if _, ok := topo.Node("missing"); ok {
		t.Fatal("Node(missing) found something")
	}
	var none *Topology
	if _, ok := none.Node("x"); ok {
		t.Fatal("a nil topology has no nodes")
	}
}

// Carrying over the nodes a discovery missed is linear: 15,000 nodes of
// which half vanished take one pass, not one scan per node.
func BenchmarkRetainMissing(b *testing.B) {
	old := &Topology{}
	for i := range 15000 {
		old.Nodes = append(old.Nodes, Node{Name: fmt.Sprintf("n%05d", i), Addr: fmt.Sprintf("a%05d", i), Shard: fmt.Sprint(i / 3)})
	}
	for b.Loop() {
		d := NewDiscoverer(nil, nil, nil)
		d.retainMissing(old, nil)
		fresh := &Topology{Nodes: old.Nodes[:7500:7500], DiscoveredAt: old.DiscoveredAt}
		d.retainMissing(fresh, old)
	}
}
