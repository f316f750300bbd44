package redistest

import (
	"fmt"
	"strconv"
	"strings"
	"testing"
	"time"
)

func TestReplicationTwoReplicas(t *testing.T) {
	start := time.Now()
	r := NewReplication(t, 2, Options{})
	t.Logf("primary + 2 replicas linked in %s", time.Since(start))

	p := r.Primary.Info(t, "replication")
	if p["role"] != "master" || p["connected_slaves"] != "2" {
		t.Fatalf("primary role:%s connected_slaves:%s, want master and 2", p["role"], p["connected_slaves"])
	}
	for i, rep := range r.Replicas {
		m := rep.Info(t, "replication")
		if m["role"] != "slave" || m["master_port"] != strconv.Itoa(r.Primary.Port) || m["master_link_status"] != "up" {
			t.Errorf("replica %d: role:%s master_port:%s link:%s", i, m["role"], m["master_port"], m["master_link_status"])
		}
	}

	// A write reaches the replicas.
	if err := r.Primary.Client(t).Set(ctxT(t), "k", "v", 0).Err(); err != nil {
		t.Fatal(err)
	}
	r.WaitSynced(t, 5*time.Second)
	if got := r.Replicas[1].Client(t).Get(ctxT(t), "k").Val(); got != "v" {
		t.Fatalf("replica 1 GET k = %q, want v", got)
	}
}

func TestReplicationTLSAndPassword(t *testing.T) {
	start := time.Now()
	r := NewReplication(t, 1, Options{TLS: true, Password: "pw"})
	t.Logf("TLS+auth primary + replica linked in %s", time.Since(start))
	if r.Primary.TLSFiles() != r.Replicas[0].TLSFiles() {
		t.Error("primary and replica do not share one CA")
	}
	if got := r.Replicas[0].Info(t, "replication")["master_link_status"]; got != "up" {
		t.Fatalf("replica link over TLS with masterauth: %s", got)
	}
}

// slaveOffset is the offset= of the primary's slave0 line.
func slaveOffset(t *testing.T, info map[string]string) int64 {
	for _, kv := range strings.Split(info["slave0"], ",") {
		if v, ok := strings.CutPrefix(kv, "offset="); ok {
			n, _ := strconv.ParseInt(v, 10, 64)
			return n
		}
	}
	t.Fatalf("no offset in slave0:%s", info["slave0"])
	return 0
}

func TestPauseReplicaBuildsLag(t *testing.T) {
	t.Parallel() // sleeps past an ACK period
	r := NewReplication(t, 1, Options{})
	primary := r.Primary.Client(t)
	ctx := ctxT(t)

	r.PauseReplica(0)
	for i := range 200 {
		if err := primary.Set(ctx, fmt.Sprint("key", i), strings.Repeat("x", 100), 0).Err(); err != nil {
			t.Fatal(err)
		}
	}
	// A running replica ACKs its offset every second; after 1.5 s the
	// primary would have seen it catch up.
	time.Sleep(1500 * time.Millisecond)
	p := r.Primary.Info(t, "replication")
	masterOffset, _ := strconv.ParseInt(p["master_repl_offset"], 10, 64)
	if lag := masterOffset - slaveOffset(t, p); lag < 200*100 || !strings.Contains(p["slave0"], "state=online") {
		t.Fatalf("while paused: lag %d bytes (want at least %d), slave0:%s", lag, 200*100, p["slave0"])
	}

	r.ResumeReplica(0)
	r.WaitSynced(t, 5*time.Second)
	p = r.Primary.Info(t, "replication")
	masterOffset, _ = strconv.ParseInt(p["master_repl_offset"], 10, 64)
	WaitFor(t, 5*time.Second, func() bool {
		return slaveOffset(t, r.Primary.Info(t, "replication")) == masterOffset
	}, "the primary to see the replica's ACK of the backlog")
}

func TestHoldReplicaBuildsLag(t *testing.T) {
	r := NewReplication(t, 1, Options{})
	primary, replica := r.Primary.Client(t), r.Replicas[0].Client(t)
	ctx := ctxT(t)

	r.HoldReplica(t, 0, 30*time.Second)
	for i := range 200 {
		if err := primary.Set(ctx, fmt.Sprint("key", i), strings.Repeat("x", 100), 0).Err(); err != nil {
			t.Fatal(err)
		}
	}
	// An unheld replica applies 200 SETs well within 200 ms.
	time.Sleep(200 * time.Millisecond)
	// The held replica still answers, and both ends show the lag.
	p := r.Primary.Info(t, "replication")
	masterOffset, _ := strconv.ParseInt(p["master_repl_offset"], 10, 64)
	m := r.Replicas[0].Info(t, "replication")
	replicaOffset, _ := strconv.ParseInt(m["slave_repl_offset"], 10, 64)
	if lag := masterOffset - replicaOffset; lag < 200*100 || m["master_link_status"] != "up" {
		t.Fatalf("held replica: lag %d bytes (want >= %d), link %s (want up)", lag, 200*100, m["master_link_status"])
	}
	if n := replica.Exists(ctx, "key199").Val(); n != 0 {
		t.Fatal("held replica already has the last key")
	}

	start := time.Now()
	r.ReleaseReplica(t, 0)
	r.WaitSynced(t, 5*time.Second)
	t.Logf("replica caught up %s after release", time.Since(start))
	if n := replica.Exists(ctx, "key199").Val(); n != 1 {
		t.Fatal("released replica lacks the last key")
	}
}
