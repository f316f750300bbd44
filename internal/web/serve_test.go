package web

import (
	"bufio"
	"context"
	"crypto/tls"
	"errors"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"
)

// startServer serves h through NewServer on a loopback port until the
// test ends and returns the base URL's host:port.
func startServer(t *testing.T, h http.Handler, o ServerOptions) string {
	t.Helper()
	s, err := NewServer(h, o)
	if err != nil {
		t.Fatalf("NewServer: %v", err)
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- s.Serve(ctx, l) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("Serve returned %v after the context ended, want nil", err)
		}
	})
	return l.Addr().String()
}

// closedWithin reports whether the server closes conn (EOF or reset)
// within d, reading and discarding whatever it sends.
func closedWithin(conn net.Conn, d time.Duration) bool {
	_ = conn.SetReadDeadline(time.Now().Add(d))
	_, err := io.Copy(io.Discard, conn)
	var ne net.Error
	return !errors.As(err, &ne) || !ne.Timeout()
}

func TestDefaultTimeoutsAreSane(t *testing.T) {
	d := DefaultTimeouts()
	if d.ReadHeader <= 0 || d.ReadHeader > 30*time.Second {
		t.Errorf("ReadHeader %s, want a few seconds", d.ReadHeader)
	}
	if d.Write <= maxScrapeTimeout {
		t.Errorf("Write %s must exceed the longest scrape a client may ask for (%s)", d.Write, maxScrapeTimeout)
	}
	if d.Idle <= time.Minute || d.Idle > 5*time.Minute {
		t.Errorf("Idle %s: want above a 60 s scrape interval and bounded", d.Idle)
	}
	if d.Read <= d.ReadHeader {
		t.Errorf("Read %s must exceed ReadHeader %s", d.Read, d.ReadHeader)
	}
	if got := (Timeouts{Idle: time.Second}).withDefaults(); got.Idle != time.Second || got.Write != d.Write {
		t.Errorf("withDefaults kept %+v, want Idle 1s and the rest default", got)
	}
}

// An idle keep-alive connection, a client that never finishes its headers
// and a handler slower than the write timeout are all cut off: none holds
// a connection for ever.
func TestServerTimeoutsCutConnectionsOff(t *testing.T) {
	slow := make(chan struct{})
	t.Cleanup(func() { close(slow) })
	mux := http.NewServeMux()
	mux.HandleFunc("/fast", func(w http.ResponseWriter, _ *http.Request) { _, _ = w.Write([]byte("ok\n")) })
	mux.HandleFunc("/slow", func(w http.ResponseWriter, _ *http.Request) {
		select {
		case <-slow:
		case <-time.After(1500 * time.Millisecond):
		}
		_, _ = w.Write([]byte("too late\n"))
	})
	addr := startServer(t, mux, ServerOptions{Timeouts: Timeouts{
		ReadHeader: 300 * time.Millisecond, Read: time.Second, Write: 500 * time.Millisecond, Idle: 400 * time.Millisecond,
	}})

	t.Run("idle keep-alive", func(t *testing.T) {
		conn, err := net.Dial("tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close()
		if _, err := io.WriteString(conn, "GET /fast HTTP/1.1\r\nHost: x\r\n\r\n"); err != nil {
			t.Fatal(err)
		}
		resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.Close {
			t.Fatal("the server did not keep the connection alive; nothing to test")
		}
		if !closedWithin(conn, 3*time.Second) {
			t.Error("an idle keep-alive connection was still open 3 s after its response (idle timeout 400 ms)")
		}
	})
	t.Run("unfinished headers", func(t *testing.T) {
		conn, err := net.Dial("tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close()
		if _, err := io.WriteString(conn, "GET /fast HTTP/1.1\r\nHost: x\r\n"); err != nil {
			t.Fatal(err)
		}
		if !closedWithin(conn, 3*time.Second) {
			t.Error("a request with unfinished headers held its connection 3 s (read-header timeout 300 ms)")
		}
	})
	t.Run("slow handler", func(t *testing.T) {
		client := &http.Client{Timeout: 5 * time.Second}
		resp, err := client.Get("http://" + addr + "/slow")
		if err == nil {
			body, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			t.Errorf("a response written after the write timeout arrived: %d %q", resp.StatusCode, body)
		}
	})
}

// Oversized request heads are refused by net/http (431) before any
// handler, oversized query strings by the router (414), both with short
// bodies that echo nothing.
func TestOversizedRequestsAreRefused(t *testing.T) {
	h, err := NewRouter(testDeps(t))
	if err != nil {
		t.Fatal(err)
	}
	addr := startServer(t, h, ServerOptions{})
	client := &http.Client{Timeout: 10 * time.Second}
	for _, tt := range []struct {
		name   string
		target string
		status int
	}{
		{"1 MB target", strings.Repeat("A", 1<<20), http.StatusRequestHeaderFieldsTooLarge},
		{"8 KiB target", strings.Repeat("A", 8<<10), http.StatusRequestURITooLong},
	} {
		resp, err := client.Get("http://" + addr + "/probe?target=" + tt.target)
		if err != nil {
			t.Fatalf("%s: %v", tt.name, err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != tt.status {
			t.Errorf("%s: status %d, want %d", tt.name, resp.StatusCode, tt.status)
		}
		if len(body) > 256 || strings.Contains(string(body), "AAAAAAAA") {
			t.Errorf("%s: %d-byte body echoes the input: %.300q", tt.name, len(body), body)
		}
	}
}

func TestServeFailsOnBadListenAddress(t *testing.T) {
	s, err := NewServer(http.NotFoundHandler(), ServerOptions{ListenAddresses: []string{"no-such-host.invalid:0"}})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := s.Serve(ctx); err == nil || !strings.Contains(err.Error(), "no-such-host.invalid") {
		t.Errorf("Serve on an unresolvable address: %v, want an error naming it", err)
	}
}

// tlsClient trusts ca and speaks HTTP/1.1.
func tlsClient(cfg *tls.Config) *http.Client {
	return &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{TLSClientConfig: cfg}}
}
