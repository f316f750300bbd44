package logtail

import (
	"bufio"
	"os"
	"reflect"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/elasticache-exporter/elasticache-exporter/internal/config"
	"github.com/elasticache-exporter/elasticache-exporter/internal/slowlog"
)

// testdataLines returns the non-empty lines of a testdata file.
func testdataLines(t testing.TB, name string) []string {
	t.Helper()
	f, err := os.Open("testdata/" + name)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var lines []string
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if strings.TrimSpace(sc.Text()) != "" {
			lines = append(lines, sc.Text())
		}
	}
	return lines
}

func TestParseSlowLogLine(t *testing.T) {
	tests := []struct {
		line string
		want SlowLogLine
	}{
		{
			line: `{"CacheClusterId":"logslowxxxxmsxj","CacheNodeId":"0001","Id":296,"Timestamp":1605631822,"Duration (us)":0,"Command":"GET ... (1 more arguments)","ClientAddress":"192.168.12.104:55452","ClientName":"logslowxxxxmsxj##"}`,
			want: SlowLogLine{CacheClusterID: "logslowxxxxmsxj", CacheNodeID: "0001", ID: 296, Time: time.Unix(1605631822, 0).UTC(),
				Command: "GET", ArgCount: 1, ClientAddr: "192.168.12.104:55452", ClientName: "logslowxxxxmsxj##"},
		},
		{
			line: `logslowxxxxmsxj,0001,1605631822,30,GET ... (1 more arguments),192.168.12.104:55452,logslowxxxxmsxj##`,
			want: SlowLogLine{CacheClusterID: "logslowxxxxmsxj", CacheNodeID: "0001", ID: -1, Time: time.Unix(1605631822, 0).UTC(),
				Duration: 30 * time.Microsecond, Command: "GET", ArgCount: 1, ClientAddr: "192.168.12.104:55452", ClientName: "logslowxxxxmsxj##"},
		},
		{ // TEXT with an id, a client name holding commas
			line: `c1,0001,9,1700000003,2500,EVALSHA ... (4 more arguments),10.0.1.17:40112,name,with,commas`,
			want: SlowLogLine{CacheClusterID: "c1", CacheNodeID: "0001", ID: 9, Time: time.Unix(1700000003, 0).UTC(),
				Duration: 2500 * time.Microsecond, Command: "EVALSHA", ArgCount: 4, ClientAddr: "10.0.1.17:40112", ClientName: "name,with,commas"},
		},
		{ // literal arguments (a self-managed delivery), a comma inside one
			line: `c1,0002,1700000004,40,set k1 a,b,10.0.0.1:1,`,
			want: SlowLogLine{CacheClusterID: "c1", CacheNodeID: "0002", ID: -1, Time: time.Unix(1700000004, 0).UTC(),
				Duration: 40 * time.Microsecond, Command: "set", Args: []string{"k1", "a,b"}, ArgCount: 2, ClientAddr: "10.0.0.1:1"},
		},
		{ // unix-socket client: empty address
			line: `c1,0002,1700000004,40,PING,,`,
			want: SlowLogLine{CacheClusterID: "c1", CacheNodeID: "0002", ID: -1, Time: time.Unix(1700000004, 0).UTC(),
				Duration: 40 * time.Microsecond, Command: "PING"},
		},
	}
	for _, tc := range tests {
		got, err := ParseSlowLogLine(tc.line)
		if err != nil {
			t.Errorf("ParseSlowLogLine(%q): %v", tc.line, err)
			continue
		}
		if !equalSlowLine(got, tc.want) {
			t.Errorf("ParseSlowLogLine(%q)\n got %+v\nwant %+v", tc.line, got, tc.want)
		}
	}
	for _, bad := range []string{"", "{}", `{"CacheClusterId":"c"}`, "a,b,c", `{"CacheClusterId":"c","Id":-1,"Timestamp":1,"Duration (us)":1,"Command":"GET"}`,
		"c,0001,x,30,GET,1.2.3.4:5,n", "c,0001,1,30,,1.2.3.4:5,n", `{"CacheClusterId":"c","Timestamp":1,"Duration (us)":1,"Command":"GET"} trailing`} {
		if l, err := ParseSlowLogLine(bad); err == nil {
			t.Errorf("ParseSlowLogLine(%q) = %+v, want an error", bad, l)
		}
	}
}

func equalSlowLine(a, b SlowLogLine) bool {
	return reflect.DeepEqual(a.Args, b.Args) && a.Time.Equal(b.Time) &&
		a.CacheClusterID == b.CacheClusterID && a.CacheNodeID == b.CacheNodeID && a.ID == b.ID &&
		a.Duration == b.Duration && a.Command == b.Command && a.ArgCount == b.ArgCount &&
		a.ClientAddr == b.ClientAddr && a.ClientName == b.ClientName
}

