// Package redisconn owns the exporter's connections to Redis nodes: one
// persistent client per node address, built from the configured credentials
// and TLS settings, so a steady-state scrape opens no TCP connection.
package redisconn

import (
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"net"
	"os"
	"sync"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/redis/go-redis/v9/maintnotifications"

	"github.com/elasticache-exporter/elasticache-exporter/internal/config"
)

// Credentials are the secrets and TLS settings every node shares. They are
// resolved (files and env read) when the configuration is loaded or
// reloaded, never per connection.
type Credentials struct {
	Username    string
	Password    config.Secret
	TLS         *tls.Config // nil for plain TCP
	ClientName  string
	DialTimeout time.Duration
}

// Resolve reads the secrets and TLS files named by the configuration. A
// seed URI's user and password win over the configured ones, and rediss://
// turns TLS on.
func Resolve(c config.RedisConfig) (Credentials, error) {
	cr := Credentials{Username: c.Username, ClientName: c.ClientName, DialTimeout: c.DialTimeout}
	pw, err := c.Password.Read("redis.password")
	if err != nil {
		return Credentials{}, err
	}
	cr.Password = pw
	useTLS := c.TLS.Enabled
	for _, a := range c.Addrs {
		t, err := config.ParseTarget(a)
		if err != nil {
			return Credentials{}, err
		}
		if t.Username != "" {
			cr.Username = t.Username
		}
		if t.Password.IsSet() {
			cr.Password = t.Password
		}
		useTLS = useTLS || t.TLS
	}
	if useTLS {
		tc, err := buildTLS(c.TLS)
		if err != nil {
			return Credentials{}, err
		}
		cr.TLS = tc
	}
	return cr, nil
}

func buildTLS(c config.TLSConfig) (*tls.Config, error) {
	tc := &tls.Config{MinVersion: tls.VersionTLS12, InsecureSkipVerify: c.InsecureSkipVerify, ServerName: c.ServerName} //nolint:gosec // opt-in, documented
	if c.CAFile != "" {
		pem, err := os.ReadFile(c.CAFile)
		if err != nil {
			return nil, fmt.Errorf("redis.tls.ca_file: %w", err)
		}
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM(pem) {
			return nil, fmt.Errorf("redis.tls.ca_file: %s holds no PEM certificate; point it at the CA bundle", c.CAFile)
		}
		tc.RootCAs = pool
	}
	if c.CertFile != "" {
		cert, err := tls.LoadX509KeyPair(c.CertFile, c.KeyFile)
		if err != nil {
			return nil, fmt.Errorf("redis.tls.cert_file/key_file: %w", err)
		}
		tc.Certificates = []tls.Certificate{cert}
	}
	return tc, nil
}

// Pool hands out one client per address.
type Pool struct {
	mu      sync.Mutex
	creds   Credentials
	clients map[string]*redis.Client
}

// NewPool returns an empty pool.
func NewPool(creds Credentials) *Pool {
	return &Pool{creds: creds, clients: map[string]*redis.Client{}}
}

// Client returns the persistent client for addr. serverName overrides the
// TLS server name (ElastiCache endpoints are dialled by hostname already).
func (p *Pool) Client(addr, serverName string) *redis.Client {
	p.mu.Lock()
	defer p.mu.Unlock()
	if c, ok := p.clients[addr]; ok {
		return c
	}
	c := NewClient(p.creds, addr, serverName)
	p.clients[addr] = c
	return c
}

// SetCredentials swaps the credentials (a reload after a token rotation)
// and closes every client so the next command reconnects with them.
func (p *Pool) SetCredentials(creds Credentials) {
	p.mu.Lock()
	old := p.clients
	p.creds = creds
	p.clients = map[string]*redis.Client{}
	p.mu.Unlock()
	for _, c := range old {
		_ = c.Close()
	}
}

// Retain closes the clients of addresses no longer in the topology.
func (p *Pool) Retain(addrs map[string]bool) {
	p.mu.Lock()
	var gone []*redis.Client
	for a, c := range p.clients {
		if !addrs[a] {
			gone = append(gone, c)
			delete(p.clients, a)
		}
	}
	p.mu.Unlock()
	for _, c := range gone {
		_ = c.Close()
	}
}

// Close closes every client.
func (p *Pool) Close() { p.Retain(nil) }

// NewClient builds a client that keeps one connection open. Timeouts come
// from the caller's context (the scrape deadline), so a stopped node cannot
// hold a scrape past its deadline.
func NewClient(creds Credentials, addr, serverName string) *redis.Client {
	opts := &redis.Options{
		Addr:                  addr,
		Username:              creds.Username,
		Password:              creds.Password.Reveal(),
		ClientName:            creds.ClientName,
		DialTimeout:           creds.DialTimeout,
		ContextTimeoutEnabled: true,
		// A scrape needs one connection; a second one lets discovery and a
		// /probe run beside it without waiting.
		PoolSize:        2,
		MinIdleConns:    0,
		MaxIdleConns:    2,
		ConnMaxIdleTime: -1,
		ConnMaxLifetime: -1,
		MaxRetries:      -1,
		Protocol:        2,
		// CLIENT SETINFO is Redis 7.2+; on older engines it only adds errors
		// to errorstats.
		DisableIdentity: true,
		// Maintenance notifications need CLIENT MAINT_NOTIFICATIONS, which
		// Redis 7.0 does not know; a scrape needs none of it.
		MaintNotificationsConfig: &maintnotifications.Config{Mode: maintnotifications.ModeDisabled},
	}
	if creds.TLS != nil {
		tc := creds.TLS.Clone()
		if tc.ServerName == "" {
			tc.ServerName = serverName
			if tc.ServerName == "" {
				tc.ServerName, _, _ = net.SplitHostPort(addr)
			}
		}
		opts.TLSConfig = tc
	}
	return redis.NewClient(opts)
}
