package statuspage

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/elasticache-exporter/elasticache-exporter/internal/alarms"
	"github.com/elasticache-exporter/elasticache-exporter/internal/collect"
	"github.com/elasticache-exporter/elasticache-exporter/internal/config"
	"github.com/elasticache-exporter/elasticache-exporter/internal/cwmetrics"
	"github.com/elasticache-exporter/elasticache-exporter/internal/slowlog"
	"github.com/elasticache-exporter/elasticache-exporter/internal/topology"
)

// history is a real slowlog.Recorder holding a few engine events and slow
// commands of the group's shard.
func history(t *testing.T, topo *topology.Topology, at time.Time) *slowlog.Recorder {
	t.Helper()
	cfg := config.Default()
	h := slowlog.NewRecorder("elasticache-exporter", cfg.Slowlog, cfg.Logs)
	h.SetTopology(topo)
	for i, ev := range []string{slowlog.EventFullSync, slowlog.EventFailover, slowlog.EventOOM, slowlog.EventFailover} {
		h.RecordEngine(slowlog.EngineEvent{Node: "10.0.0.1:6379", Time: at.Add(time.Duration(i) * time.Second), Level: "notice", Event: ev, Message: "event " + ev})
	}
	h.RecordSlow(slowlog.SlowCommand{Node: "10.0.0.1:6379", ID: 7, Time: at, Duration: 25 * time.Millisecond,
		Name: "HSET", Args: []string{"secret-key", "secret-value"}, ArgCount: 2, Source: slowlog.SourceRedis})
	return h
}

func findNode(t *testing.T, s *Status, name string) NodeStatus {
	t.Helper()
	for _, sh := range s.Shards {
		for _, n := range sh.Nodes {
			if n.Name == name {
				return n
			}
		}
	}
	t.Fatalf("node %s not on the page", name)
	return NodeStatus{}
}

func TestBuildMarksDownLaggingAndAlarms(t *testing.T) {
	d := defs(t, map[string]float64{"ElastiCacheReplicationLag": 5, "ElastiCacheHighConnections": 2})
	rec := NewRecorder(func() []alarmDef { return d })
	t0 := time.Now().Add(-time.Minute)
	for i, offsets := range [][2]int{{1000, 1000}, {5000, 1000}} {
		if err := rec.Update(context.Background(), group(t, t0.Add(time.Duration(i)*10*time.Second), offsets[0], offsets[1], "3"), nil); err != nil {
			t.Fatal(err)
		}
	}
	snap := rec.Snapshot()
	topo := group(t, t0, 0, 0, "0").Topology
	// A node discovery found after the round: listed, not read yet.
	topo.Nodes = append(topo.Nodes, topology.Node{Name: "10.0.0.4:6379", Addr: "10.0.0.4:6379", Shard: "1", Role: topology.RolePrimary})
	cw := &CloudWatchInput{Values: []cwmetrics.CachedValue{
		{Metric: "CurrConnections", Statistic: "Average", Node: "10.0.0.1:6379", Value: 1500},
		// Not the statistic the alarm evaluates.
		{Metric: "CurrConnections", Statistic: "Maximum", Node: "10.0.0.2:6379", Value: 5000},
	}}
	s := Build(Input{Now: t0.Add(time.Minute), Snapshot: snap, Topology: topo, DiscoveredAt: t0, Alarms: d,
		History: history(t, topo, t0), CloudWatch: cw, MaxEvents: 3})

	if s.Summary.Nodes != 4 || s.Summary.Up != 2 || s.Summary.Down != 1 || s.Summary.NotRead != 1 || s.Summary.Lagging != 1 {
		t.Errorf("summary %+v, want 4 nodes: 2 up, 1 down, 1 not read, 1 lagging", s.Summary)
	}
	if n := findNode(t, s, "10.0.0.3:6379"); n.State != StateDown || n.Error == "" {
		t.Errorf("stopped replica: %+v", n)
	}
	lagging := findNode(t, s, "10.0.0.2:6379")
	if !lagging.Lagging || lagging.LagBytes == nil || *lagging.LagBytes != 4000 {
		t.Errorf("lagging replica: %+v", lagging)
	}
	if s.Shards[0].Name != "0" || !s.Shards[0].Trouble || s.Shards[0].Primary != "10.0.0.1:6379" {
		t.Errorf("first shard %+v, want shard 0 (it has trouble) with its primary", s.Shards[0])
	}
	if s.Shards[0].FailoverEvents != 2 || s.Events.FailoversByShard["0"] != 2 {
		t.Errorf("failovers of shard 0 from the engine log: %d (%v), want 2", s.Shards[0].FailoverEvents, s.Events.FailoversByShard)
	}
	var conns AlarmStatus
	for _, a := range s.Alarms {
		if a.Name == "ElastiCacheHighConnections" {
			conns = a
		}
	}
	if conns.NodesOver != 1 || conns.CloudWatchOver != 1 || len(conns.Over) != 1 || conns.Over[0].Node != "10.0.0.1:6379" ||
		conns.RunbookPath != "docs/runbook.md#elasticachehighconnections" || conns.RunbookURL != config.DefaultRunbookBaseURL+"#elasticachehighconnections" {
		t.Errorf("connections alarm %+v", conns)
	}
	if len(s.Events.Engine) != 3 || s.Events.Engine[0].Event != slowlog.EventFailover || !s.Events.Engine[0].Time.After(s.Events.Engine[1].Time) {
		t.Errorf("engine events %+v, want the 3 newest, newest first", s.Events.Engine)
	}
	if len(s.Events.Slow) != 1 || s.Events.Slow[0].Command != "HSET ... (2 more arguments)" || s.Events.Slow[0].Args != nil {
		t.Errorf("slow commands %+v, want the arguments redacted as /api/v1/slowlog serves them", s.Events.Slow)
	}
	if s.Sources.Discovery.AgeSeconds == nil || *s.Sources.Discovery.AgeSeconds != 60 {
		t.Errorf("discovery age %v", s.Sources.Discovery.AgeSeconds)
	}
}

