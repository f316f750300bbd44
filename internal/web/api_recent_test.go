package web

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/elasticache-exporter/elasticache-exporter/internal/config"
	"github.com/elasticache-exporter/elasticache-exporter/internal/slowlog"
	"github.com/elasticache-exporter/elasticache-exporter/internal/topology"
)

var t0 = time.Date(2024, 5, 1, 12, 0, 0, 0, time.UTC)

// apiBody calls a history handler and returns status and body.
func apiBody(h http.Handler, url string) (int, string) {
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest("GET", url, nil))
	return rec.Code, rec.Body.String()
}

func historyOf(t *testing.T, slowSize, eventSize int) *slowlog.Recorder {
	t.Helper()
	rec := slowlog.NewRecorder("elasticache-exporter", config.SlowlogConfig{Enabled: true, MaxArgLen: 8, HistorySize: slowSize},
		config.LogsConfig{HistorySize: eventSize})
	rec.SetTopology(&topology.Topology{Nodes: []topology.Node{{Name: "a", Shard: "0"}, {Name: "b", Shard: "0"}}})
	return rec
}

func TestRecentHistoryAPI(t *testing.T) {
	rec := historyOf(t, 3, 2)
	for i := 0; i < 5; i++ { // ring of 3 keeps ids 2, 3, 4
		rec.RecordSlow(slowlog.SlowCommand{Node: "a", ID: int64(i), Time: t0.Add(time.Duration(i) * time.Second),
			Name: []string{"get", "set"}[i%2], Source: slowlog.SourceRedis})
	}
	rec.RecordEngine(slowlog.EngineEvent{Node: "a", Event: slowlog.EventOOM, Level: "warning"})
	rec.RecordEngine(slowlog.EngineEvent{Node: "b", Event: slowlog.EventRestart, Level: "notice"})

	slow, events := SlowlogHandler(rec), EventsHandler(rec)
	tests := []struct {
		url  string
		h    http.Handler
		code int
		want string // substring of the body
	}{
		{"/api/v1/slowlog", slow, 200, `"id":4`},
		{"/api/v1/slowlog?cmd=get", slow, 200, `"id":4`},
		{"/api/v1/slowlog?node=b", slow, 200, `"data":[]`},
		{"/api/v1/slowlog?limit=0", slow, 400, `limit=\"0\" is not a positive integer`},
		{"/api/v1/slowlog?limit=x", slow, 400, `is not a positive integer`},
		{"/api/v1/slowlog?cmd=GET", slow, 400, `cmd=\"GET\" is not known`},
		{"/api/v1/slowlog?command=get", slow, 400, `unknown parameter \"command\"`},
		{"/api/v1/slowlog?node=a&node=b", slow, 400, `given 2 times`},
		{"/api/v1/slowlog?cmd=" + strings.Repeat("x", 5000), slow, 400, `...\" is not known`},
		{"/api/v1/events?event=restart", events, 200, `"node":"b"`},
		{"/api/v1/events?event=boom", events, 400, `event=\"boom\" is not known: use one of failover`},
	}
	for _, tc := range tests {
		code, body := apiBody(tc.h, tc.url)
		if code != tc.code || !strings.Contains(body, tc.want) || len(body) > 2000 {
			t.Errorf("GET %.80s = %d %.300s, want %d with %s", tc.url, code, body, tc.code, tc.want)
		}
	}
	_, body := apiBody(slow, "/api/v1/slowlog?cmd=get&limit=1")
	if !strings.Contains(body, `"id":4`) || strings.Contains(body, `"id":2`) {
		t.Errorf("cmd=get&limit=1 = %s, want only id 4", body)
	}
}

// TestRecentSlowNewestFirstByTime: entries read out of time order (a
// delivered log line read after newer SLOWLOG entries, two nodes) come back
// newest first by their own time.
func TestRecentSlowNewestFirstByTime(t *testing.T) {
	rec := historyOf(t, 10, 10)
	for _, c := range []slowlog.SlowCommand{
		{Node: "a", ID: 10, Time: t0.Add(3 * time.Second), Name: "get", Source: slowlog.SourceRedis},
		{Node: "b", ID: 20, Time: t0.Add(4 * time.Second), Name: "get", Source: slowlog.SourceRedis},
		{Node: "a", ID: -1, Time: t0.Add(1 * time.Second), Name: "hset", Source: slowlog.SourceCloudWatchLogs},
		{Node: "b", ID: -1, Time: t0.Add(9 * time.Second), Name: "keys", Source: slowlog.SourceCloudWatchLogs},
	} {
		rec.RecordSlow(c)
	}
	_, body := apiBody(SlowlogHandler(rec), "/api/v1/slowlog")
	var resp struct {
		Data []slowlog.SlowEntry `json:"data"`
	}
	if err := json.Unmarshal([]byte(body), &resp); err != nil {
		t.Fatal(err)
	}
	var cmds []string
	for _, e := range resp.Data {
		cmds = append(cmds, e.Cmd)
	}
	if strings.Join(cmds, ",") != "keys,get,get,hset" || resp.Data[1].Node != "b" {
		t.Errorf("order = %v, want keys,get(b),get(a),hset: newest first by time", cmds)
	}
}
