package e2e

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

const (
	// startTimeout bounds how long a daemon may take to answer its
	// readiness URL; Prometheus on a busy 2-core machine takes a few seconds.
	startTimeout = 30 * time.Second
	// stopTimeout is how long a daemon gets after SIGTERM before SIGKILL.
	stopTimeout = 5 * time.Second
	// portAttempts retries a start whose free port was taken meanwhile.
	portAttempts = 3
)

// requireBinary returns the path of a Debian-packaged program the test
// starts, failing with how to install it (never skipping: the test is part
// of `make test`).
func requireBinary(t *testing.T, name, pkg string) string {
	t.Helper()
	path, err := exec.LookPath(name)
	if err != nil {
		t.Fatalf("%s is not installed (%v): this end-to-end test runs Debian's %s; run `make deps` (or apt-get install %s)", name, err, pkg, pkg)
	}
	return path
}

// daemon is one child process of the test, with its output in a log file.
type daemon struct {
	name string
	Addr string // 127.0.0.1:port it listens on
	cmd  *exec.Cmd
	log  string
	done chan struct{} // closed once the process has exited and been reaped
}

func (d *daemon) exited() bool {
	select {
	case <-d.done:
		return true
	default:
		return false
	}
}

// URL is the daemon's base URL.
func (d *daemon) URL() string { return "http://" + d.Addr }

// logTail is the end of the daemon's output, for failure messages.
func (d *daemon) logTail(n int) string {
	data, err := os.ReadFile(d.log)
	if err != nil {
		return fmt.Sprintf("(cannot read %s: %v)", d.log, err)
	}
	lines := strings.Split(strings.TrimRight(string(data), "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}

// stop sends SIGTERM, then SIGKILL if the daemon is still running after
// stopTimeout; it returns once the process is reaped.
func (d *daemon) stop() {
	if d.exited() {
		return
	}
	_ = d.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-d.done:
	case <-time.After(stopTimeout):
		_ = d.cmd.Process.Kill()
		<-d.done
	}
}

// startDaemon runs bin with the arguments args(addr) on a free loopback
// port and waits until GET readyPath answers 200. A port taken between
// choosing and binding is retried with another one. The process is stopped
// at the end of the test; its log is printed when the test failed.
func startDaemon(t *testing.T, name, bin, readyPath string, args func(addr string) []string) *daemon {
	t.Helper()
	return startDaemonAs(t, name, bin, readyPath, nil, args)
}

// startDaemonAs is startDaemon for a daemon whose readiness URL needs
// basic-auth credentials (user nil: none).
func startDaemonAs(t *testing.T, name, bin, readyPath string, user *url.Userinfo, args func(addr string) []string) *daemon {
	t.Helper()
	dir := t.TempDir()
	var lastErr error
	for attempt := range portAttempts {
		addr := freeAddr(t)
		d := &daemon{
			name: name,
			Addr: addr,
			cmd:  exec.Command(bin, args(addr)...),
			log:  filepath.Join(dir, fmt.Sprintf("%s-%d.log", name, attempt)),
			done: make(chan struct{}),
		}
		out, err := os.Create(d.log)
		if err != nil {
			t.Fatalf("%s: create log file: %v", name, err)
		}
		d.cmd.Dir = dir
		d.cmd.Stdout, d.cmd.Stderr = out, out
		d.cmd.SysProcAttr = procAttr()
		err = d.cmd.Start()
		out.Close() // the child has its own copy
		if err != nil {
			t.Fatalf("%s: start %s: %v", name, bin, err)
		}
		go func() {
			_ = d.cmd.Wait() // the exit status is in the log's last lines
			close(d.done)
		}()
		t.Cleanup(func() {
			d.stop()
			if t.Failed() {
				t.Logf("%s (%s) last log lines:\n%s", d.name, d.Addr, d.logTail(30))
			}
		})
		lastErr = waitReady(d, d.URL()+readyPath, user)
		if lastErr == nil {
			return d
		}
		d.stop()
		if !strings.Contains(d.logTail(50), "address already in use") {
			break
		}
	}
	t.Fatalf("%s did not become ready: %v", name, lastErr)
	return nil
}

// waitReady polls readyURL (as user, when not nil) until it answers 200, the
// process exits, or startTimeout passes.
func waitReady(d *daemon, readyURL string, user *url.Userinfo) error {
	client := &http.Client{Timeout: time.Second}
	deadline := time.Now().Add(startTimeout)
	var last string
	for time.Now().Before(deadline) {
		if d.exited() {
			return fmt.Errorf("%s exited during startup (%v); last log lines:\n%s", d.name, d.cmd.ProcessState, d.logTail(20))
		}
		req, err := http.NewRequest(http.MethodGet, readyURL, nil)
		if err != nil {
			return err
		}
		if user != nil {
			pass, _ := user.Password()
			req.SetBasicAuth(user.Username(), pass)
		}
		resp, err := client.Do(req)
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return nil
			}
			last = resp.Status
		} else {
			last = err.Error()
		}
		time.Sleep(100 * time.Millisecond)
	}
	return fmt.Errorf("GET %s not 200 within %s (last: %s); last log lines:\n%s", readyURL, startTimeout, last, d.logTail(20))
}

// freeAddr is a loopback address with a port that was free a moment ago.
func freeAddr(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("find a free port on 127.0.0.1: %v", err)
	}
	defer l.Close()
	return "127.0.0.1:" + strconv.Itoa(l.Addr().(*net.TCPAddr).Port)
}

// waitFor polls cond every 200 ms (the daemons act on 1 s cycles) until it
// returns "" or timeout passes; then it fails the test with what cond last
// said was missing.
func waitFor(t *testing.T, timeout time.Duration, what string, cond func() (missing string)) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		missing := cond()
		if missing == "" {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %s waiting for %s: %s", timeout, what, missing)
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// httpGet returns the body of a 200 answer to url.
func httpGet(ctx context.Context, url string) ([]byte, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return nil, err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		return nil, fmt.Errorf("GET %s: read body: %w", url, err)
	}
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("GET %s: %s: %s", url, resp.Status, body)
	}
	return body, nil
}