func TestBuildBoundsTheListsAtScale(t *testing.T) {
	d := defs(t, map[string]float64{"ElastiCacheHighConnections": 0})
	snap := syntheticSnapshot(t, d, 500, 2)
	s := Build(Input{Now: time.Now(), Snapshot: snap, Alarms: d})
	if s.Summary.Nodes != 1500 || s.Summary.Shards != 500 {
		t.Fatalf("summary %+v", s.Summary)
	}
	for _, a := range s.Alarms {
		if a.Name == "ElastiCacheHighConnections" && (len(a.Over) != maxListedPerAlarm || a.OverNotListed != 1500-maxListedPerAlarm || a.NodesOver != 1500) {
			t.Errorf("connections: %d listed, %d not listed, %d over; want %d listed of 1500", len(a.Over), a.OverNotListed, a.NodesOver, maxListedPerAlarm)
		}
	}
}

type alarmDef = alarms.Alarm

// syntheticSnapshot records one round of shards × (1 + replicas) nodes
// built from the captured INFO.
func syntheticSnapshot(t testing.TB, d []alarmDef, shards, replicas int) *Snapshot {
	t.Helper()
	rec := NewRecorder(func() []alarmDef { return d })
	base := group(t, time.Now(), 1000, 900, "10")
	primary, replica := base.Nodes[0].Info, base.Nodes[1].Info
	topo := &topology.Topology{Mode: topology.ModeCluster}
	var reads []collect.NodeRead
	for s := range shards {
		shard := fmt.Sprintf("%04d", s+1)
		for r := range 1 + replicas {
			n := topology.Node{Name: fmt.Sprintf("kafka-platform-prod-%04d-%03d", s+1, r+1), Shard: shard, Role: topology.RoleReplica,
				CacheClusterID: fmt.Sprintf("kafka-platform-prod-%04d-%03d", s+1, r+1), CacheNodeID: "0001", AvailabilityZone: "eu-west-1a"}
			n.Addr = fmt.Sprintf("10.%d.%d.%d:6379", s/250, s%250, r+1)
			info := replica
			if r == 0 {
				n.Role, info = topology.RolePrimary, primary
			}
			topo.Nodes = append(topo.Nodes, n)
			reads = append(reads, collect.NodeRead{Node: n, Info: info, ReadAt: time.Now()})
		}
	}
	if err := rec.Update(context.Background(), &collect.Input{Topology: topo, Nodes: reads}, nil); err != nil {
		t.Fatal(err)
	}
	return rec.Snapshot()
}

