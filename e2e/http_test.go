package e2e

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
	"unicode/utf8"

	"golang.org/x/crypto/bcrypt"

	"github.com/elasticache-exporter/elasticache-exporter/internal/redistest"
)

// Issue #10, defect 7: with basic auth from --web.config.file, the
// kubelet's probes (no credentials) must still reach /healthz and /readyz;
// everything else keeps needing a user.
func TestHealthEndpointsNeedNoCredentials(t *testing.T) {
	node := redistest.Standalone(t, redistest.Options{})
	hash, err := bcrypt.GenerateFromPassword([]byte("scrape-secret"), bcrypt.MinCost)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	webConfig := filepath.Join(dir, "web.yml")
	writeFile(t, webConfig, fmt.Sprintf("basic_auth_users:\n  prometheus: %s\n", hash))
	exporter := startDaemonAs(t, "exporter", exporterBin, "/metrics", url.UserPassword("prometheus", "scrape-secret"), func(addr string) []string {
		return []string{"--redis.addr=" + node.Addr, "--web.listen-address=" + addr, "--web.config.file=" + webConfig}
	})
	client := &http.Client{Timeout: 15 * time.Second}
	for _, tt := range []struct {
		path string
		auth bool
		want int
	}{
		{"/healthz", false, http.StatusOK},
		{"/readyz", false, http.StatusOK},
		{"/metrics", false, http.StatusUnauthorized},
		{"/api/v1/topology", false, http.StatusUnauthorized},
		{"/metrics", true, http.StatusOK},
	} {
		req, _ := http.NewRequest(http.MethodGet, exporter.URL()+tt.path, nil)
		if tt.auth {
			req.SetBasicAuth("prometheus", "scrape-secret")
		}
		resp, err := client.Do(req)
		if err != nil {
			t.Fatalf("GET %s: %v", tt.path, err)
		}
		resp.Body.Close()
		if resp.StatusCode != tt.want {
			t.Errorf("GET %s (credentials: %v): %d, want %d", tt.path, tt.auth, resp.StatusCode, tt.want)
		}
	}
	if strings.Contains(exporter.logTail(1000), "scrape-secret") {
		t.Error("the password appears in the exporter's log")
	}
}

// Issue #10, defect 7: /probe must not reflect what a client sent beyond
// a short quoted prefix: not a 1 MB target, not invalid UTF-8.
func TestProbeErrorsEchoOnlyABoundedPrefix(t *testing.T) {
	node := redistest.Standalone(t, redistest.Options{})
	exporter := startExporter(t, "", node.Addr)
	client := &http.Client{Timeout: 30 * time.Second}
	for _, tt := range []struct {
		name, target string
		wantPrefix   string // a quoted prefix the body must hold ("" for none)
	}{
		{"1 MB target", strings.Repeat("A", 1<<20), ""},
		{"300-byte host:port", strings.Repeat("B", 300) + ":6379", ""},
		{"unknown 200-byte host", strings.Repeat("C", 200) + ":6379", `"` + strings.Repeat("C", 100)},
		{"invalid UTF-8", url.QueryEscape("\xff\xfe\xfd:6379"), `\xff\xfe\xfd:6379`},
	} {
		resp, err := client.Get(exporter.URL() + "/probe?target=" + tt.target)
		if err != nil {
			if tt.wantPrefix == "" {
				continue // refusing the connection is no echo either
			}
			t.Fatalf("%s: %v", tt.name, err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode == http.StatusOK {
			t.Errorf("%s: 200 to a target the exporter does not read", tt.name)
		}
		if len(body) > 1024 {
			t.Errorf("%s: %d-byte error body (%s), want at most 1 KiB", tt.name, len(body), resp.Status)
		}
		for _, ch := range "ABC" {
			if n := strings.Count(string(body), string(ch)); n > 128 {
				t.Errorf("%s: the body repeats %d bytes of the target, want at most 128", tt.name, n)
			}
		}
		if !utf8.Valid(body) {
			t.Errorf("%s: the body is not valid UTF-8: %q", tt.name, body)
		}
		if !strings.Contains(string(body), tt.wantPrefix) {
			t.Errorf("%s: body %.200q lacks %q", tt.name, body, tt.wantPrefix)
		}
	}
}

// idleTimeoutBound is the exporter's idle timeout for keep-alive
// connections (90 s, above a 60 s scrape interval) plus slack.
const idleTimeoutBound = 105 * time.Second

// Issue #10, defect 7: idle keep-alive connections, and connections that
// never finish their request headers, are closed by the server instead of
// being held for ever.
func TestIdleConnectionsAreClosed(t *testing.T) {
	t.Parallel()
	node := redistest.Standalone(t, redistest.Options{})
	exporter := startExporter(t, "", node.Addr)

	const idle = 20
	var conns []net.Conn
	for i := range idle + 1 {
		conn, err := net.Dial("tcp", exporter.Addr)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { conn.Close() })
		conns = append(conns, conn)
		if i == idle {
			// The last one never finishes its headers.
			if _, err := io.WriteString(conn, "GET /healthz HTTP/1.1\r\nHost: exporter\r\n"); err != nil {
				t.Fatal(err)
			}
			continue
		}
		if _, err := io.WriteString(conn, "GET /healthz HTTP/1.1\r\nHost: exporter\r\n\r\n"); err != nil {
			t.Fatal(err)
		}
		resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK || resp.Close {
			t.Fatalf("keep-alive GET /healthz: %s, close %v", resp.Status, resp.Close)
		}
	}
	start := time.Now()
	closedAfter := make([]time.Duration, len(conns))
	var wg sync.WaitGroup
	for i, conn := range conns {
		wg.Go(func() {
			_ = conn.SetReadDeadline(start.Add(idleTimeoutBound))
			_, err := io.Copy(io.Discard, conn)
			var ne net.Error
			if errors.As(err, &ne) && ne.Timeout() {
				closedAfter[i] = -1
				return
			}
			closedAfter[i] = time.Since(start)
		})
	}
	wg.Wait()
	open := 0
	for _, d := range closedAfter[:idle] {
		if d < 0 {
			open++
		}
	}
	if open > 0 {
		t.Errorf("%d of %d idle keep-alive connections still open after %s", open, idle, idleTimeoutBound)
	}
	if d := closedAfter[idle]; d < 0 || d > 15*time.Second {
		t.Errorf("a connection with unfinished headers was closed after %v (-1: not within %s), want within the 10 s read-header timeout", d, idleTimeoutBound)
	}
}
