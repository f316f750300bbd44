package web

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/elasticache-exporter/elasticache-exporter/internal/slowlog"
)

// defaultRecentLimit is how many items a request without limit= returns.
const defaultRecentLimit = 100

// RecentHistory is what the recent-history API reads; *slowlog.Recorder
// satisfies it. Both lists come newest first by each item's own time.
type RecentHistory interface {
	RecentSlow(q slowlog.SlowQuery) []slowlog.SlowEntry
	RecentEvents(q slowlog.EventQuery) []slowlog.EngineEvent
}

var _ RecentHistory = (*slowlog.Recorder)(nil)

// apiResponse follows the Prometheus HTTP API envelope.
type apiResponse struct {
	Status string `json:"status"`
	Data   any    `json:"data,omitempty"`
	Error  string `json:"error,omitempty"`
}

// SlowlogHandler serves GET /api/v1/slowlog?node=&cmd=&limit=: recent slow
// commands from SLOWLOG and from ElastiCache's slow-log delivery, newest
// first by the entry's own time (the node's SLOWLOG timestamp, or the time
// in the delivered line), across nodes and sources. A line that did not
// parse is ordered by its delivery time. The history holds the last
// slowlog.history_size entries read.
func SlowlogHandler(h RecentHistory) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		q, limit, ok := parseRecentQuery(w, req, "cmd", slowlog.ValidCommandLabel,
			"a lower-case command name such as get or hset, or other")
		if !ok {
			return
		}
		data := h.RecentSlow(slowlog.SlowQuery{Node: q.Get("node"), Cmd: q.Get("cmd"), Limit: limit})
		writeAPI(w, http.StatusOK, apiResponse{Status: "success", Data: data})
	})
}

// EventsHandler serves GET /api/v1/events?node=&event=&limit=: recent
// engine log events, newest first by the time in the line, across nodes.
// The history holds the last logs.history_size events read.
func EventsHandler(h RecentHistory) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		q, limit, ok := parseRecentQuery(w, req, "event", slowlog.ValidEvent,
			"one of "+strings.Join(slowlog.EngineEvents(), ", "))
		if !ok {
			return
		}
		data := h.RecentEvents(slowlog.EventQuery{Node: q.Get("node"), Event: q.Get("event"), Limit: limit})
		writeAPI(w, http.StatusOK, apiResponse{Status: "success", Data: data})
	})
}

// parseRecentQuery validates node=, limit= and the endpoint's own filter; on
// a bad request it writes the 400 and returns ok=false. Values echoed in an
// error are cut short: they come from the client.
func parseRecentQuery(w http.ResponseWriter, req *http.Request, filter string, valid func(string) bool, want string) (url.Values, int, bool) {
	fail := func(format string, args ...any) (url.Values, int, bool) {
		writeAPI(w, http.StatusBadRequest, apiResponse{Status: "error", Error: fmt.Sprintf(format, args...)})
		return nil, 0, false
	}
	if req.Method != http.MethodGet && req.Method != http.MethodHead {
		w.Header().Set("Allow", "GET, HEAD")
		writeAPI(w, http.StatusMethodNotAllowed, apiResponse{Status: "error", Error: "use GET"})
		return nil, 0, false
	}
	q, err := url.ParseQuery(req.URL.RawQuery)
	if err != nil {
		return fail("query string: %v", err)
	}
	for k, v := range q {
		if k != "node" && k != "limit" && k != filter {
			return fail("unknown parameter %q: use node, %s and limit", slowlog.TruncateArg(k, 32), filter)
		}
		if len(v) > 1 {
			return fail("parameter %s given %d times: give it once", quoteInput(k), len(v))
		}
	}
	if f := q.Get(filter); f != "" && !valid(f) {
		return fail("%s=%q is not known: use %s", filter, slowlog.TruncateArg(f, 64), want)
	}
	limit := defaultRecentLimit
	if s := q.Get("limit"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 1 {
			return fail("limit=%q is not a positive integer: use e.g. limit=100", slowlog.TruncateArg(s, 32))
		}
		limit = n
	}
	return q, limit, true
}

func writeAPI(w http.ResponseWriter, code int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(code)
	_ = json.NewEncoder(w).Encode(v)
}
