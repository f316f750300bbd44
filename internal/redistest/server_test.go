package redistest

import (
	"bufio"
	"context"
	"net"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
)

func ctxT(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	t.Cleanup(cancel)
	return ctx
}

func TestStandalonePing(t *testing.T) {
	start := time.Now()
	s := Standalone(t, Options{Args: map[string]string{"maxmemory": "10mb"}})
	t.Logf("standalone up in %s", time.Since(start))

	if s.Port <= 0 || s.Port >= maxPort || s.Addr != "127.0.0.1:"+strconv.Itoa(s.Port) {
		t.Fatalf("Addr %q Port %d: want 127.0.0.1:<port below %d>", s.Addr, s.Port, maxPort)
	}
	c := s.Client(t)
	if got, err := c.Ping(ctxT(t)).Result(); err != nil || got != "PONG" {
		t.Fatalf("PING = %q, %v; want PONG", got, err)
	}
	if got := c.ConfigGet(ctxT(t), "maxmemory").Val()["maxmemory"]; got != "10485760" {
		t.Errorf("maxmemory from Options.Args = %q, want 10485760", got)
	}
	if got := c.ConfigGet(ctxT(t), "save").Val()["save"]; got != "" {
		t.Errorf("save = %q, want empty (no snapshots)", got)
	}
	if got := s.URL(); got != "redis://"+s.Addr {
		t.Errorf("URL() = %q, want redis://%s", got, s.Addr)
	}
	if s.TLSFiles() != nil {
		t.Error("TLSFiles() is not nil without TLS")
	}
}

func TestPasswordRequired(t *testing.T) {
	const pw = "p@ss word:/x"
	s := Standalone(t, Options{Password: pw})
	ctx := ctxT(t)

	if got, err := s.Client(t).Ping(ctx).Result(); err != nil || got != "PONG" {
		t.Fatalf("PING with password = %q, %v; want PONG", got, err)
	}
	noAuth := s.ClientOptions()
	noAuth.Password = ""
	c := redis.NewClient(noAuth)
	defer c.Close()
	if err := c.Ping(ctx).Err(); err == nil || !strings.HasPrefix(err.Error(), "NOAUTH") {
		t.Fatalf("PING without password: err = %v, want NOAUTH", err)
	}

	opt, err := redis.ParseURL(s.URL())
	if err != nil {
		t.Fatalf("ParseURL(URL()): %v", err)
	}
	if opt.Password != pw {
		t.Fatalf("URL() does not carry the password intact")
	}
	fromURL := redis.NewClient(opt)
	defer fromURL.Close()
	if err := fromURL.Ping(ctx).Err(); err != nil {
		t.Fatalf("PING via URL(): %v", err)
	}
}

func TestTLSOnly(t *testing.T) {
	start := time.Now()
	s := Standalone(t, Options{TLS: true, Password: "pw"})
	t.Logf("TLS standalone up in %s", time.Since(start))
	ctx := ctxT(t)

	files := s.TLSFiles()
	if files == nil || len(files.CAPEM) == 0 {
		t.Fatal("TLSFiles() is nil or has no CA for a TLS server")
	}
	if got, err := s.Client(t).Ping(ctx).Result(); err != nil || got != "PONG" {
		t.Fatalf("PING over TLS = %q, %v; want PONG", got, err)
	}
	if !strings.HasPrefix(s.URL(), "rediss://:pw@127.0.0.1:") {
		t.Errorf("URL() = %q, want rediss://:pw@127.0.0.1:<port>", s.URL())
	}

	// Plain TCP on the same port must not be served.
	conn, err := net.DialTimeout("tcp", s.Addr, time.Second)
	if err == nil {
		defer conn.Close()
		_ = conn.SetDeadline(time.Now().Add(2 * time.Second))
		_, _ = conn.Write([]byte("*1\r\n$4\r\nPING\r\n"))
		if line, _ := bufio.NewReader(conn).ReadString('\n'); strings.Contains(line, "PONG") {
			t.Fatalf("plain-TCP PING to the TLS port answered %q", line)
		}
	}

	// A client trusting another CA must be refused: the CA matters.
	other := NewTLSFiles(t)
	wrongCA := s.ClientOptions()
	wrongCA.TLSConfig = other.ClientConfig()
	wrongCA.DialerRetries = 1
	c := redis.NewClient(wrongCA)
	defer c.Close()
	if err := c.Ping(ctx).Err(); err == nil || !strings.Contains(err.Error(), "certificate") {
		t.Fatalf("PING trusting a foreign CA: err = %v, want a certificate error", err)
	}
}

func TestStopLeavesNoProcess(t *testing.T) {
	var pids []int
	t.Run("servers", func(t *testing.T) {
		s := Standalone(t, Options{})
		r := NewReplication(t, 1, Options{})
		paused := Standalone(t, Options{})
		paused.Pause() // cleanup must also end a SIGSTOPped server
		for _, srv := range []*Server{s, r.Primary, r.Replicas[0], paused} {
			pids = append(pids, srv.PID())
		}
	})
	for _, pid := range pids {
		if pid == 0 || !processGone(pid) {
			t.Errorf("redis-server pid %d still running after its test ended", pid)
		}
	}
}

