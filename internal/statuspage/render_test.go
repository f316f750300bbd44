package statuspage

import (
	"bytes"
	"compress/gzip"
	"context"
	"strings"
	"testing"
	"time"

	"github.com/elasticache-exporter/elasticache-exporter/internal/slowlog"
	"github.com/elasticache-exporter/elasticache-exporter/internal/topology"
)

func TestRenderMarksAndEscapes(t *testing.T) {
	d := defs(t, map[string]float64{"ElastiCacheHighConnections": 2})
	rec := NewRecorder(func() []alarmDef { return d })
	in := group(t, time.Now(), 1000, 1000, "3")
	// A hostile node name and error (both come from the network).
	evil := `<script>alert(1)</script>`
	in.Nodes[2].Node.Name = evil
	in.Nodes[2].Err = errorString(`refused "<img src=x onerror=alert(2)>"`)
	in.Topology.Nodes[2].Name = evil
	if err := rec.Update(context.Background(), in, nil); err != nil {
		t.Fatal(err)
	}
	h := history(t, in.Topology, time.Now())
	h.RecordEngine(slowlog.EngineEvent{Node: "10.0.0.1:6379", Time: time.Now(), Level: "notice", Event: slowlog.EventOther, Message: "</td><script>x()</script>"})
	s := Build(Input{Snapshot: rec.Snapshot(), Alarms: d, History: h, Topology: in.Topology})
	var b bytes.Buffer
	if err := Render(&b, Page{Status: s, Links: []Link{{Address: "/metrics", Text: "Metrics"}}, Refresh: 30}); err != nil {
		t.Fatal(err)
	}
	page := b.String()
	for _, bad := range []string{"<script>", "<img"} {
		if strings.Contains(page, bad) {
			t.Errorf("page contains %q unescaped", bad)
		}
	}
	for _, want := range []string{
		`data-node="10.0.0.1:6379" data-state="up"`,
		`data-state="down"`, "✖ DOWN", "&lt;script&gt;alert(1)&lt;/script&gt;",
		`<tr class="over" data-alarm="ElastiCacheHighConnections">`, "⚠ OVER",
		`href="/metrics"`, `<meta http-equiv="refresh" content="30">`,
		"docs/runbook.md#elasticachehighconnections", "HSET ... (2 more arguments)",
	} {
		if !strings.Contains(page, want) {
			t.Errorf("page lacks %q", want)
		}
	}
}

type errorString string

func (e errorString) Error() string { return string(e) }

func TestRenderWithNothingYet(t *testing.T) {
	s := Build(Input{Topology: &topology.Topology{Nodes: []topology.Node{{Name: "a:1", Addr: "a:1", Shard: "0"}}}})
	var b bytes.Buffer
	if err := Render(&b, Page{Status: s}); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(b.String(), "? not read yet") || !strings.Contains(b.String(), "no round yet") {
		t.Errorf("a page before the first round does not say so:\n%s", b.String())
	}
}

// BenchmarkStatusPage1500Nodes builds and renders the page of 500 shards
// of a primary and two replicas; it reports the page's size, plain and
// gzipped (what a browser receives).
func BenchmarkStatusPage1500Nodes(b *testing.B) {
	d := defs(b, nil)
	snap := syntheticSnapshot(b, d, 500, 2)
	in := Input{Snapshot: snap, Alarms: d, Topology: &topology.Topology{}}
	var size, gzSize int
	b.ReportAllocs()
	b.ResetTimer()
	for range b.N {
		var buf bytes.Buffer
		if err := Render(&buf, Page{Status: Build(in)}); err != nil {
			b.Fatal(err)
		}
		size = buf.Len()
	}
	b.StopTimer()
	var buf, gz bytes.Buffer
	_ = Render(&buf, Page{Status: Build(in)})
	zw := gzip.NewWriter(&gz)
	_, _ = zw.Write(buf.Bytes())
	_ = zw.Close()
	gzSize = gz.Len()
	b.ReportMetric(float64(size), "bytes/page")
	b.ReportMetric(float64(gzSize), "gzip-bytes/page")
}

func TestRenderLaggingReplicaAndAdoptedNodes(t *testing.T) {
	d := defs(t, map[string]float64{"ElastiCacheReplicationLag": 5})
	rec := NewRecorder(func() []alarmDef { return d })
	t0 := time.Now().Add(-time.Minute)
	for i, off := range [][2]int{{1000, 1000}, {5000, 1000}} {
		if err := rec.Update(context.Background(), group(t, t0.Add(time.Duration(i)*10*time.Second), off[0], off[1], "1"), nil); err != nil {
			t.Fatal(err)
		}
	}
	var b bytes.Buffer
	if err := Render(&b, Page{Status: Build(Input{Snapshot: rec.Snapshot(), Alarms: d})}); err != nil {
		t.Fatal(err)
	}
	row := b.String()[strings.Index(b.String(), `data-node="10.0.0.2:6379"`):]
	row = row[:strings.Index(row, "</tr>")]
	for _, want := range []string{`data-lagging="true"`, "▲ LAGGING", "3.9 KiB · 10 s", "⚠ OVER"} {
		if !strings.Contains(row, want) {
			t.Errorf("the lagging replica's row lacks %q: %s", want, row)
		}
	}

	in := group(t, time.Now(), 1000, 900, "1")
	in.Nodes[1].Info.Fields["master_link_status"] = "down"
	in.Nodes[1].Info.Fields["master_link_down_since_seconds"] = "42"
	if err := rec.Update(context.Background(), in, nil); err != nil {
		t.Fatal(err)
	}
	b.Reset()
	if err := Render(&b, Page{Status: Build(Input{Snapshot: rec.Snapshot(), Alarms: d})}); err != nil {
		t.Fatal(err)
	}
	row = b.String()[strings.Index(b.String(), `data-node="10.0.0.2:6379"`):]
	row = row[:strings.Index(row, "</tr>")]
	for _, want := range []string{`data-lagging="true"`, "✖ down for 42 s", `<td class="n over"> <span class="mk">⚠ OVER</span></td>`} {
		if !strings.Contains(row, want) {
			t.Errorf("the row of a replica whose link is down lacks %q: %s", want, row)
		}
	}

	b.Reset()
	if err := Render(&b, Page{Status: Build(Input{Snapshot: syntheticSnapshot(t, d, 2, 1), Alarms: d})}); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(b.String(), "kafka-platform-prod-0001-002/0001<br><small>eu-west-1a</small>") {
		t.Error("an adopted node's member id, node id and AZ are not shown")
	}
}

// A duration a node reports (master_link_down_since_seconds) is any
// number it likes: beyond what time.Duration holds it is shown as seconds,
// never as a wrapped-around negative duration.
func TestFormatSecondsOutOfRange(t *testing.T) {
	for in, want := range map[float64]string{
		0.4: "0.4 s", 12: "12 s", 200: "3m20s", 3600: "1h", 86400 * 3: "72h",
		3630: "1h0m30s", 5400: "1h30m", 60: "1m",
		1e300: "1e+300 s", 9.3e9: "9300000000 s", -5: "-5 s",
	} {
		if got := formatSeconds(in); got != want {
			t.Errorf("formatSeconds(%v) = %q, want %q", in, got, want)
		}
	}
}
