package e2e

import (
	"context"
	"fmt"
	"math/rand/v2"
	"net/http"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/elasticache-exporter/elasticache-exporter/internal/redistest"
)

// Issue #10, defect 4: a reload (SIGHUP or POST /-/reload, here both at
// once, many times a second) re-reads the AUTH token and replaces the
// clients, but must never close a connection under a scrape in flight:
// over 250 scrapes no healthy node reads redis_up 0, and every reload
// succeeds.
func TestReloadsDuringScrapesKeepNodesUp(t *testing.T) {
	const password = "reload-test-token"
	rep := redistest.NewReplication(t, 2, redistest.Options{Password: password})
	nodes := []string{rep.Primary.Addr, rep.Replicas[0].Addr, rep.Replicas[1].Addr}
	tokenFile := filepath.Join(t.TempDir(), "token")
	writeFile(t, tokenFile, password)
	exporter := startExporter(t, fmt.Sprintf("redis:\n  password:\n    file: %q\n", tokenFile), rep.Primary.Addr)
	waitAllUp(t, exporter, nodes)

	const (
		scrapers = 4
		scrapes  = 250
	)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	url := exporter.URL() + "/metrics"

	stopReloads := make(chan struct{})
	var reloaders sync.WaitGroup
	var sighups, posts atomic.Int64
	var postFailures []string
	var postMu sync.Mutex
	pause := func() bool {
		select {
		case <-stopReloads:
			return false
		case <-time.After(time.Duration(5+rand.IntN(20)) * time.Millisecond):
			return true
		}
	}
	reloaders.Go(func() {
		for pause() {
			if err := exporter.cmd.Process.Signal(syscall.SIGHUP); err != nil {
				t.Errorf("SIGHUP: %v", err)
				return
			}
			sighups.Add(1)
		}
	})
	reloaders.Go(func() {
		client := &http.Client{Timeout: 30 * time.Second}
		for pause() {
			resp, err := client.Post(exporter.URL()+"/-/reload", "", nil)
			if err == nil {
				resp.Body.Close()
				if resp.StatusCode != http.StatusOK {
					err = fmt.Errorf("status %d", resp.StatusCode)
				}
			}
			if err != nil {
				postMu.Lock()
				postFailures = append(postFailures, err.Error())
				postMu.Unlock()
			}
			posts.Add(1)
		}
	})

	done, failures := scrapeConcurrently(ctx, url, nodes, scrapers, scrapes)
	close(stopReloads)
	reloaders.Wait()
	t.Logf("%d scrapes during %d SIGHUPs and %d POST /-/reload; %d scrapes wrong", done, sighups.Load(), posts.Load(), len(failures))
	if done < scrapes {
		t.Fatalf("only %d of %d scrapes ran before the test's deadline", done, scrapes)
	}
	if sighups.Load() < 20 || posts.Load() < 20 {
		t.Fatalf("too few reloads to mean anything: %d SIGHUPs, %d POSTs", sighups.Load(), posts.Load())
	}
	if len(failures) > 0 {
		t.Errorf("%d of %d scrapes during reloads did not show every healthy node up; first: %s", len(failures), done, strings.Join(failures[:min(3, len(failures))], "; "))
	}
	if len(postFailures) > 0 {
		t.Errorf("%d of %d POST /-/reload failed; first: %s", len(postFailures), posts.Load(), postFailures[0])
	}
	if exporter.exited() {
		t.Fatalf("the exporter exited during the reloads")
	}
	if strings.Contains(exporter.logTail(10000), "panic") {
		t.Errorf("the exporter's log mentions a panic")
	}
}