func TestStopKillIdempotent(t *testing.T) {
	s := Standalone(t, Options{})
	pid := s.PID()
	start := time.Now()
	s.Stop()
	s.Stop()
	if took := time.Since(start); took > 2*time.Second {
		t.Errorf("Stop took %s; SIGTERM with save \"\" should be quick", took)
	}
	if s.Running() || s.PID() != 0 || !processGone(pid) {
		t.Fatalf("after Stop: Running=%v PID=%d gone=%v", s.Running(), s.PID(), processGone(pid))
	}

	s.Restart(t)
	pid = s.PID()
	s.Kill()
	s.Kill()
	s.Stop()
	if s.Running() || !processGone(pid) {
		t.Fatalf("after Kill: Running=%v gone=%v", s.Running(), processGone(pid))
	}
}

func TestFailedTestStillStopsServers(t *testing.T) {
	var pid int
	rec := runRecorded(t, func(tb testing.TB) {
		s := Standalone(tb, Options{})
		pid = s.PID()
		tb.Fatalf("simulated test failure")
	})
	if rec.fatal != "simulated test failure" || pid == 0 {
		t.Fatalf("recorder saw fatal %q, pid %d", rec.fatal, pid)
	}
	if processGone(pid) {
		t.Fatal("server gone before cleanup ran; the test proves nothing")
	}
	rec.runCleanups()
	if !processGone(pid) {
		t.Fatalf("redis-server %d survives the failed test's cleanup", pid)
	}
}

func TestStartFailureShowsLog(t *testing.T) {
	rec := runRecorded(t, func(tb testing.TB) {
		Standalone(tb, Options{Password: "hunter2-secret", Args: map[string]string{"maxmemory": "ten-megabytes"}})
		tb.Fatalf("Standalone returned despite a bad config")
	})
	defer rec.runCleanups()
	for _, want := range []string{"exited during startup", "last log lines", "maxmemory", "ten-megabytes"} {
		if !strings.Contains(rec.fatal, want) {
			t.Errorf("failure message lacks %q:\n%s", want, rec.fatal)
		}
	}
	if strings.Contains(rec.fatal, "hunter2-secret") {
		t.Errorf("failure message contains the password:\n%s", rec.fatal)
	}
}

func TestPauseResume(t *testing.T) {
	s := Standalone(t, Options{})
	c := s.Client(t)
	if err := c.Ping(ctxT(t)).Err(); err != nil {
		t.Fatal(err)
	}
	s.Pause()
	if st := processState(s.PID()); st != 'T' {
		t.Fatalf("process state after Pause = %q, want T (stopped)", st)
	}
	if _, err := probe(s.Addr, "", nil, 300*time.Millisecond); err == nil {
		t.Fatal("a paused server answered PING")
	}
	s.Resume()
	if err := c.Ping(ctxT(t)).Err(); err != nil {
		t.Fatalf("PING after Resume: %v", err)
	}
}

func TestRestartSamePortNewRunID(t *testing.T) {
	s := Standalone(t, Options{})
	c := s.Client(t)
	ctx := ctxT(t)
	if err := c.Set(ctx, "k", "v", 0).Err(); err != nil {
		t.Fatal(err)
	}
	before, addr, pid := s.Info(t, "server")["run_id"], s.Addr, s.PID()

	start := time.Now()
	s.Restart(t)
	t.Logf("restart took %s", time.Since(start))

	if s.Addr != addr || s.PID() == pid {
		t.Fatalf("after Restart: addr %s (was %s), pid %d (was %d)", s.Addr, addr, s.PID(), pid)
	}
	after := s.Info(t, "server")["run_id"]
	if before == "" || after == before {
		t.Fatalf("run_id %q -> %q: want a new one", before, after)
	}
	if n := c.Exists(ctx, "k").Val(); n != 0 {
		t.Errorf("key survived the restart (save \"\"): EXISTS = %d", n)
	}
}

func TestWaitFor(t *testing.T) {
	n := 0
	WaitFor(t, time.Second, func() bool { n++; return n == 3 }, "third call")
	if n != 3 {
		t.Fatalf("cond called %d times, want 3", n)
	}
	rec := runRecorded(t, func(tb testing.TB) {
		WaitFor(tb, 30*time.Millisecond, func() bool { return false }, "never")
	})
	if !strings.Contains(rec.fatal, "timed out after 30ms waiting for never") {
		t.Fatalf("timeout message = %q", rec.fatal)
	}
}

func TestRequireFindsBinary(t *testing.T) {
	rec := runRecorded(t, func(tb testing.TB) { Require(tb) })
	if rec.fatal != "" {
		t.Fatalf("Require failed with redis-server installed: %s", rec.fatal)
	}
	t.Setenv("PATH", t.TempDir())
	rec = runRecorded(t, func(tb testing.TB) { Require(tb) })
	for _, want := range []string{"redis-server", "make deps", "apt-get install redis-server"} {
		if !strings.Contains(rec.fatal, want) {
			t.Errorf("Require without the binary: message %q lacks %q", rec.fatal, want)
		}
	}
}
