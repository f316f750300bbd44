package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/elasticache-exporter/elasticache-exporter/internal/config/configtest"
	"github.com/elasticache-exporter/elasticache-exporter/internal/redistest"
	"github.com/elasticache-exporter/elasticache-exporter/internal/syncbuf"
)

// The binary is built once, on first use, the way an operator runs it.
var (
	binOnce sync.Once
	binDir  string
	binPath string
	binErr  error
)

func TestMain(m *testing.M) {
	code := m.Run()
	if binDir != "" {
		os.RemoveAll(binDir)
	}
	os.Exit(code)
}

func exporterBinary(t *testing.T) string {
	t.Helper()
	binOnce.Do(func() {
		if binDir, binErr = os.MkdirTemp("", "exporter-cli-"); binErr != nil {
			return
		}
		binPath = filepath.Join(binDir, "exporter")
		out, err := exec.Command("go", "build", "-o", binPath, ".").CombinedOutput()
		if err != nil {
			binErr = fmt.Errorf("go build: %v\n%s", err, out)
		}
	})
	if binErr != nil {
		t.Fatal(binErr)
	}
	return binPath
}

type result struct {
	code           int
	stdout, stderr string
	timedOut       bool
}

// runBinary runs the exporter with args; a process still running after
// timeout is killed and reported as timed out (a daemon that started).
func runBinary(t *testing.T, timeout time.Duration, env []string, args ...string) result {
	t.Helper()
	bin := exporterBinary(t) // built before the clock starts
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, args...)
	cmd.Env = append(os.Environ(), env...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	r := result{stdout: stdout.String(), stderr: stderr.String(), timedOut: ctx.Err() != nil}
	var exit *exec.ExitError
	switch {
	case err == nil:
	case errors.As(err, &exit):
		r.code = exit.ExitCode()
	default:
		t.Fatalf("run %v: %v", args, err)
	}
	return r
}

func freeAddr(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().String()
}

// subcommands reads the command list from the top-level help, so that a
// command added later is covered too.
func subcommands(t *testing.T) [][]string {
	t.Helper()
	r := runBinary(t, 20*time.Second, nil, "--help")
	_, list, ok := strings.Cut(r.stdout, "\nCommands:\n")
	if r.code != 0 || !ok {
		t.Fatalf("--help: %d, no command list:\n%s%s", r.code, r.stdout, r.stderr)
	}
	var out [][]string
	name := regexp.MustCompile(`^[a-z]`)
	for _, line := range strings.Split(list, "\n") {
		if !name.MatchString(line) {
			continue
		}
		var words []string
		for _, w := range strings.Fields(line) {
			if strings.HasPrefix(w, "[") || strings.HasPrefix(w, "<") {
				break
			}
			words = append(words, strings.TrimSuffix(w, "*"))
		}
		out = append(out, words)
	}
	if len(out) < 7 {
		t.Fatalf("found only %v in the help", out)
	}
	return out
}

// --help and --version print and exit 0 without starting anything, for
// the daemon and for every subcommand: until now `exporter --help` went on
// to start serve, and `rules --help` printed the rules after the help.
func TestHelpAndVersionStartNothing(t *testing.T) {
	listen := freeAddr(t)
	// What would make the daemon start, and the subcommands act, if they ran.
	daemon := []string{"--redis.addr", "127.0.0.1:1", "--web.listen-address", listen, "--aws.region", "us-east-1", "--aws.endpoint-url", "http://127.0.0.1:1"}
	cases := [][]string{{"--help"}, {"-h"}, {"--help-long"}, {"help"}, {"--version"}}
	for _, cmd := range subcommands(t) {
		cases = append(cases, append(append([]string{}, cmd...), "--help"), append([]string{"help"}, cmd...))
	}
	for _, args := range cases {
		t.Run(strings.Join(args, " "), func(t *testing.T) {
			r := runBinary(t, 20*time.Second, nil, append(args, daemon...)...)
			if r.timedOut {
				t.Fatalf("still running after 20s: it started something\n%s", r.stderr)
			}
			if r.code != 0 {
				t.Fatalf("exit %d\nstdout:\n%s\nstderr:\n%s", r.code, r.stdout, r.stderr)
			}
			want := "usage: exporter"
			if args[0] == "--version" {
				want = "elasticache-exporter, version"
			}
			if !strings.Contains(r.stdout, want) {
				t.Errorf("stdout lacks %q:\n%s", want, r.stdout)
			}
			if strings.Contains(r.stdout, "alert: ElastiCache") || strings.Contains(r.stderr, "level=") {
				t.Errorf("it ran the command or the daemon:\nstdout:\n%s\nstderr:\n%s", r.stdout, r.stderr)
			}
		})
	}
	if c, err := net.DialTimeout("tcp", listen, time.Second); err == nil {
		c.Close()
		t.Errorf("something listens on %s", listen)
	}
}

