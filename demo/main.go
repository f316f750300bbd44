// Command demo brings up a local replication group (a primary and two
// replicas of Debian's redis-server on loopback), a small ksqlDB-like
// workload so the metrics move, and the exporter pointed at one replica (it
// finds the rest itself). It prints the URLs and stops everything on Ctrl-C.
//
//	make demo            # or: go run ./demo -exporter bin/exporter
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"math/rand/v2"
	"net"
	"net/http"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/redis/go-redis/v9/maintnotifications"
)

func main() {
	exporter := flag.String("exporter", "bin/exporter", "exporter binary")
	listen := flag.String("listen", "127.0.0.1:9763", "exporter listen address")
	basePort := flag.Int("port", 0, "first Redis port (0: pick free ports)")
	flag.Parse()
	if err := run(*exporter, *listen, *basePort); err != nil {
		fmt.Fprintln(os.Stderr, "demo:", err)
		os.Exit(1)
	}
}

func run(exporterBin, listen string, basePort int) error {
	if _, err := exec.LookPath("redis-server"); err != nil {
		return errors.New("redis-server is not on PATH: run make deps (installs Debian's redis-server)")
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()

	dir, err := os.MkdirTemp("", "elasticache-exporter-demo-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)

	var procs []*exec.Cmd
	defer func() {
		for i := len(procs) - 1; i >= 0; i-- {
			_ = procs[i].Process.Signal(syscall.SIGTERM)
			done := make(chan struct{})
			go func(p *exec.Cmd) { _ = p.Wait(); close(done) }(procs[i])
			select {
			case <-done:
			case <-time.After(5 * time.Second):
				_ = procs[i].Process.Kill()
			}
		}
	}()

	ports := make([]int, 3)
	for i := range ports {
		if basePort > 0 {
			ports[i] = basePort + i
		} else if ports[i], err = freePort(); err != nil {
			return err
		}
	}
	primary := fmt.Sprintf("127.0.0.1:%d", ports[0])
	for i, port := range ports {
		args := []string{
			"--port", strconv.Itoa(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
			"--dir", dir, "--dbfilename", fmt.Sprintf("node%d.rdb", i), "--logfile", filepath.Join(dir, fmt.Sprintf("node%d.log", i)),
			// ElastiCache's default for ksqlDB per the seed module.
			"--maxmemory", "64mb", "--maxmemory-policy", "allkeys-lru",
			// Log slow commands from 2 ms so the slow log has something to show.
			"--slowlog-log-slower-than", "2000",
		}
		if i > 0 {
			args = append(args, "--replicaof", "127.0.0.1", strconv.Itoa(ports[0]))
		}
		cmd := exec.Command("redis-server", args...)
		cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
		if err := cmd.Start(); err != nil {
			return fmt.Errorf("start redis-server on %d: %w", port, err)
		}
		procs = append(procs, cmd)
	}
	clients := make([]*redis.Client, len(ports))
	for i, port := range ports {
		clients[i] = redis.NewClient(&redis.Options{
			Addr: fmt.Sprintf("127.0.0.1:%d", port), DisableIdentity: true,
			MaintNotificationsConfig: &maintnotifications.Config{Mode: maintnotifications.ModeDisabled},
		})
		defer clients[i].Close()
		if err := waitPing(ctx, clients[i]); err != nil {
			return fmt.Errorf("redis-server on %d did not start: %w (log in %s)", port, err, dir)
		}
	}

	seed := fmt.Sprintf("127.0.0.1:%d", ports[2])
	exp := exec.Command(exporterBin, "--redis.addr", seed, "--web.listen-address", listen, "--discovery.interval", "10s")
	exp.Stdout, exp.Stderr = os.Stdout, os.Stderr
	exp.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	if err := exp.Start(); err != nil {
		return fmt.Errorf("start %s: %w (run make build)", exporterBin, err)
	}
	procs = append(procs, exp)
	if err := waitHTTP(ctx, "http://"+listen+"/readyz"); err != nil {
		return fmt.Errorf("exporter not ready: %w", err)
	}

	fmt.Printf(`
elasticache-exporter demo is running: a primary (%s) and two replicas (127.0.0.1:%d, 127.0.0.1:%d),
a ksqlDB-like workload, and the exporter seeded with one replica only.

  Metrics:     http://%[4]s/metrics
  Topology:    http://%[4]s/api/v1/topology
  Alert rules: http://%[4]s/rules
  Slow log:    http://%[4]s/api/v1/slowlog
  Landing:     http://%[4]s/

  Try: curl -s http://%[4]s/metrics | grep -E '^redis_(up|replica_lag_bytes|replica_lag_seconds|node_is_primary)'

Press Ctrl-C to stop everything.
`, primary, ports[1], ports[2], listen)

	go workload(ctx, clients)
	exited := make(chan error, 1)
	go func() { exited <- exp.Wait() }()
	select {
	case <-ctx.Done():
		fmt.Println("\nstopping the demo")
		return nil
	case err := <-exited:
		procs = procs[:len(procs)-1]
		return fmt.Errorf("the exporter exited: %v", err)
	}
}

// workload writes and reads keys the way a ksqlDB state store does: table
// rows as hashes keyed by primary key, changelog-like writes, point reads
// from the replicas, and now and then a range scan that lands in the slow log.
func workload(ctx context.Context, clients []*redis.Client) {
	primary := clients[0]
	tick := time.NewTicker(20 * time.Millisecond)
	defer tick.Stop()
	for n := 0; ; n++ {
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
		user := rand.IntN(5000)
		key := fmt.Sprintf("ksqldb:user_profiles:%d", user)
		pipe := primary.Pipeline()
		pipe.HSet(ctx, key, "name", fmt.Sprintf("user-%d", user), "email", fmt.Sprintf("u%d@example.com", user), "updated", time.Now().UnixMilli())
		pipe.Set(ctx, fmt.Sprintf("ksqldb:pageviews_by_user:%d", user), strings.Repeat("x", 200+rand.IntN(800)), 10*time.Minute)
		pipe.Incr(ctx, "ksqldb:changelog:offset")
		_, _ = pipe.Exec(ctx)
		replica := clients[1+n%2]
		_ = replica.HGetAll(ctx, fmt.Sprintf("ksqldb:user_profiles:%d", rand.IntN(5000))).Err()
		_ = replica.Get(ctx, fmt.Sprintf("ksqldb:pageviews_by_user:%d", rand.IntN(6000))).Err()
		if n%500 == 0 { // a pull query scanning a whole table: slow on purpose
			_ = replica.Keys(ctx, "ksqldb:user_profiles:*").Err()
		}
	}
}

func waitPing(ctx context.Context, c *redis.Client) error {
	deadline := time.Now().Add(10 * time.Second)
	for {
		err := c.Ping(ctx).Err()
		if err == nil || time.Now().After(deadline) || ctx.Err() != nil {
			return err
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func waitHTTP(ctx context.Context, url string) error {
	deadline := time.Now().Add(15 * time.Second)
	for {
		resp, err := http.Get(url)
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return nil
			}
			err = fmt.Errorf("%s: %s", url, resp.Status)
		}
		if time.Now().After(deadline) || ctx.Err() != nil {
			return err
		}
		time.Sleep(100 * time.Millisecond)
	}
}

func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}
