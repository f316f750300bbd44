package doctor_test

import (
	"context"
	"crypto/tls"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/elasticache-exporter/elasticache-exporter/internal/config"
	"github.com/elasticache-exporter/elasticache-exporter/internal/doctor"
	"github.com/elasticache-exporter/elasticache-exporter/internal/redistest"
)

// hungTLSListener completes TLS handshakes with the test PKI's server
// certificate and then never answers: a TLS-terminating proxy (stunnel, a
// load balancer) in front of a hung node. It holds every connection until
// the test ends.
func hungTLSListener(t *testing.T, files *redistest.TLSFiles) string {
	t.Helper()
	cert, err := tls.LoadX509KeyPair(files.CertFile, files.KeyFile)
	if err != nil {
		t.Fatal(err)
	}
	l, err := tls.Listen("tcp", "127.0.0.1:0", &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12})
	if err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	var conns []net.Conn
	done := make(chan struct{})
	go func() {
		defer close(done)
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			mu.Lock()
			conns = append(conns, c)
			mu.Unlock()
			go func() { _ = c.(*tls.Conn).Handshake() }() // then silence
		}
	}()
	t.Cleanup(func() {
		_ = l.Close()
		<-done
		mu.Lock()
		defer mu.Unlock()
		for _, c := range conns {
			_ = c.Close()
		}
	})
	return l.Addr().String()
}

// A node behind a TLS endpoint that completes the handshake and then
// answers nothing must not hang doctor: every network step is bounded by
// redis.dial_timeout, with no deadline on doctor's own context (the
// command runs with none).
func TestDoctorHungAfterTLSHandshake(t *testing.T) {
	files := redistest.NewTLSFiles(t)
	addr := hungTLSListener(t, files)
	rt := runtimeFor(t, func(c *config.Config) {
		c.Redis.Addrs = []string{addr}
		c.Redis.DialTimeout = 500 * time.Millisecond
		c.Redis.TLS.Enabled = true
		c.Redis.TLS.CAFile = files.CAFile
	})
	got := make(chan *doctor.Report, 1)
	go func() { got <- doctor.Run(context.Background(), doctor.Options{Runtime: rt}) }()
	var r *doctor.Report
	select {
	case r = <-got:
	case <-time.After(60 * time.Second):
		t.Fatal("doctor did not return within a minute against a node that completes TLS handshakes and answers nothing")
	}
	if r.ExitCode() != 1 {
		t.Errorf("exit code %d, want 1", r.ExitCode())
	}
	for _, res := range r.Results {
		t.Logf("%s %s: %s", res.Status, res.Name, res.Detail)
		if res.Check == "auth" && (res.Status != doctor.Fail || !strings.Contains(res.Detail, "could not talk to the node")) {
			t.Errorf("auth: %s %q, want a failure to talk to the node", res.Status, res.Detail)
		}
	}
}

// An interrupted doctor (Ctrl-C, SIGTERM from a timeout wrapper) never
// exits 0: checks cut short may be SKIP or WARN, so the report ends with a
// FAIL line that says it is incomplete.
func TestDoctorInterruptedFails(t *testing.T) {
	s := redistest.Standalone(t, redistest.Options{})
	rt := runtimeFor(t, func(c *config.Config) {
		c.Redis.Addrs = []string{s.Addr}
	})
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	r := doctor.Run(ctx, doctor.Options{Runtime: rt})
	if r.ExitCode() != 1 {
		t.Errorf("exit code %d, want 1", r.ExitCode())
	}
	last := r.Results[len(r.Results)-1]
	if last.Check != "interrupted" || last.Status != doctor.Fail || !strings.Contains(last.Detail, "incomplete") {
		t.Errorf("last line %s %s: %q, want the interrupted FAIL", last.Status, last.Name, last.Detail)
	}
}