// --config.check rejects what serve rejects, naming the field, and serve
// rejects it too, before starting anything. On the old HEAD each of these
// was "configuration is valid", and serve failed later or ran with it.
func TestConfigCheckRunsTheDaemonsChecks(t *testing.T) {
	dir := t.TempDir()
	write := func(name, content string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	seed := "redis:\n  addrs: [\"127.0.0.1:6379\"]\n"
	empty := write("empty-token", "")
	tests := []struct {
		name string
		args []string
		want string
	}{
		{"memory threshold 150 %", []string{"--config.file", write("mem.yml", seed+"alarms:\n  ElastiCacheHighMemoryUsage: {threshold: 150}\n")},
			"alarms.ElastiCacheHighMemoryUsage.threshold: 150 is out of range; use a percentage from 0 to 100"},
		{"NaN threshold", []string{"--config.file", write("nan.yml", seed+"alarms:\n  ElastiCacheHighEngineCPU: {threshold: .nan}\n")},
			"alarms.ElastiCacheHighEngineCPU.threshold: is not a finite number"},
		{"negative window", []string{"--config.file", write("window.yml", seed+"alarms:\n  ElastiCacheEvictions: {window: -5m}\n")},
			"alarms.ElastiCacheEvictions.window: -5m0s is outside 10s..24h"},
		{"missing password file", []string{"--redis.addr", "127.0.0.1:6379", "--redis.password-file", filepath.Join(dir, "missing")},
			"redis.password.file: cannot read " + filepath.Join(dir, "missing") + ": no such file or directory"},
		{"empty password file", []string{"--redis.addr", "127.0.0.1:6379", "--redis.password-file", empty},
			"redis.password.file: " + empty + " is empty"},
		{"missing web config file", []string{"--redis.addr", "127.0.0.1:6379", "--web.config.file", filepath.Join(dir, "web.yml")},
			"--web.config.file: is not a valid web configuration: web config " + filepath.Join(dir, "web.yml")},
		{"empty telemetry path", []string{"--redis.addr", "127.0.0.1:6379", "--web.telemetry-path", ""},
			`--web.telemetry-path: "" is not a URL path`},
		{"seed port 99999", []string{"--redis.addr", "127.0.0.1:99999"},
			"redis.addrs[0]: its port is not a number from 1 to 65535"},
		{"listen port 99999", []string{"--redis.addr", "127.0.0.1:6379", "--web.listen-address", "127.0.0.1:99999"},
			`--web.listen-address[0] "127.0.0.1:99999": its port is not a number from 0 to 65535`},
		{"listen host that does not resolve", []string{"--redis.addr", "127.0.0.1:6379", "--web.listen-address", "exporter.invalid:9763"},
			`--web.listen-address[0]: host "exporter.invalid" does not resolve`},
		{"two documents", []string{"--config.file", write("two.yml", seed+"---\nscrape: {concurrency: 4}\n")},
			"two.yml:3: a second YAML document starts here"},
		{"provision spec missing", []string{"--config.file", write("prov.yml", "provision: {enabled: true, spec_file: "+filepath.Join(dir, "spec.yml")+"}\n")},
			"provision.spec_file: provision spec: open " + filepath.Join(dir, "spec.yml") + ": no such file or directory"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := runBinary(t, 30*time.Second, nil, append([]string{"--config.check"}, tt.args...)...)
			if r.code != 2 || !strings.Contains(r.stderr, "configuration is invalid:\n") || !strings.Contains(r.stderr, tt.want) {
				t.Errorf("--config.check: exit %d\nstdout: %s\nstderr: %s\nwant exit 2 and %q", r.code, r.stdout, r.stderr, tt.want)
			}
			args := tt.args
			if !strings.Contains(strings.Join(args, " "), "--web.listen-address") {
				args = append(args, "--web.listen-address", freeAddr(t))
			}
			serve := runBinary(t, 30*time.Second, nil, args...)
			if serve.timedOut || serve.code != 2 || !strings.Contains(serve.stderr, tt.want) {
				t.Errorf("serve: exit %d (timed out %v)\nstderr: %s\nwant exit 2 and %q", serve.code, serve.timedOut, serve.stderr, tt.want)
			}
		})
	}

	// Every problem at once.
	r := runBinary(t, 30*time.Second, nil, "--config.check", "--config.file", write("many.yml", seed+"alarms:\n  ElastiCacheHighMemoryUsage: {threshold: 150}\nscrape: {concurrency: 0}\n"),
		"--redis.password-file", empty, "--web.telemetry-path", "metrics", "--web.listen-address", ":99999")
	for _, field := range []string{"alarms.ElastiCacheHighMemoryUsage.threshold:", "scrape.concurrency:", "redis.password.file:", "--web.telemetry-path:", "--web.listen-address[0]"} {
		if r.code != 2 || !strings.Contains(r.stderr, field) {
			t.Errorf("all at once: exit %d, %q missing from\n%s", r.code, field, r.stderr)
		}
	}
}

