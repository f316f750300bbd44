package slowlog

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
)

// defaultAPILimit is how many items a request without limit= returns.
const defaultAPILimit = 100

// apiResponse follows the Prometheus HTTP API envelope.
type apiResponse struct {
	Status string `json:"status"`
	Data   any    `json:"data,omitempty"`
	Error  string `json:"error,omitempty"`
}

// SlowlogHandler serves GET /api/v1/slowlog?node=&cmd=&limit=: recent slow
// entries from both sources, newest first.
func (r *Recorder) SlowlogHandler() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		q, limit, ok := parseQuery(w, req, "cmd", validCommandLabel,
			"a lower-case command name such as get or hset, or other")
		if !ok {
			return
		}
		node, cmd := q.Get("node"), q.Get("cmd")
		data := r.slowHistory.newest(limit, func(e *SlowEntry) bool {
			return (node == "" || e.Node == node) && (cmd == "" || e.Cmd == cmd)
		})
		writeJSON(w, http.StatusOK, apiResponse{Status: "success", Data: data})
	})
}

// EventsHandler serves GET /api/v1/events?node=&event=&limit=: recent engine
// log events, newest first.
func (r *Recorder) EventsHandler() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		q, limit, ok := parseQuery(w, req, "event", validEvent, "one of "+strings.Join(engineEvents, ", "))
		if !ok {
			return
		}
		node, event := q.Get("node"), q.Get("event")
		data := r.eventHistory.newest(limit, func(e *EngineEvent) bool {
			return (node == "" || e.Node == node) && (event == "" || e.Event == event)
		})
		writeJSON(w, http.StatusOK, apiResponse{Status: "success", Data: data})
	})
}

// parseQuery validates node=, limit= and the endpoint's own filter; on a
// bad request it writes the 400 and returns ok=false.
func parseQuery(w http.ResponseWriter, req *http.Request, filter string, valid func(string) bool, want string) (url.Values, int, bool) {
	fail := func(format string, args ...any) (url.Values, int, bool) {
		writeJSON(w, http.StatusBadRequest, apiResponse{Status: "error", Error: fmt.Sprintf(format, args...)})
		return nil, 0, false
	}
	if req.Method != http.MethodGet && req.Method != http.MethodHead {
		w.Header().Set("Allow", "GET, HEAD")
		writeJSON(w, http.StatusMethodNotAllowed, apiResponse{Status: "error", Error: "use GET"})
		return nil, 0, false
	}
	q, err := url.ParseQuery(req.URL.RawQuery)
	if err != nil {
		return fail("query string: %v", err)
	}
	for k, v := range q {
		if k != "node" && k != "limit" && k != filter {
			return fail("unknown parameter %q: use node, %s and limit", k, filter)
		}
		if len(v) > 1 {
			return fail("parameter %q given %d times: give it once", k, len(v))
		}
	}
	if f := q.Get(filter); f != "" && !valid(f) {
		return fail("%s=%q is not known: use %s", filter, truncateArg(f, 64), want)
	}
	limit := defaultAPILimit
	if s := q.Get("limit"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 1 {
			return fail("limit=%q is not a positive integer: use e.g. limit=100", truncateArg(s, 32))
		}
		limit = n
	}
	return q, limit, true
}

func writeJSON(w http.ResponseWriter, code int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(code)
	_ = json.NewEncoder(w).Encode(v)
}