func TestParseEngineLogLine(t *testing.T) {
	ts := time.Date(2020, 11, 12, 1, 28, 57, 994e6, time.UTC)
	tests := []struct {
		line string
		want EngineLogLine
	}{
		{`{"CacheClusterId":"xxxxxxxxxzy-engine-log-test","CacheNodeId":"0001","LogLevel":"VERBOSE","Role":"M","Time":"12 Nov 2020 01:28:57.994 UTC","Message":"Background append only file rewriting started by pid 1234"}`,
			EngineLogLine{"xxxxxxxxxzy-engine-log-test", "0001", "verbose", "primary", ts, "Background append only file rewriting started by pid 1234"}},
		{`kafka-platform-prod-001/0001:M 12 Nov 2020 01:28:57.994 * Background saving started by pid 1234`,
			EngineLogLine{"kafka-platform-prod-001", "0001", "notice", "primary", ts, "Background saving started by pid 1234"}},
		{`kafka-platform-prod-002/0001:S 12 Nov 2020 01:28:57.994 UTC # Connection with master lost.`,
			EngineLogLine{"kafka-platform-prod-002", "0001", "warning", "replica", ts, "Connection with master lost."}},
		{`a/b/0001:C 12 Nov 2020 01:28:57.994 UTC - RDB: 2 MB  of memory`,
			EngineLogLine{"a/b", "0001", "verbose", "child", ts, "RDB: 2 MB  of memory"}},
		{`c/0001:M 12 Nov 2020 01:28:57.994 .`,
			EngineLogLine{"c", "0001", slowlog.LevelDebug, "primary", ts, ""}},
	}
	for _, tc := range tests {
		got, err := ParseEngineLogLine(tc.line)
		if err != nil {
			t.Errorf("ParseEngineLogLine(%q): %v", tc.line, err)
			continue
		}
		if !got.Time.Equal(tc.want.Time) {
			t.Errorf("ParseEngineLogLine(%q).Time = %v, want %v", tc.line, got.Time, tc.want.Time)
		}
		got.Time, tc.want.Time = time.Time{}, time.Time{}
		if got != tc.want {
			t.Errorf("ParseEngineLogLine(%q)\n got %+v\nwant %+v", tc.line, got, tc.want)
		}
	}
	for _, bad := range []string{"", "{}", "1234:M 12 Nov 2020 01:28:57.994 * Ready", "c/0001:M yesterday * x",
		"c/0001:M 12 Nov 2020 01:28:57.994 ! x", `{"CacheClusterId":"c","Time":"12 Nov 2020 01:28:57.994 UTC"}`, "c/0001:MM 12 Nov 2020 01:28:57.994 * x"} {
		if l, err := ParseEngineLogLine(bad); err == nil {
			t.Errorf("ParseEngineLogLine(%q) = %+v, want an error", bad, l)
		}
	}
}

// Every testdata line either parses or fails, in the way its comment-free
// layout promises: the first lines are valid, the tail malformed.
func TestTestdataLines(t *testing.T) {
	var ok, bad int
	for _, l := range testdataLines(t, "slow-log.txt") {
		if _, err := ParseSlowLogLine(l); err == nil {
			ok++
		} else {
			bad++
		}
	}
	if ok != 7 || bad != 5 {
		t.Errorf("slow-log.txt: %d parsed, %d not; want 7 and 5", ok, bad)
	}
	ok, bad = 0, 0
	for _, l := range testdataLines(t, "engine-log.txt") {
		if _, err := ParseEngineLogLine(l); err == nil {
			ok++
		} else {
			bad++
		}
	}
	if ok != 9 || bad != 3 {
		t.Errorf("engine-log.txt: %d parsed, %d not; want 9 and 3", ok, bad)
	}
}