// With a subcommand, --config.check checks and does nothing else: no
// rules printed, no AWS call (the endpoint is a closed port).
func TestConfigCheckWithASubcommandActsNot(t *testing.T) {
	aws := []string{"--aws.region", "us-east-1", "--aws.endpoint-url", "http://127.0.0.1:1", "--cloudwatch.cache-cluster-id", "kafka-platform-prod-001"}
	for _, cmd := range [][]string{{"rules"}, {"alarms", "apply"}, {"alarms", "plan"}, {"provision", "outputs"}} {
		r := runBinary(t, 30*time.Second, nil, append(append(cmd, "--config.check"), aws...)...)
		if r.code != 0 || r.stdout != "configuration is valid for "+strings.Join(cmd, " ")+"\n" {
			t.Errorf("%v --config.check: exit %d\nstdout: %s\nstderr: %s", cmd, r.code, r.stdout, r.stderr)
		}
	}
}

// No output of the binary carries any part of a secret typed into the wrong
// place, whatever shape the YAML mistake takes.
func TestConfigCheckNeverPrintsASecret(t *testing.T) {
	token := configtest.Token
	shapes := configtest.SecretShapes(token)
	names := make([]string, 0, len(shapes))
	for n := range shapes {
		names = append(names, n)
	}
	sort.Strings(names)
	dir := t.TempDir()
	for i, name := range names {
		path := filepath.Join(dir, fmt.Sprintf("shape-%d.yml", i))
		if err := os.WriteFile(path, []byte(shapes[name]), 0o600); err != nil {
			t.Fatal(err)
		}
		r := runBinary(t, 30*time.Second, []string{token + "="}, "--config.check", "--config.file", path)
		if r.code != 2 {
			t.Errorf("%s: exit %d, want 2\n%s", name, r.code, r.stderr)
		}
		if configtest.Leaks(r.stdout+r.stderr, token) {
			t.Errorf("%s: the output carries part of the token:\n%s%s", name, r.stdout, r.stderr)
		}
	}
}

// A reload with a secret in the wrong place is refused, and neither the
// /-/reload response nor the log carries any part of it. The daemon runs
// against a real redis-server.
func TestReloadNeverPrintsASecret(t *testing.T) {
	node := redistest.Standalone(t, redistest.Options{})
	dir := t.TempDir()
	cfgPath := filepath.Join(dir, "config.yml")
	good := "redis:\n  addrs: [\"" + node.Addr + "\"]\n"
	if err := os.WriteFile(cfgPath, []byte(good), 0o600); err != nil {
		t.Fatal(err)
	}
	listen := freeAddr(t)
	var logs syncbuf.Buffer
	cmd := exec.Command(exporterBinary(t), "--config.file", cfgPath, "--web.listen-address", listen)
	cmd.Stdout, cmd.Stderr = &logs, &logs
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })
	reload := func() (int, string) {
		resp, err := http.Post("http://"+listen+"/-/reload", "text/plain", nil)
		if err != nil {
			return 0, err.Error()
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	deadline := time.Now().Add(20 * time.Second)
	for code, _ := reload(); code != http.StatusOK; code, _ = reload() {
		if time.Now().After(deadline) {
			t.Fatalf("the daemon did not come up:\n%s", logs.String())
		}
		time.Sleep(100 * time.Millisecond)
	}
	token := configtest.Token
	for name, shape := range configtest.SecretShapes(token) {
		// Keep the seed so that only the secret's shape is wrong.
		bad := good + strings.TrimPrefix(shape, "redis:\n")
		if strings.Contains(shape, `addrs: ["127.0.0.1:6379"]`) {
			bad = strings.ReplaceAll(shape, "127.0.0.1:6379", node.Addr)
		}
		if err := os.WriteFile(cfgPath, []byte(bad), 0o600); err != nil {
			t.Fatal(err)
		}
		code, body := reload()
		if code != http.StatusBadRequest {
			t.Errorf("%s: reload answered %d %s", name, code, body)
		}
		if configtest.Leaks(body, token) {
			t.Errorf("%s: the /-/reload response carries part of the token: %s", name, body)
		}
	}
	if err := os.WriteFile(cfgPath, []byte(good), 0o600); err != nil {
		t.Fatal(err)
	}
	if code, body := reload(); code != http.StatusOK {
		t.Errorf("reload of the good configuration: %d %s", code, body)
	}
	if configtest.Leaks(logs.String(), token) {
		t.Errorf("the log carries part of the token:\n%s", logs.String())
	}
	if !strings.Contains(logs.String(), "reload failed") {
		t.Errorf("no failed reload was logged:\n%s", logs.String())
	}
}
