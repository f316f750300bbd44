package redistest

import (
	"os/exec"
	"testing"
)

// serverBinary is the program every Server runs.
const serverBinary = "redis-server"

// Require fails the test (it does not skip) when redis-server is not on
// PATH: a test that needs Redis and silently skips proves nothing.
func Require(t testing.TB) {
	t.Helper()
	if _, err := exec.LookPath(serverBinary); err != nil {
		t.Fatalf("redistest: %s is not on PATH (%v); these tests run a real Redis: run `make deps` or `apt-get install redis-server`", serverBinary, err)
	}
}