func FuzzParseSlowLogLine(f *testing.F) {
	for _, l := range testdataLines(f, "slow-log.txt") {
		f.Add(l)
	}
	f.Fuzz(func(t *testing.T, line string) {
		l, err := ParseSlowLogLine(line)
		if err != nil {
			return
		}
		if l.CacheClusterID == "" || l.Command == "" || l.ArgCount < len(l.Args) || l.Duration < 0 || l.ID < -1 {
			t.Fatalf("ParseSlowLogLine(%q) = %+v: inconsistent", line, l)
		}
		rec := slowlog.NewRecorder("", config.SlowlogConfig{MaxArgLen: 8, HistorySize: 1}, config.LogsConfig{HistorySize: 1})
		rec.SetTopology(adopted(l.CacheClusterID))
		rec.RecordSlow(slowCommand(l))
		got := rec.RecentSlow(slowlog.SlowQuery{Limit: 1})
		if len(got) != 1 {
			t.Fatalf("line %q parsed but was not recorded", line)
		}
		reg := prometheus.NewPedanticRegistry()
		reg.MustRegister(rec)
		if _, err := reg.Gather(); err != nil {
			t.Fatalf("line %q: the recorder's series do not gather: %v", line, err)
		}
		if e := got[0]; e.Args != nil || !slowlog.ValidCommandLabel(e.Cmd) || !utf8.ValidString(e.Command+e.Node+e.ClientName+e.ClientAddr) {
			t.Fatalf("redacted entry of %q keeps %v / cmd %q / invalid UTF-8", line, e.Args, e.Cmd)
		}
	})
}

func FuzzParseEngineLogLine(f *testing.F) {
	for _, l := range testdataLines(f, "engine-log.txt") {
		f.Add(l)
	}
	f.Fuzz(func(t *testing.T, line string) {
		l, err := ParseEngineLogLine(line)
		if err != nil {
			return
		}
		if l.CacheClusterID == "" || l.Time.IsZero() {
			t.Fatalf("ParseEngineLogLine(%q) = %+v: inconsistent", line, l)
		}
		if !slowlog.ValidEvent(ClassifyEngineMessage(l.Message)) {
			t.Fatalf("message %q classified outside the event set", l.Message)
		}
		if utf8.ValidString(line) && !utf8.ValidString(l.Message) {
			t.Fatalf("valid line %q gave an invalid message", line)
		}
	})
}

func TestClassifyEngineMessage(t *testing.T) {
	tests := map[string]string{
		"Manual failover user request accepted.":                                 slowlog.EventFailover,
		"Setting secondary replication ID to 3f1e..., valid up to offset: 1000.": slowlog.EventFailover,
		"MASTER MODE enabled (user request from 'id=5 addr=10.0.0.1:1234')":      slowlog.EventFailover,
		"Partial resynchronization not possible (no cached master)":              slowlog.EventFullSync,
		"Full resync requested by replica 10.0.2.5:6379":                         slowlog.EventFullSync,
		"Starting BGSAVE for SYNC with target: disk":                             slowlog.EventFullSync,
		"MASTER <-> REPLICA sync: Finished with success":                         slowlog.EventFullSync,
		"Partial resynchronization request from 10.0.2.5:6379 accepted.":         slowlog.EventPartialSync,
		"MASTER <-> REPLICA sync: Master accepted a Partial Resynchronization.":  slowlog.EventPartialSync,
		"Replica 10.0.2.5:6379 asks for synchronization":                         slowlog.EventReplicaConnected,
		"Connection with replica 10.0.2.5:6379 lost.":                            slowlog.EventReplicaLost,
		"Disconnecting timedout replica (streaming sync): 10.0.2.5:6379":         slowlog.EventReplicaLost,
		"Connection with master lost.":                                           slowlog.EventPrimaryLinkLost,
		"MASTER timeout: no data nor PING received...":                           slowlog.EventPrimaryLinkLost,
		"OOM command not allowed when used memory > 'maxmemory'.":                slowlog.EventOOM,
		"Out Of Memory allocating 1024 bytes!":                                   slowlog.EventOOM,
		"WARNING: OOM in the child":                                              slowlog.EventOOM,
		"Background saving started by pid 1234":                                  slowlog.EventRDBSave,
		"DB saved on disk":                                                       slowlog.EventRDBSave,
		"RDB: 2 MB of memory used by copy-on-write":                              slowlog.EventRDBSave,
		"Background append only file rewriting started by pid 1234":              slowlog.EventAOFRewrite,
		"Server initialized":                                                     slowlog.EventRestart,
		"Ready to accept connections tcp":                                        slowlog.EventRestart,
		"Received SIGTERM scheduling shutdown...":                                slowlog.EventRestart,
		"Cluster state changed: ok":                                              slowlog.EventClusterState,
		"Marking node 1c2f... as failing (quorum reached).":                      slowlog.EventClusterState,
		"There is enough room in the bloom filter":                               slowlog.EventOther,
		"": slowlog.EventOther,
	}
	for msg, want := range tests {
		if got := ClassifyEngineMessage(msg); got != want {
			t.Errorf("ClassifyEngineMessage(%q) = %q, want %q", msg, got, want)
		}
	}
}
