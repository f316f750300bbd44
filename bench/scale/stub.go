package main

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"strconv"
	"syscall"
	"time"

	"github.com/elasticache-exporter/elasticache-exporter/bench/stubcluster"
)

// stubProcess is the stub cluster running in a child process (this binary
// with -serve-stub), so its CPU and memory stay out of the exporter's.
type stubProcess struct {
	cmd   *exec.Cmd
	done  chan struct{}
	ready stubcluster.Ready
	http  *http.Client
}

func startStub(ctx context.Context, self string, shards, perShard int, host, logPath string) (*stubProcess, error) {
	logFile, err := os.Create(logPath)
	if err != nil {
		return nil, err
	}
	defer logFile.Close()
	cmd := exec.Command(self, "-serve-stub", "-stub-shards", strconv.Itoa(shards), "-nodes-per-shard", strconv.Itoa(perShard), "-stub-host", host)
	cmd.Stderr = logFile
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("start the stub: %w", err)
	}
	s := &stubProcess{cmd: cmd, done: make(chan struct{}), http: &http.Client{Timeout: 30 * time.Second}}
	lines := make(chan []byte, 1)
	go func() {
		sc := bufio.NewScanner(stdout)
		sc.Buffer(make([]byte, 4096), 1<<20)
		if sc.Scan() {
			lines <- append([]byte(nil), sc.Bytes()...)
		}
		close(lines)
		_ = cmd.Wait()
		close(s.done)
	}()
	select {
	case line, ok := <-lines:
		if !ok {
			s.stop()
			return nil, fmt.Errorf("the stub exited before it was ready; see %s", logPath)
		}
		if err := json.Unmarshal(line, &s.ready); err != nil || s.ready.Nodes != shards*perShard {
			s.stop()
			return nil, fmt.Errorf("the stub's ready line %q: %v", line, err)
		}
	case <-time.After(2 * time.Minute):
		s.stop()
		return nil, fmt.Errorf("the stub was not ready within 2 minutes; see %s", logPath)
	case <-ctx.Done():
		s.stop()
		return nil, ctx.Err()
	}
	return s, nil
}

func (s *stubProcess) pid() int { return s.cmd.Process.Pid }

func (s *stubProcess) stop() {
	_ = s.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-s.done:
	case <-time.After(10 * time.Second):
		_ = s.cmd.Process.Kill()
		<-s.done
	}
}

// stats reads every node's counters from the stub's control endpoint.
func (s *stubProcess) stats(ctx context.Context) ([]stubcluster.NodeStats, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, "http://"+s.ready.Control+"/stats", nil)
	if err != nil {
		return nil, err
	}
	resp, err := s.http.Do(req)
	if err != nil {
		return nil, fmt.Errorf("stub stats: %w", err)
	}
	defer resp.Body.Close()
	var out []stubcluster.NodeStats
	if err := json.NewDecoder(resp.Body).Decode(&out); err != nil {
		return nil, fmt.Errorf("stub stats: %w", err)
	}
	if len(out) != s.ready.Nodes {
		return nil, fmt.Errorf("stub stats: %d nodes, want %d", len(out), s.ready.Nodes)
	}
	return out, nil
}

// stubDelta is what the nodes counted between two stats reads.
type stubDelta struct {
	nodes       int
	accepted    []int64 // per node
	openAfter   []int64 // per node, at the second read
	commands    map[string]int64
	unknownCmds map[string]int64
}

func diffStats(before, after []stubcluster.NodeStats) stubDelta {
	d := stubDelta{nodes: len(after), accepted: make([]int64, len(after)), openAfter: make([]int64, len(after)),
		commands: map[string]int64{}, unknownCmds: map[string]int64{}}
	for i, a := range after {
		b := before[i]
		d.accepted[i] = a.Accepted - b.Accepted
		d.openAfter[i] = a.Open
		for cmd, n := range a.Commands {
			if diff := n - b.Commands[cmd]; diff != 0 {
				d.commands[cmd] += diff
				if len(cmd) > 8 && cmd[:8] == "unknown:" {
					d.unknownCmds[cmd] += diff
				}
			}
		}
	}
	return d
}

// spread is the mean, min and max of per-node counts.
type spread struct{ mean, min, max float64 }

func spreadOf(xs []int64) spread {
	if len(xs) == 0 {
		return spread{}
	}
	s := spread{min: float64(xs[0]), max: float64(xs[0])}
	var sum float64
	for _, x := range xs {
		f := float64(x)
		sum += f
		s.min, s.max = min(s.min, f), max(s.max, f)
	}
	s.mean = sum / float64(len(xs))
	return s
}
