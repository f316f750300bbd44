package main

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/redis/go-redis/v9/maintnotifications"
)

// redisNode is one redis-server process the benchmark owns, with the
// benchmark's own persistent connection for reading INFO. That connection
// is opened before any measured window, so it never shows up in
// total_connections_received deltas.
type redisNode struct {
	name   string
	addr   string
	dir    string
	cmd    *exec.Cmd
	done   chan struct{}
	client *redis.Client
}

// startRedis starts redis-server on a free loopback port in dir, as a
// replica of primary when primary is not "". Persistence is off so no fork
// (RDB, AOF rewrite) lands in a measured window.
func startRedis(ctx context.Context, binary, name, dir, primary string) (*redisNode, error) {
	var lastErr error
	for range 5 {
		port, err := freePort()
		if err != nil {
			return nil, err
		}
		n, err := launchRedis(ctx, binary, name, dir, port, primary)
		if err == nil {
			return n, nil
		}
		lastErr = err
	}
	return nil, lastErr
}

func launchRedis(ctx context.Context, binary, name, dir string, port int, primary string) (*redisNode, error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, err
	}
	conf := []string{
		"bind 127.0.0.1",
		"port " + strconv.Itoa(port),
		"dir " + dir,
		"logfile " + filepath.Join(dir, "redis.log"),
		"daemonize no",
		"protected-mode no",
		`save ""`,
		"appendonly no",
		"databases 16",
	}
	if primary != "" {
		host, p, _ := net.SplitHostPort(primary)
		conf = append(conf, "replicaof "+host+" "+p)
	}
	confPath := filepath.Join(dir, "redis.conf")
	if err := os.WriteFile(confPath, []byte(strings.Join(conf, "\n")+"\n"), 0o600); err != nil {
		return nil, err
	}
	cmd := exec.Command(binary, confPath)
	cmd.Dir = dir
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL} // never outlive the benchmark
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("start %s: %w", binary, err)
	}
	n := &redisNode{name: name, addr: "127.0.0.1:" + strconv.Itoa(port), dir: dir, cmd: cmd, done: make(chan struct{})}
	go func() { _ = cmd.Wait(); close(n.done) }()
	n.client = redis.NewClient(&redis.Options{
		Addr: n.addr, PoolSize: 1, MaxIdleConns: 1, ConnMaxIdleTime: -1, ConnMaxLifetime: -1, MaxRetries: -1,
		Protocol: 2, DisableIdentity: true,
		MaintNotificationsConfig: &maintnotifications.Config{Mode: maintnotifications.ModeDisabled},
	})
	deadline := time.Now().Add(10 * time.Second)
	for {
		select {
		case <-n.done:
			return nil, fmt.Errorf("%s on %s exited at start; see %s", name, n.addr, filepath.Join(dir, "redis.log"))
		default:
		}
		pctx, cancel := context.WithTimeout(ctx, 500*time.Millisecond)
		pid, err := n.pid(pctx)
		cancel()
		if err == nil && pid == cmd.Process.Pid {
			return n, nil
		}
		if err == nil {
			n.stop()
			return nil, fmt.Errorf("%s: port %s answered by another process", name, n.addr)
		}
		if time.Now().After(deadline) {
			n.stop()
			return nil, fmt.Errorf("%s on %s not ready within 10s: %v", name, n.addr, err)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func (n *redisNode) pid(ctx context.Context) (int, error) {
	text, err := n.client.Info(ctx, "server").Result()
	if err != nil {
		return 0, err
	}
	pid, _ := strconv.Atoi(parseInfo(text)["process_id"])
	return pid, nil
}

func (n *redisNode) stop() {
	if n.client != nil {
		_ = n.client.Close()
	}
	_ = n.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-n.done:
	case <-time.After(5 * time.Second):
		_ = n.cmd.Process.Kill()
		<-n.done
	}
}

// info reads the sections the measurement needs in one call, so each
// measurement point costs the node exactly one INFO.
func (n *redisNode) info(ctx context.Context) (map[string]string, error) {
	text, err := n.client.Info(ctx, "server", "cpu", "stats", "commandstats", "replication").Result()
	if err != nil {
		return nil, fmt.Errorf("%s INFO: %w", n.name, err)
	}
	return parseInfo(text), nil
}

// group is the set of nodes one scenario scrapes; the first is the node the
// exporters are pointed at.
type group struct {
	name  string
	nodes []*redisNode
}

func (g *group) stop() {
	for i := len(g.nodes) - 1; i >= 0; i-- {
		g.nodes[i].stop()
	}
}

func startStandalone(ctx context.Context, binary, dir string) (*group, error) {
	n, err := startRedis(ctx, binary, "standalone", filepath.Join(dir, "standalone"), "")
	if err != nil {
		return nil, err
	}
	return &group{name: "standalone", nodes: []*redisNode{n}}, nil
}

// startReplication starts a primary and replicas of it and waits until the
// primary lists every replica online.
func startReplication(ctx context.Context, binary, dir string, replicas int) (*group, error) {
	p, err := startRedis(ctx, binary, "primary", filepath.Join(dir, "primary"), "")
	if err != nil {
		return nil, err
	}
	g := &group{name: "replication", nodes: []*redisNode{p}}
	for i := range replicas {
		r, err := startRedis(ctx, binary, fmt.Sprintf("replica-%d", i+1), filepath.Join(dir, fmt.Sprintf("replica-%d", i+1)), p.addr)
		if err != nil {
			g.stop()
			return nil, err
		}
		g.nodes = append(g.nodes, r)
	}
	deadline := time.Now().Add(20 * time.Second)
	for {
		m, err := p.info(ctx)
		if err == nil && onlineReplicas(m) == replicas {
			return g, nil
		}
		if time.Now().After(deadline) {
			g.stop()
			return nil, fmt.Errorf("replication: %d of %d replicas online after 20s", onlineReplicas(m), replicas)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func onlineReplicas(info map[string]string) int {
	n := 0
	for k, v := range info {
		if strings.HasPrefix(k, "slave") && strings.Contains(v, "state=online") {
			n++
		}
	}
	return n
}

// prefill writes a dataset shaped like ksqlDB state: keys of several
// types, a third with a TTL (so INFO keyspace reports expires and avg_ttl),
// two databases, a dozen distinct commands in commandstats and a few error
// replies in errorstats. TTLs are hours long so nothing expires during
// the run.
func prefill(ctx context.Context, n *redisNode, keys int) error {
	rng := rand.New(rand.NewPCG(1, 2))
	value := strings.Repeat("v", 200)
	for start := 0; start < keys; start += 500 {
		_, err := n.client.Pipelined(ctx, func(p redis.Pipeliner) error {
			for i := start; i < min(start+500, keys); i++ {
				key := fmt.Sprintf("ksql:state:%06d", i)
				switch i % 5 {
				case 0, 1:
					p.Set(ctx, key, value, 0)
				case 2:
					p.Set(ctx, key, value, time.Duration(3600+rng.IntN(3600))*time.Second)
				case 3:
					p.HSet(ctx, key, "a", i, "b", value)
					p.Expire(ctx, key, time.Duration(3600+rng.IntN(3600))*time.Second)
				case 4:
					p.RPush(ctx, key, "x", "y", "z")
				}
			}
			return nil
		})
		if err != nil {
			return fmt.Errorf("prefill %s: %w", n.name, err)
		}
	}
	_, err := n.client.Pipelined(ctx, func(p redis.Pipeliner) error {
		for i := range 200 {
			key := fmt.Sprintf("ksql:state:%06d", i*5%keys)
			p.Get(ctx, key)
			p.Exists(ctx, key)
			p.Incr(ctx, "ksql:counter")
			p.ZAdd(ctx, "ksql:zset", redis.Z{Score: float64(i), Member: i})
			p.SAdd(ctx, "ksql:set", i)
			p.HGet(ctx, fmt.Sprintf("ksql:state:%06d", i*5+3), "a")
			p.LRange(ctx, fmt.Sprintf("ksql:state:%06d", i*5+4), 0, -1)
			p.TTL(ctx, fmt.Sprintf("ksql:state:%06d", i*5+2))
			p.MGet(ctx, key, "ksql:missing")
		}
		p.Select(ctx, 1)
		for i := range 100 {
			p.Set(ctx, fmt.Sprintf("other:%d", i), i, 0)
		}
		p.Select(ctx, 0)
		return nil
	})
	if err != nil {
		return fmt.Errorf("prefill %s: %w", n.name, err)
	}
	// A few error replies for errorstats (WRONGTYPE, ERR).
	for range 3 {
		err := n.client.Incr(ctx, "ksql:state:000000").Err()
		var rerr redis.Error
		if err == nil || !errors.As(err, &rerr) {
			return fmt.Errorf("prefill %s: expected an error reply, got %v", n.name, err)
		}
		_ = n.client.LPush(ctx, "ksql:state:000000", "x").Err()
	}
	return nil
}

func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}
