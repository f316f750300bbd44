package slowlog

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestHistoryAPI(t *testing.T) {
	rec := NewRecorder(exporterName, slowCfg(3), logsCfg(2))
	for i := 0; i < 5; i++ { // ring of 3 keeps ids 2, 3, 4
		rec.recordSlow(SlowEntry{Node: "a", ID: int64(i), Time: t0.Add(time.Duration(i) * time.Second), Cmd: []string{"get", "set"}[i%2], Source: SourceRedis})
	}
	rec.recordEngine(EngineEvent{Node: "a", Event: EventOOM, Level: "warning"})
	rec.recordEngine(EngineEvent{Node: "b", Event: EventRestart, Level: "notice"})

	tests := []struct {
		url, handler string
		code         int
		want         string // substring of the body
	}{
		{"/api/v1/slowlog", "slow", 200, `"id":4`},
		{"/api/v1/slowlog?cmd=get", "slow", 200, `"id":4`},
		{"/api/v1/slowlog?node=b", "slow", 200, `"data":[]`},
		{"/api/v1/slowlog?limit=0", "slow", 400, `limit=\"0\" is not a positive integer`},
		{"/api/v1/slowlog?limit=x", "slow", 400, `is not a positive integer`},
		{"/api/v1/slowlog?cmd=GET", "slow", 400, `cmd=\"GET\" is not known`},
		{"/api/v1/slowlog?command=get", "slow", 400, `unknown parameter \"command\"`},
		{"/api/v1/slowlog?node=a&node=b", "slow", 400, `given 2 times`},
		{"/api/v1/events?event=restart", "events", 200, `"node":"b"`},
		{"/api/v1/events?event=boom", "events", 400, `event=\"boom\" is not known: use one of failover`},
	}
	for _, tc := range tests {
		h := rec.SlowlogHandler()
		if tc.handler == "events" {
			h = rec.EventsHandler()
		}
		code, body := apiBody(h, tc.url)
		if code != tc.code || !strings.Contains(body, tc.want) {
			t.Errorf("GET %s = %d %s, want %d with %s", tc.url, code, body, tc.code, tc.want)
		}
	}
	_, body := apiBody(rec.SlowlogHandler(), "/api/v1/slowlog")
	var resp struct{ Data []SlowEntry }
	if err := json.Unmarshal([]byte(body), &resp); err != nil {
		t.Fatal(err)
	}
	var got []int64
	for _, e := range resp.Data {
		got = append(got, e.ID)
	}
	if !equalInts(got, []int64{4, 3, 2}) {
		t.Errorf("ids = %v, want newest first within the ring of 3: [4 3 2]", got)
	}
	_, body = apiBody(rec.SlowlogHandler(), "/api/v1/slowlog?cmd=get&limit=1")
	if !strings.Contains(body, `"id":4`) || strings.Contains(body, `"id":2`) {
		t.Errorf("cmd=get&limit=1 = %s, want only id 4", body)
	}
}

func TestDedupMatchesAcrossSourcesOnly(t *testing.T) {
	d := newDedup(3)
	redisE := SlowEntry{Node: "a", ID: 5, Time: t0, Duration: 30 * time.Microsecond, Cmd: "get", Source: SourceRedis}
	if d.seen(redisE) || d.seen(redisE) {
		t.Fatal("the same source never de-duplicates against itself")
	}
	cwl := redisE
	cwl.Source = SourceCloudWatchLogs
	if !d.seen(cwl) || !d.seen(cwl) {
		t.Fatal("two redis entries should be matched by two log entries")
	}
	if d.seen(cwl) {
		t.Fatal("a third log entry has nothing left to match")
	}
	text := cwl
	text.ID, text.Time = -1, t0.Add(time.Hour)
	r2 := redisE
	r2.ID, r2.Time = 9, t0.Add(time.Hour)
	d.seen(r2)
	if !d.seen(text) {
		t.Error("a TEXT line (no id) should match on second, duration and command")
	}
	restarted := cwl
	restarted.Time = t0.Add(2 * time.Hour) // same id, other second: another process
	if d.seen(restarted) {
		t.Error("same id in another second matched")
	}
}

func TestStateFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "state.json")
	st, err := loadState(path)
	if err != nil {
		t.Fatal(err)
	}
	st.Logs[LogSlow] = &checkpoint{Group: "g", NewestMs: 100, Seen: map[string]int64{"s\x00e1": 100}}
	if err := st.save(path); err != nil {
		t.Fatal(err)
	}
	back, err := loadState(path)
	if err != nil {
		t.Fatal(err)
	}
	cp := back.Logs[LogSlow]
	if cp.take("s\x00e1", 100, 0) || !cp.take("s\x00e2", 100, 0) || cp.take("s\x00old", 99, 0) {
		t.Error("checkpoint after reload does not skip what was seen")
	}
	if err := os.WriteFile(path, []byte("{nope"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := loadState(path); err == nil || !strings.Contains(err.Error(), "logs.state_file") || !strings.Contains(err.Error(), "delete it") {
		t.Errorf("corrupt state file error = %v, want one naming logs.state_file and the fix", err)
	}
}

func TestArgsFromSlowlog(t *testing.T) {
	name, kept, n := argsFromSlowlog([]string{"MSET", "a", "1", "... (40 more arguments)"}, 0)
	if name != "MSET" || len(kept) != 2 || n != 42 {
		t.Errorf("argsFromSlowlog = %q %q %d, want MSET, 2 kept, 42", name, kept, n)
	}
	e := SlowEntry{Cmd: "mset", ArgCount: n}
	argPolicy{}.apply(&e, kept)
	if e.Command != "MSET ... (42 more arguments)" || e.Args != nil {
		t.Errorf("redacted = %q %q", e.Command, e.Args)
	}
	argPolicy{keep: true, maxLen: 3}.apply(&e, []string{"abcdef", "é€x"})
	if e.Command != "MSET abc... é... ... (40 more arguments)" {
		t.Errorf("kept = %q", e.Command)
	}
	if CommandLabel("GeT") != "get" || CommandLabel("ksql-key") != "other" {
		t.Error("CommandLabel")
	}
}
