package redistest

import (
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"syscall"
	"testing"
)

// TestMain fails the package when any redis-server child of this test
// binary is still alive after all tests and their cleanups ran.
func TestMain(m *testing.M) {
	code := m.Run()
	if left := childRedisServers(); len(left) > 0 {
		fmt.Fprintf(os.Stderr, "redistest: redis-server processes left running after the tests: %v\n", left)
		code = 1
	}
	os.Exit(code)
}

// childRedisServers lists live redis-server processes whose parent is this
// process (read from /proc/<pid>/stat: "pid (comm) state ppid ...").
func childRedisServers() []int {
	stats, _ := filepath.Glob("/proc/[0-9]*/stat")
	var pids []int
	for _, path := range stats {
		data, err := os.ReadFile(path)
		if err != nil {
			continue
		}
		s := string(data)
		open, closing := strings.IndexByte(s, '('), strings.LastIndexByte(s, ')')
		if open < 0 || closing < open {
			continue
		}
		fields := strings.Fields(s[closing+1:])
		if s[open+1:closing] != "redis-server" || len(fields) < 2 || fields[0] == "Z" {
			continue
		}
		if ppid, _ := strconv.Atoi(fields[1]); ppid == os.Getpid() {
			pid, _ := strconv.Atoi(strings.TrimSpace(s[:open]))
			pids = append(pids, pid)
		}
	}
	return pids
}

// processGone reports whether pid no longer runs redis-server.
func processGone(pid int) bool {
	if err := syscall.Kill(pid, 0); err == syscall.ESRCH {
		return true
	}
	cmdline, err := os.ReadFile(fmt.Sprintf("/proc/%d/cmdline", pid))
	return err != nil || !strings.Contains(string(cmdline), "redis-server")
}

// recordingTB stands in for a test so that the harness's failure paths
// can be observed: Fatalf records the message and ends the goroutine as
// testing does, Cleanup collects the functions for runCleanups.
type recordingTB struct {
	testing.TB
	fatal    string
	cleanups []func()
}

func (r *recordingTB) Helper() {}

func (r *recordingTB) Fatalf(format string, args ...any) {
	r.fatal = fmt.Sprintf(format, args...)
	runtime.Goexit()
}

func (r *recordingTB) Cleanup(f func()) { r.cleanups = append(r.cleanups, f) }

func (r *recordingTB) runCleanups() {
	for i := len(r.cleanups) - 1; i >= 0; i-- {
		r.cleanups[i]()
	}
	r.cleanups = nil
}

// runRecorded runs fn like a test body on its own goroutine (Fatalf calls
// runtime.Goexit) and returns the recorder once fn has ended.
func runRecorded(t *testing.T, fn func(tb testing.TB)) *recordingTB {
	r := &recordingTB{TB: t}
	done := make(chan struct{})
	go func() {
		defer close(done)
		fn(r)
	}()
	<-done
	return r
}
