package web

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"runtime/debug"
	"strconv"
	"sync"
	"sync/atomic"

	"github.com/klauspost/compress/gzip"

	"github.com/elasticache-exporter/elasticache-exporter/internal/statuspage"
)

// Bounds of ?refresh= on the status page, in seconds.
const (
	minRefreshSeconds = 5
	maxRefreshSeconds = 3600
)

// statusPageHandler serves the status page at /: HTML built from what the
// exporter holds in memory (no command to Redis, no AWS call per view). It
// needs no script; ?refresh=N (5..3600 s) adds a meta refresh.
func statusPageHandler(status *sharedStatus, links []statuspage.Link) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/" {
			clientError(w, http.StatusNotFound, "not found: the status page is at /, the metrics at the telemetry path")
			return
		}
		q, err := url.ParseQuery(r.URL.RawQuery)
		if err != nil {
			clientError(w, http.StatusBadRequest, "query string: "+err.Error())
			return
		}
		refresh := 0
		if s := q.Get("refresh"); s != "" {
			n, err := strconv.Atoi(s)
			if err != nil || n < minRefreshSeconds || n > maxRefreshSeconds {
				clientError(w, http.StatusBadRequest, "refresh="+quoteInput(s)+" is not a number of seconds from 5 to 3600: use e.g. ?refresh=30")
				return
			}
			refresh = n
		}
		st, err := status.get(r.Context())
		if err != nil {
			clientError(w, statusErrorCode(err), "building the status page: "+err.Error())
			return
		}
		var b bytes.Buffer
		if err := statuspage.Render(&b, statuspage.Page{Status: st, Links: links, Refresh: refresh}); err != nil {
			clientError(w, http.StatusInternalServerError, "rendering the status page: "+err.Error())
			return
		}
		h := w.Header()
		h.Set("Content-Type", "text/html; charset=utf-8")
		h.Set("Cache-Control", "no-store")
		h.Set("X-Content-Type-Options", "nosniff")
		// No script, no external resource: only the inline style.
		h.Set("Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'; img-src 'self'; form-action 'none'; frame-ancestors 'none'; base-uri 'none'")
		writeMaybeGzip(w, r, b.Bytes())
	}
}

// writeMaybeGzip writes body, gzipped when the client accepts it: a page
// of 1,500 nodes is some 560 kB, about 30 kB gzipped.
func writeMaybeGzip(w http.ResponseWriter, r *http.Request, body []byte) {
	w.Header().Add("Vary", "Accept-Encoding")
	if !acceptsGzip(r.Header.Get("Accept-Encoding")) {
		_, _ = w.Write(body)
		return
	}
	w.Header().Set("Content-Encoding", "gzip")
	// BestSpeed, as the metrics' gzip: a few kB more than the default
	// level for a fraction of its CPU.
	zw, _ := gzip.NewWriterLevel(w, gzip.BestSpeed)
	_, _ = zw.Write(body)
	_ = zw.Close()
}

// statusAPIHandler serves GET /api/v1/status: the status page's data as
// JSON, in the envelope of the other /api/v1 endpoints (docs/http.md).
func statusAPIHandler(status *sharedStatus, logger *slog.Logger) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if r.URL.RawQuery != "" {
			writeAPI(w, http.StatusBadRequest, apiResponse{Status: "error", Error: "/api/v1/status takes no parameters"})
			return
		}
		st, err := status.get(r.Context())
		if err != nil {
			writeAPI(w, statusErrorCode(err), apiResponse{Status: "error", Error: "building the status: " + err.Error()})
			return
		}
		// Encoded before the header is sent: a value encoding/json refuses
		// is a 500 that says so, not a 200 with an empty body.
		body, err := json.Marshal(apiResponse{Status: "success", Data: st})
		if err != nil {
			logger.Error("encoding /api/v1/status", "err", err)
			writeAPI(w, http.StatusInternalServerError, apiResponse{Status: "error", Error: "encoding the status failed (see the exporter's log)"})
			return
		}
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("Cache-Control", "no-store")
		// About 1 MB at 1,500 nodes, some 50 kB gzipped.
		writeMaybeGzip(w, r, append(body, '\n'))
	}
}

// sharedStatus builds the status model for every view that asks while a
// build is under way: concurrent views of / and /api/v1/status cost one
// build (at 1,500 nodes some megabytes and tens of milliseconds), and a
// view never waits behind a queue of builds. The build runs on its own,
// with no client's context: a client that goes away stops waiting, not
// the build the others wait for.
type sharedStatus struct {
	build  func() *statuspage.Status
	logger *slog.Logger

	mu       sync.Mutex
	inFlight *statusBuild
}

type statusBuild struct {
	done   chan struct{}
	status *statuspage.Status
	err    error
}

// statusWaiters counts the views waiting for a build (tests watch it).
var statusWaiters atomic.Int64

func newSharedStatus(build func() *statuspage.Status, logger *slog.Logger) *sharedStatus {
	return &sharedStatus{build: build, logger: logger}
}

func (s *sharedStatus) get(ctx context.Context) (*statuspage.Status, error) {
	s.mu.Lock()
	b := s.inFlight
	if b == nil {
		b = &statusBuild{done: make(chan struct{})}
		s.inFlight = b
		go func() {
			b.status, b.err = buildStatus(s.build, s.logger)
			s.mu.Lock()
			s.inFlight = nil
			s.mu.Unlock()
			close(b.done)
		}()
	}
	s.mu.Unlock()
	statusWaiters.Add(1)
	defer statusWaiters.Add(-1)
	select {
	case <-b.done:
		return b.status, b.err
	case <-ctx.Done():
		return nil, errClientGone
	}
}

var errClientGone = errors.New("the client went away")

func statusErrorCode(err error) int {
	if errors.Is(err, errClientGone) {
		return http.StatusServiceUnavailable
	}
	return http.StatusInternalServerError
}

// buildStatus calls status, turning a panic into an error (logged with
// its stack): the model is built from what hostile nodes and APIs said.
func buildStatus(status func() *statuspage.Status, logger *slog.Logger) (st *statuspage.Status, err error) {
	defer func() {
		if p := recover(); p != nil {
			logger.Error("building the status page panicked", "panic", fmt.Sprint(p), "stack", string(debug.Stack()))
			st, err = nil, errors.New("it panicked (see the exporter's log)")
		}
	}()
	return status(), nil
}
