package stubcluster

import (
	"crypto/sha1"
	"encoding/hex"
	"errors"
	"fmt"
	"net"
	"strconv"
	"sync"
	"sync/atomic"
	"time"
)

// totalSlots is Redis Cluster's fixed hash slot count.
const totalSlots = 16384

// Config is the cluster to impersonate.
type Config struct {
	Shards        int // 1..16384
	NodesPerShard int // a primary and NodesPerShard-1 replicas, 1..16
	// Password, when set, is required (AUTH or HELLO AUTH) before any
	// other command, as with an ElastiCache AUTH token. Username is the
	// ACL user accepted besides "default".
	Password string
	Username string
	// Host is the loopback address every node listens on and announces:
	// "127.0.0.1" (the default) or "::1". On a machine shared with other
	// tests, ::1 keeps their connections to free-looking 127.0.0.1 ports
	// from landing on the stub's thousands of listeners.
	Host string
}

func (c Config) validate() error {
	if c.Shards < 1 || c.Shards > totalSlots {
		return fmt.Errorf("stubcluster: %d shards, want 1 to %d", c.Shards, totalSlots)
	}
	if c.NodesPerShard < 1 || c.NodesPerShard > 16 {
		return fmt.Errorf("stubcluster: %d nodes per shard, want 1 to 16", c.NodesPerShard)
	}
	if ip := net.ParseIP(c.host()); ip == nil || !ip.IsLoopback() || ip.String() != c.host() {
		return fmt.Errorf("stubcluster: host %q: want a loopback address such as 127.0.0.1 or ::1", c.Host)
	}
	return nil
}

func (c Config) host() string {
	if c.Host == "" {
		return "127.0.0.1"
	}
	return c.Host
}

// Cluster is a running stub: one listener per node on a loopback address.
type Cluster struct {
	cfg    Config
	host   string // the loopback address nodes listen on and announce
	tmpl   *templates
	nodes  []*node
	shards []*shard

	started        time.Time
	uptimeBase     int64 // the template's uptime_in_seconds
	backlogHistlen int64
	connIDs        atomic.Int64

	closing atomic.Bool
	wg      sync.WaitGroup
	connsMu sync.Mutex
	conns   map[net.Conn]struct{}
}

type shard struct {
	index      int
	first      int // slot range
	last       int
	nodes      []*node // primary first
	replID     string
	epoch      int64
	offsetBase int64
	offsetRate int64 // bytes per second
}

// node is one impersonated server and what it has served.
type node struct {
	index int
	shard int
	role  Role
	host  string
	port  int
	cport int
	id    string // cluster node id
	runID string
	ln    net.Listener

	accepted atomic.Int64 // connections accepted, ever
	open     atomic.Int64 // connections open now
	served   atomic.Int64 // commands answered

	mu       sync.Mutex
	commands map[string]int64 // by commandstats name ("info", "cluster|shards")
}

// Start listens on Shards × NodesPerShard free loopback ports and serves
// until Close.
func Start(cfg Config) (*Cluster, error) {
	if err := cfg.validate(); err != nil {
		return nil, err
	}
	tmpl, err := loadTemplates()
	if err != nil {
		return nil, err
	}
	c := &Cluster{cfg: cfg, host: cfg.host(), tmpl: tmpl, started: time.Now(), conns: map[net.Conn]struct{}{}}
	primaryInfo := tmpl.info[RolePrimary]
	c.uptimeBase = parseIntOr(primaryInfo.field("uptime_in_seconds"))
	c.backlogHistlen = parseIntOr(primaryInfo.field("repl_backlog_histlen"))
	baseOffset := parseIntOr(primaryInfo.field("master_repl_offset"))
	for s := range cfg.Shards {
		sh := &shard{
			index:  s,
			first:  s * totalSlots / cfg.Shards,
			last:   (s+1)*totalSlots/cfg.Shards - 1,
			replID: hexID("replid", s),
			epoch:  int64(s + 1),
			// Offsets and write rates differ between shards, as they do
			// in a real group.
			offsetBase: baseOffset + int64(s)*7919,
			offsetRate: 1500 + int64(s%7)*250,
		}
		for r := range cfg.NodesPerShard {
			n := &node{index: len(c.nodes), shard: s, role: RoleReplica, commands: map[string]int64{}}
			if r == 0 {
				n.role = RolePrimary
			}
			n.id = hexID("node", n.index)
			n.runID = hexID("run", n.index)
			sh.nodes = append(sh.nodes, n)
			c.nodes = append(c.nodes, n)
		}
		c.shards = append(c.shards, sh)
	}
	for _, n := range c.nodes {
		ln, err := net.Listen("tcp", net.JoinHostPort(c.host, "0"))
		if err != nil {
			c.Close()
			return nil, fmt.Errorf("stubcluster: listen for node %d of %d: %w (raise the open-files limit?)", n.index+1, len(c.nodes), err)
		}
		n.ln, n.host = ln, c.host
		n.port = ln.Addr().(*net.TCPAddr).Port
		// The cluster bus port is only announced, never listened on.
		n.cport = n.port + 10000
		if n.cport > 65535 {
			n.cport = n.port - 10000
		}
	}
	for _, n := range c.nodes {
		c.wg.Add(1)
		go c.acceptLoop(n)
	}
	return c, nil
}

// hexID is a stable 40-hex-digit id, like Redis's node ids and run ids.
func hexID(kind string, i int) string {
	sum := sha1.Sum([]byte("stubcluster " + kind + " " + strconv.Itoa(i)))
	return hex.EncodeToString(sum[:])
}

// Seed is the address of the first shard's primary.
func (c *Cluster) Seed() string { return c.nodes[0].addr() }

func (n *node) addr() string { return net.JoinHostPort(n.host, strconv.Itoa(n.port)) }

// Close stops every listener and connection and waits for their goroutines.
func (c *Cluster) Close() {
	c.closing.Store(true)
	for _, n := range c.nodes {
		if n.ln != nil {
			_ = n.ln.Close()
		}
	}
	c.connsMu.Lock()
	for conn := range c.conns {
		_ = conn.Close()
	}
	c.connsMu.Unlock()
	c.wg.Wait()
}

func (c *Cluster) acceptLoop(n *node) {
	defer c.wg.Done()
	for {
		conn, err := n.ln.Accept()
		if err != nil {
			if c.closing.Load() || errors.Is(err, net.ErrClosed) {
				return
			}
			// EMFILE and friends: back off instead of spinning.
			time.Sleep(10 * time.Millisecond)
			continue
		}
		c.connsMu.Lock()
		if c.closing.Load() {
			c.connsMu.Unlock()
			_ = conn.Close()
			return
		}
		c.conns[conn] = struct{}{}
		c.connsMu.Unlock()
		n.accepted.Add(1)
		n.open.Add(1)
		c.wg.Add(1)
		go func() {
			defer c.wg.Done()
			c.serveConn(n, conn)
			n.open.Add(-1)
			c.connsMu.Lock()
			delete(c.conns, conn)
			c.connsMu.Unlock()
			_ = conn.Close()
		}()
	}
}

// count records one command under its commandstats name. The names of
// unknown commands come from clients, so they are bounded: at most
// maxCommandNames distinct names per node, sanitised.
func (n *node) count(name string) {
	n.served.Add(1)
	n.mu.Lock()
	if _, ok := n.commands[name]; !ok && len(n.commands) >= maxCommandNames-1 {
		name = "unknown:other" // the one name kept free for this
	}
	n.commands[name]++
	n.mu.Unlock()
}

const maxCommandNames = 128
