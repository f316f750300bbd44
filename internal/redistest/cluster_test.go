package redistest

import (
	"fmt"
	"testing"
	"time"
)

func checkCluster(t *testing.T, c *Cluster, shards, replicas int) {
	t.Helper()
	if len(c.Nodes) != shards*(1+replicas) || len(c.Shards) != shards {
		t.Fatalf("%d nodes in %d shards, want %d in %d", len(c.Nodes), len(c.Shards), shards*(1+replicas), shards)
	}
	ctx := ctxT(t)
	for _, n := range c.Nodes {
		text, err := n.Client(t).ClusterInfo(ctx).Result()
		if err != nil {
			t.Fatalf("%s CLUSTER INFO: %v", n.name, err)
		}
		ci := parseInfo(text)
		want := map[string]string{
			"cluster_state":          "ok",
			"cluster_slots_assigned": "16384",
			"cluster_known_nodes":    fmt.Sprint(len(c.Nodes)),
			"cluster_size":           fmt.Sprint(shards),
		}
		for k, v := range want {
			if ci[k] != v {
				t.Errorf("%s %s:%s, want %s", n.name, k, ci[k], v)
			}
		}
		if n.NodeID == "" {
			t.Errorf("%s has no NodeID", n.name)
		}
	}
	slots := 0
	for _, sh := range c.Shards {
		slots += sh.LastSlot - sh.FirstSlot + 1
		for _, rep := range sh.Replicas {
			if m := rep.Info(t, "replication"); m["role"] != "slave" || m["master_port"] != fmt.Sprint(sh.Primary.Port) || m["master_link_status"] != "up" {
				t.Errorf("%s: role:%s master_port:%s link:%s, want slave of %d, up", rep.name, m["role"], m["master_port"], m["master_link_status"], sh.Primary.Port)
			}
		}
	}
	if slots != totalSlots {
		t.Errorf("shards cover %d slots, want %d", slots, totalSlots)
	}
	// Keys spread over all shards through the cluster client.
	cc := c.Client(t)
	for i := range 30 {
		if err := cc.Set(ctx, fmt.Sprint("key", i), i, 0).Err(); err != nil {
			t.Fatalf("cluster SET: %v", err)
		}
	}
	for _, p := range c.Primaries() {
		if n := p.Client(t).DBSize(ctx).Val(); n == 0 {
			t.Errorf("%s holds no key of 30; slots not spread", p.name)
		}
	}
}

func TestCluster3x1(t *testing.T) {
	t.Parallel() // mostly waiting on Redis's cluster timers, not CPU
	start := time.Now()
	c := NewCluster(t, 3, 1, Options{})
	t.Logf("3 shards x (1+1) cluster ok in %s", time.Since(start))
	checkCluster(t, c, 3, 1)
}

func TestClusterTLSAndPassword(t *testing.T) {
	t.Parallel() // mostly waiting on Redis's cluster timers, not CPU
	start := time.Now()
	c := NewCluster(t, 2, 1, Options{TLS: true, Password: "pw"})
	t.Logf("TLS+auth 2 shards x (1+1) cluster ok in %s", time.Since(start))
	checkCluster(t, c, 2, 1)
}

func TestClusterRestartKeepsNodeID(t *testing.T) {
	t.Parallel() // mostly waiting on Redis's cluster timers, not CPU
	c := NewCluster(t, 3, 0, Options{})
	n := c.Nodes[1]
	id := n.NodeID
	start := time.Now()
	n.Restart(t)
	c.WaitHealthy(t, 10*time.Second)
	t.Logf("node restarted and cluster ok again in %s", time.Since(start))
	if got := n.Client(t).ClusterMyID(ctxT(t)).Val(); got != id {
		t.Fatalf("node ID after restart = %q, want %q", got, id)
	}
}
