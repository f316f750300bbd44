package main

import (
	"encoding/json"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/elasticache-exporter/elasticache-exporter/internal/config/configtest"
	"github.com/elasticache-exporter/elasticache-exporter/internal/redistest"
)

// `exporter doctor` never prints the configured password, however it is
// given (file, environment, seed URI, with an ACL user) and whatever
// happens: a server that refuses it (WRONGPASS) and one that accepts it,
// in text and JSON. The token is recognisable, and no 4-byte window of it
// may appear on stdout or stderr.
func TestDoctorNeverPrintsTheSecret(t *testing.T) {
	token := configtest.Token
	refusing := redistest.Standalone(t, redistest.Options{Password: "the-servers-own-token-0123456789"})
	accepting := redistest.Standalone(t, redistest.Options{Password: token})
	dir := t.TempDir()
	tokenFile := filepath.Join(dir, "token")
	if err := os.WriteFile(tokenFile, []byte(token+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	uri := func(s *redistest.Server, user string) string {
		u := url.URL{Scheme: "redis", Host: s.Addr, User: url.UserPassword(user, token)}
		return u.String()
	}
	env := []string{"DOCTOR_TOKEN=" + token}
	for _, tc := range []struct {
		name     string
		args     []string
		wantCode int
	}{
		{"file, refused", []string{"--redis.addr", refusing.Addr, "--redis.password-file", tokenFile}, 1},
		{"URI, refused", []string{"--redis.addr", uri(refusing, "")}, 1},
		{"URI with an ACL user, refused", []string{"--redis.addr", uri(refusing, "exporter")}, 1},
		{"file, accepted", []string{"--redis.addr", accepting.Addr, "--redis.password-file", tokenFile}, 0},
		{"URI, accepted", []string{"--redis.addr", uri(accepting, "")}, 0},
	} {
		for _, output := range []string{"text", "json"} {
			r := runBinary(t, 30*time.Second, env, append([]string{"doctor", "--output", output}, tc.args...)...)
			if r.code != tc.wantCode {
				t.Errorf("%s, %s: exit %d, want %d\n%s%s", tc.name, output, r.code, tc.wantCode, r.stdout, r.stderr)
			}
			if configtest.Leaks(r.stdout+r.stderr, token) {
				t.Errorf("%s, %s: the output carries part of the token:\n%s%s", tc.name, output, r.stdout, r.stderr)
			}
			if tc.wantCode == 1 && !strings.Contains(r.stdout, "WRONGPASS") {
				t.Errorf("%s, %s: no WRONGPASS verdict:\n%s", tc.name, output, r.stdout)
			}
		}
	}
	// The same with the token from an environment variable, in a file.
	cfgFile := filepath.Join(dir, "doctor.yml")
	yml := "redis:\n  addrs: [\"" + refusing.Addr + "\"]\n  password:\n    env: DOCTOR_TOKEN\n"
	if err := os.WriteFile(cfgFile, []byte(yml), 0o600); err != nil {
		t.Fatal(err)
	}
	r := runBinary(t, 30*time.Second, env, "doctor", "--config.file", cfgFile)
	if r.code != 1 || !strings.Contains(r.stdout, "WRONGPASS") || configtest.Leaks(r.stdout+r.stderr, token) {
		t.Errorf("env: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
}

// The command's contract: one line per check in order, the exit code (0
// with nothing failed, 1 on any FAIL, an invalid configuration included)
// and --output json.
func TestDoctorCommand(t *testing.T) {
	node := redistest.Standalone(t, redistest.Options{})
	r := runBinary(t, 30*time.Second, nil, "doctor", "--redis.addr", node.Addr)
	lines := strings.Split(strings.TrimSpace(r.stdout), "\n")
	wantOrder := []string{"config", "dns", "tcp", "tls", "auth", "role", "commands", "discovery"}
	if r.code != 0 || len(lines) != len(wantOrder)+1 {
		t.Fatalf("healthy node: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	for i, check := range wantOrder {
		if !strings.HasPrefix(lines[i], "PASS  "+check) {
			t.Errorf("line %d: %q, want PASS %s", i+1, lines[i], check)
		}
	}

	closed := freeAddr(t)
	r = runBinary(t, 30*time.Second, nil, "doctor", "--output", "json", "--redis.addr", node.Addr, "--redis.addr", closed)
	var doc struct {
		OK     bool `json:"ok"`
		Checks []struct{ Name, Check, Target, Status, Detail, Fix string }
	}
	if err := json.Unmarshal([]byte(r.stdout), &doc); err != nil {
		t.Fatalf("json: %v\n%s", err, r.stdout)
	}
	if r.code != 1 || doc.OK {
		t.Errorf("closed port: exit %d, ok %v, want 1 and false", r.code, doc.OK)
	}
	var refused bool
	for _, c := range doc.Checks {
		if c.Check == "tcp" && strings.HasPrefix(c.Target, closed) {
			refused = c.Status == "FAIL" && strings.Contains(c.Detail, "refused") && c.Fix != ""
		}
	}
	if !refused {
		t.Errorf("no FAIL tcp check with the fix for %s:\n%s", closed, r.stdout)
	}

	r = runBinary(t, 30*time.Second, nil, "doctor", "--redis.addr", node.Addr, "--scrape.concurrency", "0")
	if r.code != 1 || !strings.HasPrefix(r.stdout, "FAIL  config: invalid: ") || !strings.Contains(r.stdout, "scrape.concurrency") {
		t.Errorf("invalid configuration: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
}
