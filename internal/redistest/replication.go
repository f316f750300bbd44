package redistest

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// Replication is a primary with replicas (cluster mode disabled), the shape
// of an ElastiCache replication group without sharding.
type Replication struct {
	Primary  *Server
	Replicas []*Server
}

// readyTimeout bounds how long a replication group or cluster may take to
// become healthy after its processes answer PING.
const readyTimeout = 20 * time.Second

// NewReplication starts a primary and `replicas` replicas of it, and
// returns once every replica reports master_link_status:up and the primary
// lists every replica as online.
func NewReplication(t testing.TB, replicas int, o Options) *Replication {
	t.Helper()
	o.require(t)
	if replicas < 0 {
		t.Fatalf("redistest: NewReplication: replicas = %d; use 0 or more", replicas)
	}
	var files *TLSFiles
	if o.TLS {
		files = NewTLSFiles(t)
	}
	r := &Replication{Primary: newServer(t, "primary", o, files)}
	for i := range replicas {
		r.Replicas = append(r.Replicas, newServer(t, fmt.Sprintf("replica %d", i), o, files))
	}
	register(t, r.Servers()...)

	if err := r.Primary.start(); err != nil {
		t.Fatalf("redistest: %v", err)
	}
	for _, rep := range r.Replicas {
		rep.cfg.primaryPort = r.Primary.Port
	}
	if err := startAll(r.Replicas); err != nil {
		t.Fatalf("redistest: %v", err)
	}
	if err := r.waitLinked(readyTimeout); err != nil {
		t.Fatalf("redistest: replication: %v", err)
	}
	return r
}

// Servers is the primary followed by the replicas.
func (r *Replication) Servers() []*Server {
	return append([]*Server{r.Primary}, r.Replicas...)
}

// There are two ways to hold a replica back for lag tests; both were
// checked against redis-server 7.0 (see TestHoldReplicaBuildsLag and
// TestPauseReplicaBuildsLag):
//
//   - HoldReplica (CLIENT PAUSE <d> WRITE on the replica): the replica
//     postpones the write commands its primary streams to it, so its
//     slave_repl_offset and the offset it ACKs stand still while the
//     primary's master_repl_offset grows; the replica still answers INFO
//     and reads, and the link stays up. Use it to test lag metrics as
//     seen from both ends. Redis ends the pause by itself after d.
//   - PauseReplica (SIGSTOP): the replica answers nobody, its ACKs stop too
//     (lag= on the primary counts up); the hung-node case.

// HoldReplica stops replica i from applying its primary's writes for at
// most d (CLIENT PAUSE WRITE); ReleaseReplica ends it early.
func (r *Replication) HoldReplica(t testing.TB, i int, d time.Duration) {
	t.Helper()
	r.Replicas[i].HoldReplication(t, d)
}

// ReleaseReplica lets replica i apply the writes it held back.
func (r *Replication) ReleaseReplica(t testing.TB, i int) {
	t.Helper()
	r.Replicas[i].ReleaseReplication(t)
}

// PauseReplica SIGSTOPs replica i (see Server.Pause).
func (r *Replication) PauseReplica(i int) { r.Replicas[i].Pause() }

// ResumeReplica continues replica i; it catches up from the backlog.
func (r *Replication) ResumeReplica(i int) { r.Replicas[i].Resume() }

// WaitSynced waits until every running replica's link is up and its
// processed offset equals the primary's master_repl_offset.
func (r *Replication) WaitSynced(t testing.TB, timeout time.Duration) {
	t.Helper()
	err := poll(timeout, func() (bool, string) {
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		defer cancel()
		p, err := r.Primary.info(ctx, "replication")
		if err != nil {
			return false, err.Error()
		}
		want := p["master_repl_offset"]
		for _, rep := range r.Replicas {
			if !rep.Running() {
				continue
			}
			m, err := rep.info(ctx, "replication")
			if err != nil {
				return false, err.Error()
			}
			if m["master_link_status"] != "up" || m["slave_repl_offset"] != want {
				return false, fmt.Sprintf("%s: link %s offset %s, primary offset %s", rep.name, m["master_link_status"], m["slave_repl_offset"], want)
			}
		}
		return true, ""
	})
	if err != nil {
		t.Fatalf("redistest: replicas in sync: %v", err)
	}
}

// waitLinked waits for master_link_status:up on every replica and for the
// primary to list all of them with state=online.
func (r *Replication) waitLinked(timeout time.Duration) error {
	return poll(timeout, func() (bool, string) {
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		defer cancel()
		for _, rep := range r.Replicas {
			m, err := rep.info(ctx, "replication")
			if err != nil {
				return false, err.Error()
			}
			if m["master_link_status"] != "up" {
				return false, fmt.Sprintf("%s master_link_status:%s", rep.name, m["master_link_status"])
			}
		}
		p, err := r.Primary.info(ctx, "replication")
		if err != nil {
			return false, err.Error()
		}
		if online := onlineReplicas(p); online != len(r.Replicas) {
			return false, fmt.Sprintf("primary has %d online replicas (connected_slaves:%s), want %d", online, p["connected_slaves"], len(r.Replicas))
		}
		return true, ""
	})
}

// onlineReplicas counts slave<N>:...,state=online,... lines of INFO
// replication.
func onlineReplicas(info map[string]string) int {
	n, _ := strconv.Atoi(info["connected_slaves"])
	online := 0
	for i := range n {
		if strings.Contains(info["slave"+strconv.Itoa(i)], "state=online") {
			online++
		}
	}
	return online
}

// startAll starts servers concurrently (each redis-server takes a few tens
// of milliseconds to come up) and returns the first error.
func startAll(servers []*Server) error {
	errs := make([]error, len(servers))
	var wg sync.WaitGroup
	for i, s := range servers {
		wg.Go(func() { errs[i] = s.start() })
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			return err
		}
	}
	return nil
}
