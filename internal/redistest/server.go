package redistest

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/redis/go-redis/v9/maintnotifications"
)

// Options configure every server a constructor starts.
type Options struct {
	// Password sets requirepass and masterauth (so replicas can sync).
	Password string
	// TLS serves TLS only (port 0, tls-port = Server.Port) with a CA and
	// certificates the harness generates; replication and the cluster bus
	// use TLS too. Clients from Server.Client trust the CA.
	TLS bool
	// Args are extra redis.conf directives, e.g. "maxmemory": "10mb",
	// "slowlog-log-slower-than": "0", "enable-debug-command": "yes". Each
	// value is written verbatim after the name, as on a redis.conf line
	// (so an empty string is `""`), and after the harness defaults, which
	// it therefore overrides (e.g. "tls-auth-clients": "yes").
	Args map[string]string
	// Server is the server binary to run: "" runs redis-server from PATH;
	// ValkeyServer(t) finds valkey-server. Every server a constructor
	// starts runs it.
	Server string
}

const (
	// startTimeout bounds how long a server may take to answer PING.
	startTimeout = 10 * time.Second
	// stopTimeout is how long Stop waits after SIGTERM before SIGKILL.
	stopTimeout = 5 * time.Second
	// portAttempts is how often start picks a new port when another
	// process took the chosen one first.
	portAttempts = 5
)

// Server is one redis-server process. Its port and directory stay the same
// across Restart.
type Server struct {
	Addr   string // 127.0.0.1:Port
	Port   int    // the client port: TLS port when Options.TLS, else plain
	Dir    string // working directory: redis.conf, redis.log, stdout.log, nodes.conf
	NodeID string // cluster node ID (stable across Restart); "" outside cluster mode

	name     string // for messages: "standalone", "replica 1", "node 3"
	cfg      serverConfig
	tlsFiles *TLSFiles

	mu    sync.Mutex
	proc  *process
	admin *redis.Client // the harness's own connection, for waits and Info
}

// process is one run of redis-server; Restart makes a new one.
type process struct {
	cmd  *exec.Cmd
	done chan struct{} // closed once the process has exited and been reaped
}

func (p *process) exited() bool {
	select {
	case <-p.done:
		return true
	default:
		return false
	}
}

// errPortInUse means another process bound the port (or bus port) between
// freePort and redis-server's bind.
var errPortInUse = errors.New("port already in use")

func newServer(t testing.TB, name string, o Options, files *TLSFiles) *Server {
	return &Server{
		Dir:      t.TempDir(),
		name:     name,
		tlsFiles: files,
		cfg:      serverConfig{password: o.Password, tls: files, args: o.Args, binary: o.binary()},
	}
}

func (s *Server) setPort(port int) {
	s.Port = port
	s.Addr = "127.0.0.1:" + strconv.Itoa(port)
	s.cfg.port = port
	s.cfg.dir = s.Dir
}

// start launches the server on a fresh port, retrying with another port
// when the chosen one was taken in the meantime.
func (s *Server) start() error {
	var err error
	for range portAttempts {
		var port int
		if port, err = freePort(); err != nil {
			return err
		}
		s.setPort(port)
		if err = s.launch(); !errors.Is(err, errPortInUse) {
			return err
		}
	}
	return fmt.Errorf("%s: gave up after %d ports: %w", s.name, portAttempts, err)
}

// restartSamePort launches the server again on its port; a port some other
// process grabbed while it was down is waited for briefly.
func (s *Server) restartSamePort() error {
	var err error
	for range 20 {
		if err = s.launch(); !errors.Is(err, errPortInUse) {
			return err
		}
		time.Sleep(100 * time.Millisecond)
	}
	return err
}

// launch writes redis.conf, starts the process and waits until it answers
// PING; on failure the process is gone and the error holds the log tail.
func (s *Server) launch() error {
	conf, err := renderConfig(s.cfg)
	if err != nil {
		return err
	}
	confPath := filepath.Join(s.Dir, "redis.conf")
	if err := os.WriteFile(confPath, []byte(conf), 0o600); err != nil {
		return fmt.Errorf("write %s: %w", confPath, err)
	}
	// Config errors go to stderr before the logfile is opened: keep both.
	out, err := os.OpenFile(filepath.Join(s.Dir, "stdout.log"), os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		return fmt.Errorf("open stdout.log: %w", err)
	}
	defer out.Close() // the child has its own copy

	cmd := exec.Command(s.cfg.binary, confPath)
	cmd.Dir = s.Dir
	cmd.Stdout, cmd.Stderr = out, out
	cmd.SysProcAttr = procAttr()
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("start %s: %w", s.cfg.binary, err)
	}
	p := &process{cmd: cmd, done: make(chan struct{})}
	go func() {
		_ = cmd.Wait() // reaps the child; the exit status is in the log
		close(p.done)
	}()

	if err := s.waitReady(p); err != nil {
		p.kill()
		tail := s.LogTail(20)
		if errors.Is(err, errPortInUse) || strings.Contains(tail, "Address already in use") {
			return fmt.Errorf("%s on %s: %w", s.name, s.Addr, errPortInUse)
		}
		return fmt.Errorf("%s on %s (dir %s) not ready: %w\n--- last log lines ---\n%s", s.name, s.Addr, s.Dir, err, tail)
	}
	s.mu.Lock()
	s.proc = p
	s.mu.Unlock()
	return nil
}

