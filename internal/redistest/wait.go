package redistest

import (
	"fmt"
	"testing"
	"time"
)

// pollInterval is short because everything waited for here is local and
// usually ready within milliseconds; fixed sleeps would make tests slow.
const pollInterval = 10 * time.Millisecond

// WaitFor polls cond until it returns true, failing the test with msg
// ("waiting for <msg>") after timeout. Call it from the test goroutine.
func WaitFor(t testing.TB, timeout time.Duration, cond func() bool, msg string) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("redistest: timed out after %s waiting for %s", timeout, msg)
		}
		time.Sleep(pollInterval)
	}
}

// poll is the harness's own WaitFor: check reports whether it is done and,
// if not, what it saw, so that a timeout says which node is behind.
func poll(timeout time.Duration, check func() (done bool, state string)) error {
	deadline := time.Now().Add(timeout)
	for {
		done, state := check()
		if done {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("not ready after %s: %s", timeout, state)
		}
		time.Sleep(pollInterval)
	}
}
