// Package redisconn owns the exporter's connections to Redis nodes: one
// persistent client per node address, built from the configured credentials
// and TLS settings, so a steady-state scrape opens no TCP connection.
package redisconn

import (
	"bytes"
	"crypto/tls"
	"net"
	"sync"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/redis/go-redis/v9/maintnotifications"

	"github.com/elasticache-exporter/elasticache-exporter/internal/config"
)

// Credentials are the secrets and TLS settings every node shares. They are
// resolved by internal/config when the configuration is loaded or
// reloaded, never per connection.
type Credentials struct {
	Username    string
	Password    config.Secret
	TLS         *tls.Config // nil for plain TCP
	ClientName  string
	DialTimeout time.Duration
}

// Equal reports whether two credentials connect alike, so that a reload
// that changed none of them keeps every connection.
func (c Credentials) Equal(o Credentials) bool {
	if c.Username != o.Username || c.Password != o.Password || c.ClientName != o.ClientName || c.DialTimeout != o.DialTimeout {
		return false
	}
	if (c.TLS == nil) != (o.TLS == nil) {
		return false
	}
	if c.TLS == nil {
		return true
	}
	a, b := c.TLS, o.TLS
	if a.ServerName != b.ServerName || a.InsecureSkipVerify != b.InsecureSkipVerify || a.MinVersion != b.MinVersion || len(a.Certificates) != len(b.Certificates) {
		return false
	}
	if (a.RootCAs == nil) != (b.RootCAs == nil) || (a.RootCAs != nil && !a.RootCAs.Equal(b.RootCAs)) {
		return false
	}
	for i := range a.Certificates {
		if len(a.Certificates[i].Certificate) != len(b.Certificates[i].Certificate) {
			return false
		}
		for j := range a.Certificates[i].Certificate {
			if !bytes.Equal(a.Certificates[i].Certificate[j], b.Certificates[i].Certificate[j]) {
				return false
			}
		}
	}
	return true
}

// CredentialsFrom takes the credentials internal/config resolved (secret
// files and variables read, TLS files parsed, seed URIs applied).
func CredentialsFrom(c config.RedisCredentials) Credentials {
	return Credentials{Username: c.Username, Password: c.Password, TLS: c.TLS, ClientName: c.ClientName, DialTimeout: c.DialTimeout}
}

// Pool hands out one client per address. Clients are replaced by a reload
// (new credentials) or dropped when their node leaves the group, but a
// client in use by a scrape round is closed only after that round released
// its Lease: a reload never cuts a read in flight.
type Pool struct {
	mu    sync.Mutex
	creds Credentials
	gen   *generation
	// retireGrace keeps a replaced client open this long even when no
	// lease holds it: discovery and /probe use clients without a lease,
	// and a command they sent just before a reload must not fail.
	retireGrace time.Duration
}

// defaultRetireGrace is longer than any command the exporter sends may
// take (the dial timeout plus a scrape deadline).
const defaultRetireGrace = 30 * time.Second

// generation is the set of clients handed out between two changes of the
// pool. Leases count its users; once it is retired and unused, the clients
// it alone held are closed.
type generation struct {
	clients   map[string]*redis.Client
	users     int
	retired   bool
	retiredAt time.Time
	// closeOnRetire are the clients that the next generation does not
	// carry over (all of them after a credentials change).
	closeOnRetire []*redis.Client
}

// NewPool returns an empty pool.
func NewPool(creds Credentials) *Pool {
	return &Pool{creds: creds, gen: &generation{clients: map[string]*redis.Client{}}, retireGrace: defaultRetireGrace}
}

// Lease is a round's hold on the pool's current clients: clients it hands
// out stay open until Release, whatever reloads happen meanwhile.
type Lease struct {
	p        *Pool
	gen      *generation
	released bool
}

// Acquire returns a lease on the current clients. Release it exactly once.
func (p *Pool) Acquire() *Lease {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.gen.users++
	return &Lease{p: p, gen: p.gen}
}

// Client returns the lease's client for addr, creating it in the lease's
// generation when the node is new.
func (l *Lease) Client(addr, serverName string) *redis.Client {
	return l.p.clientIn(l.gen, addr, serverName)
}

// Release gives the lease back; the last user of a retired generation
// closes the clients nobody else holds.
func (l *Lease) Release() {
	l.p.mu.Lock()
	if l.released {
		l.p.mu.Unlock()
		return
	}
	l.released = true
	l.gen.users--
	closeNow := l.gen.drainable(l.p.retireGrace)
	l.p.mu.Unlock()
	closeAll(closeNow)
}

