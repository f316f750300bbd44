package redisconn

import (
	"context"
	"crypto/tls"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/elasticache-exporter/elasticache-exporter/internal/redistest"
)

func TestClientUsesServerNameForTLS(t *testing.T) {
	// Resolution itself (URIs, files, TLS) is internal/config's, tested there.
	c := Credentials{ClientName: "x", TLS: &tls.Config{MinVersion: tls.VersionTLS12}}
	client := NewClient(c, "10.0.0.5:6379", "node-a.cache.amazonaws.com")
	defer client.Close()
	if got := client.Options().TLSConfig.ServerName; got != "node-a.cache.amazonaws.com" {
		t.Errorf("ServerName = %q", got)
	}
	client2 := NewClient(c, "node-b.cache.amazonaws.com:6379", "")
	defer client2.Close()
	if got := client2.Options().TLSConfig.ServerName; got != "node-b.cache.amazonaws.com" {
		t.Errorf("ServerName from the address = %q", got)
	}
}

// A reload (new credentials) or a topology change during a round must not
// close the connection the round reads with: the client stays usable until
// the round's lease is released, and is closed right after.
func TestLeaseKeepsClientsOpenAcrossReload(t *testing.T) {
	primary := redistest.NewReplication(t, 0, redistest.Options{}).Primary
	ctx := context.Background()
	pool := NewPool(Credentials{ClientName: "test", DialTimeout: time.Second})
	pool.retireGrace = 0
	defer pool.Close()

	lease := pool.Acquire()
	c := lease.Client(primary.Addr, "")
	if err := c.Ping(ctx).Err(); err != nil {
		t.Fatal(err)
	}
	pool.SetCredentials(Credentials{ClientName: "test", DialTimeout: time.Second})
	if pool.Client(primary.Addr, "") != c {
		t.Fatal("a reload with the same credentials replaced the client")
	}
	pool.SetCredentials(Credentials{ClientName: "test", Password: "rotated", DialTimeout: time.Second})
	pool.Retain(map[string]bool{})
	if err := c.Ping(ctx).Err(); err != nil {
		t.Fatalf("a reload closed the client of a round in flight: %v", err)
	}
	if fresh := pool.Client(primary.Addr, ""); fresh == c {
		t.Fatal("after a credentials change the pool still hands out the old client")
	}
	lease.Release()
	lease.Release() // a second release is harmless
	if err := c.Ping(ctx).Err(); !errors.Is(err, redis.ErrClosed) {
		t.Fatalf("after the last lease was released the old client should be closed, Ping = %v", err)
	}
}

// Retain keeps the clients of nodes still in the group: the same client is
// handed out before and after, so a steady topology opens no connection.
func TestRetainCarriesClientsOver(t *testing.T) {
	pool := NewPool(Credentials{ClientName: "test", DialTimeout: time.Second})
	pool.retireGrace = 0
	defer pool.Close()
	a := pool.Client("127.0.0.1:1", "")
	b := pool.Client("127.0.0.1:2", "")
	pool.Retain(map[string]bool{"127.0.0.1:1": true})
	if pool.Client("127.0.0.1:1", "") != a {
		t.Fatal("Retain replaced the client of a node that stayed")
	}
	if err := b.Ping(context.Background()).Err(); !errors.Is(err, redis.ErrClosed) {
		t.Fatalf("the client of a node that left is not closed: %v", err)
	}
}

// Every command the exporter sends to a node, single or pipelined, from
// one caller or several at once, goes over one connection.
func TestOneConnectionPerNode(t *testing.T) {
	s := redistest.Standalone(t, redistest.Options{})
	pool := NewPool(Credentials{ClientName: "one-conn", DialTimeout: time.Second})
	defer pool.Close()
	ctx := context.Background()
	c := pool.Client(s.Addr, "")
	done := make(chan error, 30)
	for i := range 30 {
		go func() {
			var err error
			if i%2 == 0 {
				_, err = c.Pipelined(ctx, func(p redis.Pipeliner) error {
					p.Info(ctx, "server")
					p.SlowLogGet(ctx, 1)
					return nil
				})
			} else {
				err = c.Info(ctx, "replication").Err()
			}
			done <- err
		}()
	}
	for range 30 {
		if err := <-done; err != nil {
			t.Fatal(err)
		}
	}
	list, err := s.Client(t).ClientList(ctx).Result()
	if err != nil {
		t.Fatal(err)
	}
	if n := strings.Count(list, "name=one-conn"); n != 1 {
		t.Fatalf("the exporter holds %d connections to the node, want 1:\n%s", n, list)
	}
}

// A client used without a lease (discovery, /probe) stays open for the
// grace period after a credentials change, then closes by itself.
func TestReplacedClientClosesAfterGrace(t *testing.T) {
	primary := redistest.NewReplication(t, 0, redistest.Options{}).Primary
	pool := NewPool(Credentials{ClientName: "test", DialTimeout: time.Second})
	pool.retireGrace = 300 * time.Millisecond
	defer pool.Close()
	c := pool.Client(primary.Addr, "")
	pool.SetCredentials(Credentials{ClientName: "test", Password: "rotated", DialTimeout: time.Second})
	if err := c.Ping(context.Background()).Err(); err != nil {
		t.Fatalf("a client in use was closed by the reload at once: %v", err)
	}
	deadline := time.Now().Add(5 * time.Second)
	for c.Ping(context.Background()).Err() == nil {
		if time.Now().After(deadline) {
			t.Fatal("the replaced client was never closed")
		}
		time.Sleep(50 * time.Millisecond)
	}
}
