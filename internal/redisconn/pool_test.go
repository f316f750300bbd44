package redisconn

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/elasticache-exporter/elasticache-exporter/internal/config"
	"github.com/elasticache-exporter/elasticache-exporter/internal/redistest"
)

func TestResolveCredentials(t *testing.T) {
	dir := t.TempDir()
	token := filepath.Join(dir, "token")
	if err := os.WriteFile(token, []byte("file-token-value\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name     string
		cfg      config.RedisConfig
		user, pw string
		tls      bool
		wantErr  string
	}{
		{name: "plain", cfg: config.RedisConfig{Addrs: []string{"10.0.0.1:6379"}}},
		{name: "password file", cfg: config.RedisConfig{Addrs: []string{"h:6379"}, Password: config.SecretSource{File: token}}, pw: "file-token-value"},
		{name: "URI wins over file", cfg: config.RedisConfig{Addrs: []string{"redis://app:uri-token@h:6379"}, Password: config.SecretSource{File: token}}, user: "app", pw: "uri-token"},
		{name: "rediss turns TLS on", cfg: config.RedisConfig{Addrs: []string{"rediss://h:6379"}}, tls: true},
		{name: "missing CA", cfg: config.RedisConfig{Addrs: []string{"h:6379"}, TLS: config.TLSConfig{Enabled: true, CAFile: filepath.Join(dir, "nope.pem")}}, wantErr: "redis.tls.ca_file"},
		{name: "CA without PEM", cfg: config.RedisConfig{Addrs: []string{"h:6379"}, TLS: config.TLSConfig{Enabled: true, CAFile: token}}, wantErr: "holds no PEM certificate"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := Resolve(tt.cfg)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("err = %v, want %q", err, tt.wantErr)
				}
				if strings.Contains(err.Error(), "file-token-value") {
					t.Errorf("error leaks the token: %v", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if c.Username != tt.user || c.Password.Reveal() != tt.pw || (c.TLS != nil) != tt.tls {
				t.Errorf("got user %q pw %q tls %v", c.Username, c.Password.Reveal(), c.TLS != nil)
			}
		})
	}
}

func TestClientUsesServerNameForTLS(t *testing.T) {
	c, err := Resolve(config.RedisConfig{Addrs: []string{"rediss://h:6379"}, ClientName: "x"})
	if err != nil {
		t.Fatal(err)
	}
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
