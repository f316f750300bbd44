//go:build k8s

package leader

// The election against a real kube-apiserver (with etcd, on loopback):
//
//	go test -tags k8s ./internal/leader/
//
// uses the API server named by K8S_KUBECONFIG (a kubeconfig file) or
// E2E_K8S_DIR (a directory of ../shared/k8s/start.sh, as make e2e-k8s has),
// or else starts one with ../shared/k8s/start.sh when kube-apiserver and
// etcd are already built (K8S_BIN, default ~/.cache/local-k8s/bin); it skips,
// saying so, when there is none. It never builds them (15 minutes).

import (
	"bufio"
	"context"
	"fmt"
	"log/slog"
	"net/url"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"
)

// Short timings so that takeovers take seconds: the ratios are the
// defaults' (15 s / 10 s / 2 s would make the same test take a minute).
const (
	testLeaseDuration = 3 * time.Second
	testRenewDeadline = 2 * time.Second
	testRetryPeriod   = 500 * time.Millisecond
	testNamespace     = "default"
)

var (
	testKubeconfig string // "" with skipReason set when there is no API server
	skipReason     string
)

func TestMain(m *testing.M) {
	if id := os.Getenv("LEADER_TEST_ELECTOR"); id != "" {
		os.Exit(electorProcess(id))
	}
	stop := findAPIServer()
	code := m.Run()
	stop()
	os.Exit(code)
}

// findAPIServer sets testKubeconfig, starting an API server when the
// environment names none; the returned func stops what it started.
func findAPIServer() (stop func()) {
	if p := os.Getenv("K8S_KUBECONFIG"); p != "" {
		testKubeconfig = p
		return func() {}
	}
	if d := os.Getenv("E2E_K8S_DIR"); d != "" {
		testKubeconfig = filepath.Join(d, "kubeconfig")
		return func() {}
	}
	recipe := os.Getenv("K8S_RECIPE")
	if recipe == "" {
		recipe = filepath.Join("..", "..", "..", "shared", "k8s")
	}
	bin := os.Getenv("K8S_BIN")
	if bin == "" {
		home, _ := os.UserHomeDir()
		bin = filepath.Join(home, ".cache", "local-k8s", "bin")
	}
	for _, f := range []string{filepath.Join(recipe, "start.sh"), filepath.Join(bin, "kube-apiserver"), filepath.Join(bin, "etcd")} {
		if _, err := os.Stat(f); err != nil {
			skipReason = fmt.Sprintf("no Kubernetes API server: %s is missing. Set K8S_KUBECONFIG to the kubeconfig of a loopback kube-apiserver, or build one with ../shared/k8s/build.sh (K8S_BIN, K8S_RECIPE)", f)
			return func() {}
		}
	}
	dir, err := os.MkdirTemp("", "leader-k8s-")
	if err != nil {
		skipReason = err.Error()
		return func() {}
	}
	cmd := exec.Command(filepath.Join(recipe, "start.sh"), dir)
	cmd.Env = append(os.Environ(), "K8S_BIN="+bin)
	cmd.Stderr = os.Stderr
	began := time.Now()
	if _, err := cmd.Output(); err != nil {
		fmt.Fprintf(os.Stderr, "start.sh: %v\n", err)
		killAPIServer(dir)
		os.Exit(1) // the binaries are there: failing to start is a failure, not a skip
	}
	fmt.Fprintf(os.Stderr, "kube-apiserver and etcd up in %s (%s)\n", time.Since(began).Round(100*time.Millisecond), dir)
	testKubeconfig = filepath.Join(dir, "kubeconfig")
	return func() { killAPIServer(dir) }
}

// killAPIServer stops start.sh's processes with SIGKILL (a TERM can leave
// kube-apiserver waiting on an etcd that already stopped) and removes dir.
func killAPIServer(dir string) {
	if data, err := os.ReadFile(filepath.Join(dir, "pids")); err == nil {
		for _, f := range strings.Fields(string(data)) {
			if pid, err := strconv.Atoi(f); err == nil && pid > 1 {
				if p, err := os.FindProcess(pid); err == nil {
					_ = p.Kill()
				}
			}
		}
	}
	time.Sleep(200 * time.Millisecond)
	_ = os.RemoveAll(dir)
}

// restConfigForTest reads the kubeconfig and refuses any server but
// loopback.
func restConfigForTest(t testing.TB) *rest.Config {
	t.Helper()
	if testKubeconfig == "" {
		t.Skip(skipReason)
	}
	rc, err := clientcmd.BuildConfigFromFlags("", testKubeconfig)
	if err != nil {
		t.Fatalf("kubeconfig %s: %v", testKubeconfig, err)
	}
	u, err := url.Parse(rc.Host)
	if err != nil || (u.Hostname() != "127.0.0.1" && u.Hostname() != "::1") {
		t.Fatalf("kubeconfig %s names the server %q: these tests talk to loopback only", testKubeconfig, rc.Host)
	}
	return rc
}

func testConfig(lease, identity string) Config {
	return Config{
		Name: lease, Namespace: testNamespace, Identity: identity,
		LeaseDuration: testLeaseDuration, RenewDeadline: testRenewDeadline, RetryPeriod: testRetryPeriod,
		Kubeconfig: testKubeconfig,
	}
}

func uniqueLease(prefix string) string {
	return fmt.Sprintf("%s-%d", prefix, time.Now().UnixNano())
}

// testLogger writes the electors' logs to the test log.
func testLogger(t testing.TB, id string) *slog.Logger {
	return slog.New(slog.NewTextHandler(testWriter{t}, &slog.HandlerOptions{Level: slog.LevelInfo})).With("elector", id)
}

type testWriter struct{ t testing.TB }

func (w testWriter) Write(p []byte) (int, error) {
	w.t.Log(strings.TrimRight(string(p), "\n"))
	return len(p), nil
}

// electorProcess is the test binary run as one exporter process: it
// campaigns for LEADER_TEST_LEASE (in LEADER_TEST_NAMESPACE, default
// "default") with K8S_KUBECONFIG's credentials and prints "start <unix ns>" and
// "stop <unix ns>" as its work starts and stops, until SIGTERM.
func electorProcess(id string) int {
	testKubeconfig = os.Getenv("K8S_KUBECONFIG")
	cfg := testConfig(os.Getenv("LEADER_TEST_LEASE"), id)
	if ns := os.Getenv("LEADER_TEST_NAMESPACE"); ns != "" {
		cfg.Namespace = ns
	}
	l, err := New(cfg, slog.New(slog.NewTextHandler(os.Stderr, nil)).With("elector", id))
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 2
	}
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM)
	defer stop()
	out := bufio.NewWriter(os.Stdout)
	l.Run(ctx, func(ctx context.Context) {
		fmt.Fprintf(out, "start %d\n", time.Now().UnixNano())
		out.Flush()
		<-ctx.Done()
		fmt.Fprintf(out, "stop %d\n", time.Now().UnixNano())
		out.Flush()
	})
	fmt.Fprintf(out, "exit %d\n", time.Now().UnixNano())
	out.Flush()
	return 0
}
