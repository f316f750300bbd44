package web

import (
	"compress/gzip"
	"context"
	"encoding/json"
	"io"
	"math"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/elasticache-exporter/elasticache-exporter/internal/statuspage"
	"github.com/elasticache-exporter/elasticache-exporter/internal/topology"
)

func statusRouter(t *testing.T) http.Handler {
	t.Helper()
	d := testDeps(t)
	d.Status = func() *statuspage.Status {
		return statuspage.Build(statuspage.Input{Topology: &topology.Topology{Nodes: []topology.Node{{Name: "10.0.0.1:6379", Addr: "10.0.0.1:6379", Shard: "0"}}}})
	}
	h, err := NewRouter(d)
	if err != nil {
		t.Fatal(err)
	}
	return h
}

func TestStatusPageAtRoot(t *testing.T) {
	h := statusRouter(t)
	req := httptest.NewRequest(http.MethodGet, "/?refresh=30", nil)
	req.Header.Set("Accept-Encoding", "gzip")
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	if rec.Code != http.StatusOK || rec.Header().Get("Content-Encoding") != "gzip" || !strings.Contains(rec.Header().Get("Content-Security-Policy"), "default-src 'none'") {
		t.Fatalf("GET /: %d %v", rec.Code, rec.Header())
	}
	zr, err := gzip.NewReader(rec.Body)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(zr)
	for _, want := range []string{`data-node="10.0.0.1:6379"`, `href="/metrics"`, `href="/healthz"`, `href="/readyz"`, `href="/probe?target="`, `href="/api/v1/topology"`, `href="/api/v1/status"`, `content="30"`} {
		if !strings.Contains(string(body), want) {
			t.Errorf("the status page lacks %q", want)
		}
	}

	for _, bad := range []string{"/?refresh=1", "/?refresh=x", "/?refresh=99999"} {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, bad, nil))
		if rec.Code != http.StatusBadRequest || !strings.Contains(rec.Body.String(), "from 5 to 3600") {
			t.Errorf("GET %s: %d %s, want 400 naming the range", bad, rec.Code, rec.Body)
		}
	}
}

func TestStatusAPI(t *testing.T) {
	h := statusRouter(t)
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/api/v1/status", nil))
	var resp struct {
		Status string `json:"status"`
		Data   struct {
			Summary statuspage.Summary `json:"summary"`
			Shards  []struct {
				Nodes []struct {
					Node  string `json:"node"`
					State string `json:"state"`
				} `json:"nodes"`
			} `json:"shards"`
		} `json:"data"`
	}
	if err := json.Unmarshal(rec.Body.Bytes(), &resp); err != nil {
		t.Fatalf("%v: %s", err, rec.Body)
	}
	if resp.Status != "success" || resp.Data.Summary.Nodes != 1 || resp.Data.Shards[0].Nodes[0].State != statuspage.StateNotRead {
		t.Errorf("/api/v1/status: %s", rec.Body)
	}
	// Gzipped for a client that accepts it, the same document.
	rec = httptest.NewRecorder()
	req := httptest.NewRequest(http.MethodGet, "/api/v1/status", nil)
	req.Header.Set("Accept-Encoding", "gzip")
	h.ServeHTTP(rec, req)
	if rec.Header().Get("Content-Encoding") != "gzip" || rec.Header().Get("Content-Type") != "application/json" {
		t.Fatalf("/api/v1/status with Accept-Encoding gzip: headers %v", rec.Header())
	}
	zr, err := gzip.NewReader(rec.Body)
	if err != nil {
		t.Fatal(err)
	}
	if err := json.NewDecoder(zr).Decode(&resp); err != nil || resp.Status != "success" || resp.Data.Summary.Nodes != 1 {
		t.Errorf("/api/v1/status gzipped: %v, %+v", err, resp)
	}
	rec = httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/api/v1/status?x=1", nil))
	if rec.Code != http.StatusBadRequest {
		t.Errorf("/api/v1/status?x=1: %d", rec.Code)
	}
}

// A model that cannot be encoded (a value encoding/json refuses) or whose
// building panics is a 500 that says so, never a 200 with an empty body
// nor a connection cut.
func TestStatusFailuresAreErrors(t *testing.T) {
	inf := math.Inf(1)
	for name, status := range map[string]func() *statuspage.Status{
		"unencodable": func() *statuspage.Status {
			s := statuspage.Build(statuspage.Input{})
			s.Shards = append(s.Shards, statuspage.ShardStatus{Name: "0", LastFailoverSeconds: &inf})
			return s
		},
		"panics": func() *statuspage.Status { panic("a hostile reply") },
	} {
		d := testDeps(t)
		d.Status = status
		h, err := NewRouter(d)
		if err != nil {
			t.Fatal(err)
		}
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/api/v1/status", nil))
		var resp struct{ Status, Error string }
		if err := json.Unmarshal(rec.Body.Bytes(), &resp); err != nil || rec.Code != http.StatusInternalServerError || resp.Status != "error" || resp.Error == "" {
			t.Errorf("%s: /api/v1/status: %d %q (%v), want 500 with a JSON error", name, rec.Code, rec.Body, err)
		}
		if name != "panics" {
			continue
		}
		rec = httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/", nil))
		if rec.Code != http.StatusInternalServerError || !strings.Contains(rec.Body.String(), "status page") {
			t.Errorf("%s: /: %d %q, want 500 naming the status page", name, rec.Code, rec.Body)
		}
	}
}

// Concurrent views of the page and of /api/v1/status share one build of
// the model (at 1,500 nodes a build allocates megabytes): twenty browsers
// reloading at once cost one, not twenty. The build is no client's: one
// that goes away does not cut it short for the others.
func TestStatusViewsShareOneBuild(t *testing.T) {
	release := make(chan struct{})
	var builds atomic.Int32
	d := testDeps(t)
	d.Status = func() *statuspage.Status {
		builds.Add(1)
		<-release
		return statuspage.Build(statuspage.Input{Topology: &topology.Topology{Nodes: []topology.Node{{Name: "10.0.0.1:6379", Addr: "10.0.0.1:6379", Shard: "0"}}}})
	}
	h, err := NewRouter(d)
	if err != nil {
		t.Fatal(err)
	}
	const views = 20
	codes := make(chan int, views+1)
	// A client that gives up while the build runs.
	gone, cancel := context.WithCancel(context.Background())
	go func() {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/", nil).WithContext(gone))
		codes <- rec.Code
	}()
	for i := range views {
		path := []string{"/", "/api/v1/status"}[i%2]
		go func() {
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, path, nil))
			codes <- rec.Code
		}()
	}
	deadline := time.Now().Add(10 * time.Second)
	for statusWaiters.Load() < views+1 && time.Now().Before(deadline) {
		time.Sleep(time.Millisecond)
	}
	cancel()
	if code := <-codes; code == http.StatusOK {
		t.Errorf("the client that went away got %d", code)
	}
	close(release)
	for range views {
		if code := <-codes; code != http.StatusOK {
			t.Errorf("a view got %d", code)
		}
	}
	if n := builds.Load(); n != 1 {
		t.Errorf("%d concurrent views built the model %d times, want once", views+1, n)
	}
}