// waitReady polls PING until the server answers, checking that the answer
// comes from this process (INFO process_id) and not from some other
// redis-server that holds the port.
func (s *Server) waitReady(p *process) error {
	deadline := time.Now().Add(startTimeout)
	var lastErr error
	for time.Now().Before(deadline) {
		if p.exited() {
			return fmt.Errorf("redis-server exited during startup (%v)", p.cmd.ProcessState)
		}
		pid, err := probe(s.Addr, s.cfg.password, s.tlsFiles, 500*time.Millisecond)
		if err == nil {
			if pid == p.cmd.Process.Pid {
				return nil
			}
			return fmt.Errorf("%w: PING answered by process %d, not ours (%d)", errPortInUse, pid, p.cmd.Process.Pid)
		}
		lastErr = err
		time.Sleep(5 * time.Millisecond)
	}
	return fmt.Errorf("no PING reply within %s: %v", startTimeout, lastErr)
}

func (p *process) kill() {
	_ = p.cmd.Process.Signal(syscall.SIGKILL)
	<-p.done
}

// Stop shuts the server down with SIGTERM and waits for it to exit,
// SIGKILLing it after 5 s. A paused server is continued so it can handle
// the SIGTERM. Stop on a stopped server does nothing.
func (s *Server) Stop() {
	s.mu.Lock()
	defer s.mu.Unlock()
	p := s.proc
	if p == nil {
		return
	}
	s.proc = nil
	_ = p.cmd.Process.Signal(syscall.SIGTERM)
	_ = p.cmd.Process.Signal(syscall.SIGCONT)
	select {
	case <-p.done:
	case <-time.After(stopTimeout):
		p.kill()
	}
}

// Kill ends the server with SIGKILL (a crash: no shutdown handling) and
// waits until it is gone.
func (s *Server) Kill() {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.proc != nil {
		s.proc.kill()
		s.proc = nil
	}
}

// Pause stops the process with SIGSTOP and returns once the kernel reports
// it stopped: connections stay open but nothing is answered, which is how a
// hung node looks to a scraper. Resume undoes it; Stop and Kill work on a
// paused server.
func (s *Server) Pause() {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.proc == nil {
		return
	}
	pid := s.proc.cmd.Process.Pid
	_ = s.proc.cmd.Process.Signal(syscall.SIGSTOP)
	for deadline := time.Now().Add(time.Second); time.Now().Before(deadline); time.Sleep(time.Millisecond) {
		if processState(pid) == 'T' {
			return
		}
	}
}

// Resume continues a paused server (SIGCONT).
func (s *Server) Resume() {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.proc != nil {
		_ = s.proc.cmd.Process.Signal(syscall.SIGCONT)
	}
}

// HoldReplication makes a replica stop applying the writes its primary
// streams to it for at most d, while it keeps answering reads and INFO:
// CLIENT PAUSE <d> WRITE on this server (see Replication.HoldReplica).
func (s *Server) HoldReplication(t testing.TB, d time.Duration) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := s.adminClient().Do(ctx, "CLIENT", "PAUSE", d.Milliseconds(), "WRITE").Err(); err != nil {
		t.Fatalf("redistest: %s CLIENT PAUSE WRITE: %v", s.name, err)
	}
}

// ReleaseReplication ends HoldReplication early (CLIENT UNPAUSE).
func (s *Server) ReleaseReplication(t testing.TB) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := s.adminClient().Do(ctx, "CLIENT", "UNPAUSE").Err(); err != nil {
		t.Fatalf("redistest: %s CLIENT UNPAUSE: %v", s.name, err)
	}
}

// Restart stops the server (if running) and starts it again on the same
// port and directory with the same config. Its run_id changes, its data is
// gone (nothing is saved), a cluster node keeps its node ID (nodes.conf).
func (s *Server) Restart(t testing.TB) {
	t.Helper()
	s.Stop()
	if err := s.restartSamePort(); err != nil {
		t.Fatalf("redistest: restart: %v", err)
	}
}

// Running reports whether the process is up (it may be paused).
func (s *Server) Running() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.proc != nil && !s.proc.exited()
}

// PID is the process id, or 0 when the server is not running.
func (s *Server) PID() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.proc == nil {
		return 0
	}
	return s.proc.cmd.Process.Pid
}

// TLSFiles are the CA and certificates the server uses; nil without TLS.
func (s *Server) TLSFiles() *TLSFiles { return s.tlsFiles }

// Password is Options.Password.
func (s *Server) Password() string { return s.cfg.password }