func TestBuildShowsMeasuredFailovers(t *testing.T) {
	d := defs(t, nil)
	topo := group(t, time.Now(), 1, 1, "1").Topology
	h := history(t, topo, time.Now().Add(-time.Hour))
	end := time.Now()
	for i, took := range []time.Duration{7 * time.Second, 5200 * time.Millisecond} {
		h.RecordFailover(collect.Failover{Shard: "0", OldPrimary: "10.0.0.1:6379", NewPrimary: "10.0.0.2:6379",
			End: end.Add(time.Duration(i) * time.Second), Duration: took, Source: collect.FailoverSourceScrape})
	}
	s := Build(Input{Topology: topo, Alarms: d, History: h})
	sh := s.Shards[0]
	if sh.FailoversMeasured != 2 || sh.LastFailoverSeconds == nil || *sh.LastFailoverSeconds != 5.2 || sh.FailoverEvents != 2 {
		t.Errorf("shard 0: %d measured (last %v s), %d engine-log lines; want 2 measured, the last 5.2 s, and the 2 delivered lines apart", sh.FailoversMeasured, sh.LastFailoverSeconds, sh.FailoverEvents)
	}
	var b bytes.Buffer
	if err := Render(&b, Page{Status: s}); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(b.String(), "the last took 5.2 s") || !strings.Contains(b.String(), "10.0.0.1:6379 → 10.0.0.2:6379, from scrape") {
		t.Errorf("the page does not show the measured failover:\n%s", b.String())
	}
}

func TestBuildListsThePrimaryFirst(t *testing.T) {
	d := defs(t, nil)
	rec := NewRecorder(func() []alarmDef { return d })
	in := group(t, time.Now(), 1, 1, "1")
	slices.Reverse(in.Nodes)
	if err := rec.Update(context.Background(), in, nil); err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, n := range Build(Input{Snapshot: rec.Snapshot(), Alarms: d}).Shards[0].Nodes {
		got = append(got, n.Name)
	}
	if want := []string{"10.0.0.1:6379", "10.0.0.2:6379", "10.0.0.3:6379"}; !slices.Equal(got, want) {
		t.Errorf("shard 0 lists %v, want %v (the primary, then the replicas by name)", got, want)
	}
}

