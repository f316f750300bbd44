package redistest

import (
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// serverBinary is the program every Server runs unless Options.Server
// names another.
const serverBinary = "redis-server"

// Require fails the test (it does not skip) when redis-server is not on
// PATH: a test that needs Redis and silently skips proves nothing.
func Require(t testing.TB) {
	t.Helper()
	if _, err := exec.LookPath(serverBinary); err != nil {
		t.Fatalf("redistest: %s is not on PATH (%v); these tests run a real Redis: run `make deps` or `apt-get install redis-server`", serverBinary, err)
	}
}

func (o Options) binary() string {
	if o.Server != "" {
		return o.Server
	}
	return serverBinary
}

// require fails the test when the server the options name cannot run.
func (o Options) require(t testing.TB) {
	t.Helper()
	if o.Server == "" {
		Require(t)
		return
	}
	if _, err := exec.LookPath(o.Server); err != nil {
		t.Fatalf("redistest: %s cannot be run: %v", o.Server, err)
	}
}

// valkeyServer is Valkey's server program.
const valkeyServer = "valkey-server"

// ValkeyServer returns the path of a valkey-server for Options.Server: the
// project's shared build at <repository>/../shared/bin/valkey-server (CI
// lays shared/ beside the checkout), else valkey-server on PATH. It fails
// the test (it does not skip) when neither exists.
func ValkeyServer(t testing.TB) string {
	t.Helper()
	path, err := findValkey()
	if err != nil {
		t.Fatalf("redistest: %v; these tests run a real Valkey: put a valkey-server build (8.0.1 is the one tested) at ../shared/bin/valkey-server beside the repository, or on PATH", err)
	}
	return path
}

func findValkey() (string, error) {
	var tried []string
	if root, err := repositoryRoot(); err == nil {
		shared := filepath.Join(filepath.Dir(root), "shared", "bin", valkeyServer)
		if st, err := os.Stat(shared); err == nil && !st.IsDir() && st.Mode()&0o111 != 0 {
			return shared, nil
		}
		tried = append(tried, shared)
	}
	if path, err := exec.LookPath(valkeyServer); err == nil {
		return path, nil
	}
	tried = append(tried, valkeyServer+" on PATH")
	return "", errors.New("no valkey-server: tried " + strings.Join(tried, ", "))
}

// repositoryRoot is the nearest directory above the working directory (a
// package directory under go test) that holds go.mod.
func repositoryRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", errors.New("go.mod not found above the working directory")
		}
		dir = parent
	}
}