// drainable returns the clients to close once a retired generation has no
// user left; callers hold the pool's lock.
func (g *generation) drainable(grace time.Duration) []*redis.Client {
	if !g.retired || g.users > 0 || time.Since(g.retiredAt) < grace {
		return nil
	}
	out := g.closeOnRetire
	g.closeOnRetire = nil
	return out
}

// Client returns the persistent client for addr in the current generation.
// serverName overrides the TLS server name (ElastiCache endpoints are
// dialled by hostname already).
func (p *Pool) Client(addr, serverName string) *redis.Client {
	p.mu.Lock()
	g := p.gen
	p.mu.Unlock()
	return p.clientIn(g, addr, serverName)
}

func (p *Pool) clientIn(g *generation, addr, serverName string) *redis.Client {
	p.mu.Lock()
	defer p.mu.Unlock()
	if c, ok := g.clients[addr]; ok {
		return c
	}
	c := NewClient(p.creds, addr, serverName)
	g.clients[addr] = c
	if g.retired {
		// A lease of a retired generation met a new node: the client is
		// that lease's alone and goes with the generation.
		g.closeOnRetire = append(g.closeOnRetire, c)
	}
	return c
}

// next retires the current generation and starts one that carries over
// the clients keep says to keep; callers hold the lock. It returns what can
// be closed at once.
func (p *Pool) next(keep func(addr string) bool) []*redis.Client {
	old := p.gen
	nextGen := &generation{clients: map[string]*redis.Client{}}
	for a, c := range old.clients {
		if keep(a) {
			nextGen.clients[a] = c
		} else {
			old.closeOnRetire = append(old.closeOnRetire, c)
		}
	}
	old.retired, old.retiredAt = true, time.Now()
	p.gen = nextGen
	if len(old.closeOnRetire) > 0 && p.retireGrace > 0 {
		time.AfterFunc(p.retireGrace, func() {
			p.mu.Lock()
			cs := old.drainable(p.retireGrace)
			p.mu.Unlock()
			closeAll(cs)
		})
	}
	return old.drainable(p.retireGrace)
}

// SetCredentials swaps the credentials (a reload after a token rotation).
// New leases get new clients; the old ones close when the rounds using
// them end.
func (p *Pool) SetCredentials(creds Credentials) {
	p.mu.Lock()
	if p.creds.Equal(creds) {
		// A reload that changed nothing here keeps every connection.
		p.mu.Unlock()
		return
	}
	p.creds = creds
	closeNow := p.next(func(string) bool { return false })
	p.mu.Unlock()
	closeAll(closeNow)
}

// Retain drops the clients of addresses no longer in the topology, once no
// round uses them.
func (p *Pool) Retain(addrs map[string]bool) {
	p.mu.Lock()
	closeNow := p.next(func(a string) bool { return addrs[a] })
	p.mu.Unlock()
	closeAll(closeNow)
}

// Close closes every client now, in use or not (the daemon is stopping).
func (p *Pool) Close() {
	p.mu.Lock()
	var all []*redis.Client
	for _, c := range p.gen.clients {
		all = append(all, c)
	}
	p.gen = &generation{clients: map[string]*redis.Client{}}
	p.mu.Unlock()
	closeAll(all)
}

func closeAll(cs []*redis.Client) {
	for _, c := range cs {
		_ = c.Close()
	}
}

const (
	readBufferSize  = 4 << 10
	writeBufferSize = 2 << 10
)

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
		// Exactly one connection per node carries every command, pipelines
		// included: a scrape, discovery and /probe take turns on it (each
		// bounded by its own context). With thousands of nodes a second
		// connection per node doubled the exporter's memory and the nodes'
		// client count.
		PoolSize:     1,
		MinIdleConns: 0,
		MaxIdleConns: 1,
		// No separate pipeline pool (go-redis' default keeps one with
		// 128 KiB read and write buffers per connection): pipelines use
		// the one connection above.
		PipelinePoolSize: -1,
		// Small: an INFO reply (10–40 KiB) is read in a few more syscalls,
		// and at 1,500 nodes each KiB here is 1.5 MB held for good. The
		// commands the exporter sends are a few dozen bytes.
		ReadBufferSize:  readBufferSize,
		WriteBufferSize: writeBufferSize,
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