// URL is the server's address as a redis:// (rediss:// with TLS) URL,
// with the password if one is set.
func (s *Server) URL() string {
	u := url.URL{Scheme: "redis", Host: s.Addr}
	if s.tlsFiles != nil {
		u.Scheme = "rediss"
	}
	if s.cfg.password != "" {
		u.User = url.UserPassword("", s.cfg.password)
	}
	return u.String()
}

// ClientOptions are go-redis options that reach this server (address,
// password, TLS trusting the test CA, with the client certificate). Tests
// that need a variant (wrong password, no TLS) change a copy.
func (s *Server) ClientOptions() *redis.Options {
	o := &redis.Options{
		Addr:     s.Addr,
		Password: s.cfg.password,
		// Redis 7.0 knows neither CLIENT SETINFO nor maintenance
		// notifications; don't send them.
		DisableIdentity:          true,
		MaintNotificationsConfig: &maintnotifications.Config{Mode: maintnotifications.ModeDisabled},
	}
	if s.tlsFiles != nil {
		o.TLSConfig = s.tlsFiles.ClientConfig()
	}
	return o
}

// Client is a go-redis client for this server, closed when the test ends.
func (s *Server) Client(t testing.TB) *redis.Client {
	c := redis.NewClient(s.ClientOptions())
	t.Cleanup(func() { _ = c.Close() })
	return c
}

// adminClient is the harness's own client, used for waits; closed by the
// group's cleanup.
func (s *Server) adminClient() *redis.Client {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.admin == nil {
		o := s.ClientOptions()
		o.DialTimeout = time.Second
		o.ReadTimeout = 2 * time.Second
		o.MaxRetries = -1 // waits poll anyway; retries only hide the state
		s.admin = redis.NewClient(o)
	}
	return s.admin
}

func (s *Server) closeAdmin() {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.admin != nil {
		_ = s.admin.Close()
		s.admin = nil
	}
}

// info returns one INFO section as field -> value.
func (s *Server) info(ctx context.Context, section string) (map[string]string, error) {
	text, err := s.adminClient().Info(ctx, section).Result()
	if err != nil {
		return nil, fmt.Errorf("%s INFO %s: %w", s.name, section, err)
	}
	return parseInfo(text), nil
}

// Info returns one INFO section as field -> value, failing the test on error.
func (s *Server) Info(t testing.TB, section string) map[string]string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	m, err := s.info(ctx, section)
	if err != nil {
		t.Fatalf("redistest: %v", err)
	}
	return m
}

// parseInfo is deliberately minimal (the product parser lives in
// internal/redisinfo): field:value lines, comments and blanks skipped.
func parseInfo(text string) map[string]string {
	m := map[string]string{}
	for _, line := range strings.Split(text, "\n") {
		line = strings.TrimSpace(line)
		if k, v, ok := strings.Cut(line, ":"); ok && !strings.HasPrefix(line, "#") {
			m[k] = v
		}
	}
	return m
}

// LogTail is the last n lines of the server's stdout/stderr and log file,
// for failure messages.
func (s *Server) LogTail(n int) string {
	var parts []string
	for _, name := range []string{"stdout.log", "redis.log"} {
		data, err := os.ReadFile(filepath.Join(s.Dir, name))
		if err != nil || len(data) == 0 {
			continue
		}
		lines := strings.Split(strings.TrimRight(string(data), "\n"), "\n")
		if len(lines) > n {
			lines = lines[len(lines)-n:]
		}
		parts = append(parts, name+":\n"+strings.Join(lines, "\n"))
	}
	if len(parts) == 0 {
		return "(no output)"
	}
	return strings.Join(parts, "\n")
}

// group owns the servers one constructor started and stops them together.
type group struct {
	t       testing.TB
	servers []*Server
}

// register makes the servers stop at the end of the test; call it after
// the servers' t.TempDir()s exist, so that (cleanups run last-in first-out)
// the processes are gone before their directories are removed.
func register(t testing.TB, servers ...*Server) {
	g := &group{t: t, servers: servers}
	t.Cleanup(g.stop)
}

func (g *group) stop() {
	var wg sync.WaitGroup
	for _, s := range g.servers {
		wg.Go(func() {
			s.Stop()
			s.closeAdmin()
		})
	}
	wg.Wait()
	if g.t.Failed() {
		for _, s := range g.servers {
			g.t.Logf("redistest: %s %s (dir %s), last log lines:\n%s", s.name, s.Addr, s.Dir, s.LogTail(15))
		}
	}
}

// Standalone starts one server and stops it when the test ends.
func Standalone(t testing.TB, o Options) *Server {
	t.Helper()
	o.require(t)
	var files *TLSFiles
	if o.TLS {
		files = NewTLSFiles(t)
	}
	s := newServer(t, "standalone", o, files)
	register(t, s)
	if err := s.start(); err != nil {
		t.Fatalf("redistest: %v", err)
	}
	return s
}
