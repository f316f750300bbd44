package web

import (
	"bytes"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"golang.org/x/crypto/bcrypt"

	"github.com/elasticache-exporter/elasticache-exporter/internal/redistest"
)

// usersYAML is a basic_auth_users section for user:password pairs.
func usersYAML(t *testing.T, pairs ...string) string {
	t.Helper()
	var b strings.Builder
	b.WriteString("basic_auth_users:\n")
	for i := 0; i < len(pairs); i += 2 {
		h, err := bcrypt.GenerateFromPassword([]byte(pairs[i+1]), bcrypt.MinCost)
		if err != nil {
			t.Fatal(err)
		}
		fmt.Fprintf(&b, "  %s: %s\n", pairs[i], h)
	}
	return b.String()
}

// replaceFile writes content to path through a rename, as config
// management does, with a modification time the server cannot miss.
func replaceFile(t *testing.T, path, content string, mtime time.Time) {
	t.Helper()
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Chtimes(tmp, mtime, mtime); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(tmp, path); err != nil {
		t.Fatal(err)
	}
}

type authCase struct {
	path, user, pass string
	want             int
}

func checkAuth(t *testing.T, client *http.Client, base string, cases []authCase) {
	t.Helper()
	for _, c := range cases {
		req, _ := http.NewRequest(http.MethodGet, base+c.path, nil)
		if c.user != "" {
			req.SetBasicAuth(c.user, c.pass)
		}
		resp, err := client.Do(req)
		if err != nil {
			t.Errorf("GET %s as %q: %v", c.path, c.user, err)
			continue
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != c.want {
			t.Errorf("GET %s as %q/%q: %d, want %d (%.100q)", c.path, c.user, c.pass, resp.StatusCode, c.want, body)
		}
		if resp.StatusCode == http.StatusUnauthorized && resp.Header.Get("WWW-Authenticate") == "" {
			t.Errorf("GET %s: 401 without WWW-Authenticate", c.path)
		}
	}
}

// With basic_auth_users, everything but /healthz and /readyz needs a
// user's password; the kubelet's probes carry none and must pass. Users
// rotate with the file, without a restart, and a broken file fails closed
// for everything but the health endpoints.
func TestBasicAuthExemptsHealthEndpoints(t *testing.T) {
	var logs bytes.Buffer
	deps := testDeps(t)
	deps.Logger = slog.New(slog.NewTextHandler(&logs, nil))
	h, err := NewRouter(deps)
	if err != nil {
		t.Fatal(err)
	}
	webConfig := filepath.Join(t.TempDir(), "web.yml")
	replaceFile(t, webConfig, usersYAML(t, "prometheus", "scrape-secret"), time.Now().Add(-time.Hour))
	base := "http://" + startServer(t, h, ServerOptions{WebConfigFile: webConfig, Logger: deps.Logger})
	client := &http.Client{Timeout: 10 * time.Second}

	checkAuth(t, client, base, []authCase{
		{"/healthz", "", "", 200},
		{"/readyz", "", "", 200},
		{"/readyz", "prometheus", "wrong", 200}, // credentials are not even looked at
		{"/metrics", "", "", 401},
		{"/metrics", "prometheus", "wrong", 401},
		{"/metrics", "nobody", "scrape-secret", 401},
		{"/metrics", "prometheus", "scrape-secret", 200},
		{"/metrics", "prometheus", "scrape-secret", 200}, // cached verdict
		{"/", "", "", 401},
		{"/api/v1/topology", "", "", 401},
		{"/healthz/../metrics", "", "", 401},
		{"/probe?target=x:1", "", "", 401},
	})

	// Rotate: a new user replaces the old one.
	replaceFile(t, webConfig, usersYAML(t, "vmagent", "new-secret"), time.Now())
	checkAuth(t, client, base, []authCase{
		{"/metrics", "prometheus", "scrape-secret", 401},
		{"/metrics", "vmagent", "new-secret", 200},
		{"/healthz", "", "", 200},
	})

	// Broken: fail closed, health still answers.
	replaceFile(t, webConfig, "basic_auth_users: [not, a, map]\n", time.Now().Add(time.Second))
	checkAuth(t, client, base, []authCase{
		{"/metrics", "vmagent", "new-secret", 500},
		{"/healthz", "", "", 200},
		{"/readyz", "", "", 200},
	})
	for _, secret := range []string{"scrape-secret", "new-secret"} {
		if strings.Contains(logs.String(), secret) {
			t.Errorf("the log holds the password %q", secret)
		}
	}
}

// TLS from the web config is served (with the health endpoints exempt
// from basic auth but not from TLS); plain HTTP gets no answer.
func TestWebConfigTLS(t *testing.T) {
	files := redistest.NewTLSFiles(t)
	dir := filepath.Dir(files.CertFile)
	h, err := NewRouter(testDeps(t))
	if err != nil {
		t.Fatal(err)
	}
	webConfig := filepath.Join(dir, "web.yml")
	// Paths relative to the web config's directory, as the toolkit reads them.
	replaceFile(t, webConfig, fmt.Sprintf("tls_server_config:\n  cert_file: %s\n  key_file: %s\nhttp_server_config:\n  http2: false\n  headers:\n    X-Frame-Options: deny\n%s",
		filepath.Base(files.CertFile), filepath.Base(files.KeyFile), usersYAML(t, "prometheus", "scrape-secret")), time.Now())
	addr := startServer(t, h, ServerOptions{WebConfigFile: webConfig})
	client := tlsClient(files.ClientConfig())

	checkAuth(t, client, "https://"+addr, []authCase{
		{"/healthz", "", "", 200},
		{"/metrics", "", "", 401},
		{"/metrics", "prometheus", "scrape-secret", 200},
	})
	resp, err := client.Get("https://" + addr + "/metrics")
	if err == nil {
		resp.Body.Close()
		if resp.ProtoMajor != 1 {
			t.Errorf("protocol %s with http2: false", resp.Proto)
		}
		if got := resp.Header.Get("X-Frame-Options"); got != "deny" {
			t.Errorf("X-Frame-Options %q, want the configured deny", got)
		}
	}
	plain := &http.Client{Timeout: 5 * time.Second}
	if resp, err := plain.Get("http://" + addr + "/healthz"); err == nil {
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode == http.StatusOK {
			t.Errorf("plain HTTP to the TLS listener: 200 %q", body)
		}
	}
}

// A web config the server cannot use is refused at start, as the
// toolkit refuses it, naming the problem.
func TestInvalidWebConfigIsRefused(t *testing.T) {
	dir := t.TempDir()
	for name, content := range map[string]string{
		"unknown field":  "basic_auth_user:\n  a: b\n",
		"not bcrypt":     "basic_auth_users:\n  prometheus: plaintext\n",
		"missing cert":   "tls_server_config:\n  cert_file: nope.crt\n  key_file: nope.key\n",
		"bad header":     "http_server_config:\n  headers:\n    X-Evil: 1\n",
		"not yaml":       "{{{",
		"missing a file": "",
	} {
		path := filepath.Join(dir, strings.ReplaceAll(name, " ", "-")+".yml")
		if content != "" {
			replaceFile(t, path, content, time.Now())
		}
		if _, err := NewServer(http.NotFoundHandler(), ServerOptions{WebConfigFile: path}); err == nil {
			t.Errorf("%s: NewServer accepted %q", name, content)
		}
		if err := ValidateWebConfig(path); err == nil {
			t.Errorf("%s: ValidateWebConfig accepted %q", name, content)
		}
	}
}