// After a failover the dead old primary is down: the page must not call it
// the primary (the shard header names the new one), only its last known
// role, said to be that.
func TestBuildShowsTheDeadOldPrimaryAsLastSeen(t *testing.T) {
	d := defs(t, nil)
	rec := NewRecorder(func() []alarmDef { return d })
	t0 := time.Now().Add(-time.Minute)
	if err := rec.Update(context.Background(), group(t, t0, 1000, 1000, "1"), nil); err != nil {
		t.Fatal(err)
	}
	// The primary dies, the first replica is promoted; discovery has not
	// run again and still calls the old one the primary.
	in := group(t, t0.Add(10*time.Second), 1000, 1000, "1")
	promoted := captured(t, "primary.txt")
	promoted.Fields["connected_slaves"] = "0"
	in.Nodes[0].Err = errors.New("dial tcp 10.0.0.1:6379: connection refused")
	in.Nodes[1].Info = promoted
	if err := rec.Update(context.Background(), in, nil); err != nil {
		t.Fatal(err)
	}
	s := Build(Input{Snapshot: rec.Snapshot(), Alarms: d, Topology: in.Topology})
	sh := s.Shards[0]
	if sh.Primary != "10.0.0.2:6379" {
		t.Fatalf("shard header names %q, want the promoted 10.0.0.2:6379", sh.Primary)
	}
	if sh.Nodes[0].Name != "10.0.0.2:6379" {
		t.Errorf("the shard lists %s first, want the answering primary", sh.Nodes[0].Name)
	}
	old := findNode(t, s, "10.0.0.1:6379")
	if old.State != StateDown || old.Role != "primary" || old.RoleFrom != RoleFromLastSeen || old.RoleSeenAt == nil || !old.RoleSeenAt.Equal(t0) {
		t.Errorf("old primary: state %s, role %q from %q seen at %v; want down, primary from %q at %v", old.State, old.Role, old.RoleFrom, old.RoleSeenAt, RoleFromLastSeen, t0)
	}
	if n := findNode(t, s, "10.0.0.2:6379"); n.Role != "primary" || n.RoleFrom != RoleFromNode {
		t.Errorf("new primary: role %q from %q", n.Role, n.RoleFrom)
	}
	// A node that never answered: its role is discovery's, said so.
	if n := findNode(t, s, "10.0.0.3:6379"); n.RoleFrom != RoleFromDiscovery {
		t.Errorf("never-answering replica: role from %q, want %q", n.RoleFrom, RoleFromDiscovery)
	}
	var b bytes.Buffer
	if err := Render(&b, Page{Status: s}); err != nil {
		t.Fatal(err)
	}
	page := b.String()
	row := page[strings.Index(page, `data-node="10.0.0.1:6379"`):]
	row = row[:strings.Index(row, "</tr>")]
	if !strings.Contains(row, "primary (last seen") || strings.Contains(row, "<td>primary</td>") {
		t.Errorf("old primary's row does not say its role is the last seen one:\n%s", row)
	}
}

// Values a node reports are finite (redisinfo refuses NaN and Inf), but
// what the page computes from them need not be: a ratio of a huge to a
// tiny number, a difference of two huge ones. /api/v1/status must stay
// valid JSON whatever a node says, with such a value unknown.
func TestBuildStaysJSONWithHostileHugeValues(t *testing.T) {
	d := defs(t, nil)
	rec := NewRecorder(func() []alarmDef { return d })
	t0 := time.Now().Add(-time.Minute)
	for i := range 2 {
		in := group(t, t0.Add(time.Duration(i)*10*time.Second), 0, 0, "1")
		p, r := in.Nodes[0].Info, in.Nodes[1].Info
		p.Fields["used_memory"], p.Fields["maxmemory"] = "1e308", "1e-300"
		p.Fields["master_repl_offset"], r.Fields["slave_repl_offset"] = "1.7e308", "-1.7e308"
		p.Fields["used_cpu_sys_main_thread"] = []string{"-1.7e308", "1.7e308"}[i]
		p.Fields["evicted_keys"] = []string{"-1.7e308", "1.7e308"}[i]
		if err := rec.Update(context.Background(), in, nil); err != nil {
			t.Fatal(err)
		}
	}
	cw := &CloudWatchInput{Values: []cwmetrics.CachedValue{{Metric: "CurrConnections", Statistic: "Average", Node: "10.0.0.1:6379", Value: math.Inf(1)}}}
	s := Build(Input{Snapshot: rec.Snapshot(), Alarms: d, CloudWatch: cw})
	if _, err := json.Marshal(s); err != nil {
		t.Fatalf("/api/v1/status would not encode: %v", err)
	}
	if n := findNode(t, s, "10.0.0.2:6379"); n.LagBytes != nil {
		t.Errorf("replica lag bytes %v, want unknown", *n.LagBytes)
	}
	var b bytes.Buffer
	if err := Render(&b, Page{Status: s}); err != nil {
		t.Fatal(err)
	}
	if strings.Contains(b.String(), "Inf") || strings.Contains(b.String(), "NaN") {
		t.Errorf("the page shows a non-finite value")
	}
}
