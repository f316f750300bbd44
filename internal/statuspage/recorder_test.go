package statuspage

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/elasticache-exporter/elasticache-exporter/internal/alarms"
	"github.com/elasticache-exporter/elasticache-exporter/internal/collect"
	"github.com/elasticache-exporter/elasticache-exporter/internal/redisinfo"
	"github.com/elasticache-exporter/elasticache-exporter/internal/topology"
)

func reading(t *testing.T, s *Snapshot, node string) NodeReading {
	t.Helper()
	for _, n := range s.Nodes {
		if n.Node.Name == node {
			return n
		}
	}
	t.Fatalf("node %s not in the snapshot", node)
	return NodeReading{}
}

func alarmReading(t *testing.T, n NodeReading, name string) AlarmReading {
	t.Helper()
	for _, a := range n.Alarms {
		if a.Alarm == name {
			return a
		}
	}
	t.Fatalf("alarm %s not read on %s", name, n.Node.Name)
	return AlarmReading{}
}

func TestRecorderReadsReplicationAlarmsAndDownNodes(t *testing.T) {
	d := defs(t, map[string]float64{"ElastiCacheReplicationLag": 5, "ElastiCacheHighConnections": 2})
	rec := NewRecorder(func() []alarms.Alarm { return d })
	t0 := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	clock := t0
	rec.now = func() time.Time { return clock }

	in := group(t, t0, 1000, 1000, "3")
	in.Nodes[0].Info.Fields["used_cpu_sys_main_thread"] = "1.0"
	in.Nodes[0].Info.Fields["used_cpu_user_main_thread"] = "0.5"
	if err := rec.Update(context.Background(), in, nil); err != nil {
		t.Fatal(err)
	}
	first := rec.Snapshot()
	if a := alarmReading(t, reading(t, first, "10.0.0.1:6379"), "ElastiCacheHighEngineCPU"); a.Has {
		t.Errorf("engine CPU from one sample: %+v, want no value (a rate needs two reads)", a)
	}

	clock = t0.Add(10 * time.Second)
	in = group(t, clock, 5000, 1000, "3")
	in.Nodes[0].Info.Fields["used_cpu_sys_main_thread"] = "5.0"
	in.Nodes[0].Info.Fields["used_cpu_user_main_thread"] = "1.5"
	if err := rec.Update(context.Background(), in, nil); err != nil {
		t.Fatal(err)
	}
	s := rec.Snapshot()

	replica := reading(t, s, "10.0.0.2:6379")
	if !replica.Up || replica.Role != topology.RoleReplica || replica.LinkStatus != "up" {
		t.Fatalf("replica: %+v", replica)
	}
	if !replica.HasLag || replica.LagBytes != 4000 || math.Abs(replica.LagSeconds-10) > 0.001 {
		t.Errorf("replica lag %v bytes %v s (has %v), want 4000 bytes, 10 s (the primary was at its offset 10 s ago)", replica.LagBytes, replica.LagSeconds, replica.HasLag)
	}
	lag := alarmReading(t, replica, "ElastiCacheReplicationLag")
	if !lag.Over || lag.Condition != "lag" || lag.Firing || lag.Value != replica.LagSeconds {
		t.Errorf("replication alarm on the lagging replica: %+v, want over (10 s > 5 s), not firing yet", lag)
	}

	down := reading(t, s, "10.0.0.3:6379")
	if down.Up || down.Error != "i/o timeout" {
		t.Errorf("stopped replica: up %v, error %q", down.Up, down.Error)
	}
	for _, a := range down.Alarms {
		if a.Has || a.Over {
			t.Errorf("a node that did not answer has alarm %s value %+v; its series are gone, so is the rule's", a.Alarm, a)
		}
	}

	primary := reading(t, s, "10.0.0.1:6379")
	cpu := alarmReading(t, primary, "ElastiCacheHighEngineCPU")
	if !cpu.Has || math.Abs(cpu.Value-50) > 0.001 || cpu.Over {
		t.Errorf("engine CPU %+v, want 50%% (5 CPU seconds in 10 s), under 90", cpu)
	}
	conns := alarmReading(t, primary, "ElastiCacheHighConnections")
	if !conns.Over || conns.Value != 3 || conns.Condition != "clients" || conns.Firing || !conns.OverSince.Equal(t0) {
		t.Errorf("connections %+v, want 3 > 2, over since the first round, not firing before 5m", conns)
	}
	if a := alarmReading(t, primary, "ElastiCacheReplicationLag"); a.Has {
		t.Errorf("replication alarm on a primary: %+v", a)
	}

	// Held for longer than `for`: firing, still since the first round.
	clock = t0.Add(6 * time.Minute)
	if err := rec.Update(context.Background(), group(t, clock, 9000, 9000, "3"), nil); err != nil {
		t.Fatal(err)
	}
	conns = alarmReading(t, reading(t, rec.Snapshot(), "10.0.0.1:6379"), "ElastiCacheHighConnections")
	if !conns.Firing || !conns.OverSince.Equal(t0) {
		t.Errorf("connections after 6m over the threshold: %+v, want firing since %v", conns, t0)
	}
	if lag := alarmReading(t, reading(t, rec.Snapshot(), "10.0.0.2:6379"), "ElastiCacheReplicationLag"); lag.Over {
		t.Errorf("a replica that caught up still over: %+v", lag)
	}
	// The earlier snapshot is not changed by later rounds.
	if reading(t, s, "10.0.0.2:6379").LagBytes != 4000 {
		t.Error("a published snapshot changed")
	}

	// Roles swapped: one failover of shard 0.
	clock = clock.Add(15 * time.Second)
	in = group(t, clock, 9000, 9000, "3")
	in.Nodes[0].Node, in.Nodes[1].Node = in.Nodes[1].Node, in.Nodes[0].Node
	if err := rec.Update(context.Background(), in, nil); err != nil {
		t.Fatal(err)
	}
	if got := rec.Snapshot().Failovers["0"]; got != 1 {
		t.Errorf("failovers of shard 0 = %d, want 1", got)
	}
}

func TestRecorderLinkDownIsOverAtOnce(t *testing.T) {
	rec := NewRecorder(func() []alarms.Alarm { return defs(t, nil) })
	in := group(t, time.Now(), 1000, 900, "1")
	in.Nodes[1].Info.Fields["master_link_status"] = "down"
	in.Nodes[1].Info.Fields["master_link_down_since_seconds"] = "42"
	if err := rec.Update(context.Background(), in, nil); err != nil {
		t.Fatal(err)
	}
	n := reading(t, rec.Snapshot(), "10.0.0.2:6379")
	a := alarmReading(t, n, "ElastiCacheReplicationLag")
	if n.HasLag || !a.Over || a.Condition != "link_down" || a.Value != 42 || a.For != time.Minute {
		t.Errorf("replica with its link down: lag %v, alarm %+v; want no lag (as the metrics), link_down over with for 1m", n.HasLag, a)
	}
}

func TestRecorderForgetsDepartedNodesAndBoundsErrors(t *testing.T) {
	rec := NewRecorder(func() []alarms.Alarm { return defs(t, nil) })
	in := group(t, time.Now(), 1, 1, "1")
	in.Nodes[2].Err = errors.New(strings.Repeat("x\x1b[31m", 500))
	if err := rec.Update(context.Background(), in, nil); err != nil {
		t.Fatal(err)
	}
	e := reading(t, rec.Snapshot(), "10.0.0.3:6379").Error
	if len(e) > maxErrorBytes+len("…") || strings.ContainsRune(e, 0x1b) {
		t.Errorf("error kept as %d bytes %q: want at most %d, no control characters", len(e), e, maxErrorBytes)
	}
	in.Topology = &topology.Topology{Nodes: in.Topology.Nodes[:1]}
	in.Nodes = in.Nodes[:1]
	if err := rec.Update(context.Background(), in, nil); err != nil {
		t.Fatal(err)
	}
	rec.mu.Lock()
	defer rec.mu.Unlock()
	if _, ok := rec.counters["10.0.0.2:6379"]; ok || len(rec.counters) != 1 {
		t.Errorf("counters kept for nodes that left: %d", len(rec.counters))
	}
}

type failing struct{ err error }

func (failing) Name() string { return "cloudwatch" }
func (f failing) Update(context.Context, *collect.Input, chan<- prometheus.Metric) error {
	if f.err == nil {
		panic("boom")
	}
	return f.err
}

func TestWatchRecordsErrorsAndPassesPanicsOn(t *testing.T) {
	rec := NewRecorder(nil)
	w := rec.Watch(failing{err: errors.New("the last CloudWatch refresh failed")})
	if w.Name() != "cloudwatch" {
		t.Errorf("name %q", w.Name())
	}
	if err := w.Update(context.Background(), nil, nil); err == nil {
		t.Fatal("the error was swallowed")
	}
	got := rec.Collectors()
	if len(got) != 1 || got[0].OK || got[0].Error != "the last CloudWatch refresh failed" {
		t.Errorf("collectors %+v", got)
	}
	func() {
		defer func() {
			if recover() == nil {
				t.Error("the panic did not reach the round")
			}
		}()
		_ = rec.Watch(failing{}).Update(context.Background(), nil, nil)
	}()
	if got := rec.Collectors(); got[0].OK || got[0].Error != "panicked: boom" {
		t.Errorf("after a panic: %+v", got)
	}
}

// BenchmarkRecorderUpdate1500Nodes is what the status collector adds to a
// round of 500 shards × 3 nodes.
func BenchmarkRecorderUpdate1500Nodes(b *testing.B) {
	d := defs(b, nil)
	base := group(b, time.Now(), 1000, 900, "10")
	topo := &topology.Topology{Mode: topology.ModeCluster}
	var reads []collect.NodeRead
	for s := range 500 {
		for r := range 3 {
			n := topology.Node{Name: fmt.Sprintf("n-%d-%d", s, r), Shard: fmt.Sprint(s), Role: topology.RoleReplica}
			info := base.Nodes[1].Info
			if r == 0 {
				n.Role, info = topology.RolePrimary, base.Nodes[0].Info
			}
			topo.Nodes = append(topo.Nodes, n)
			reads = append(reads, collect.NodeRead{Node: n, Info: info})
		}
	}
	rec := NewRecorder(func() []alarms.Alarm { return d })
	at := time.Now()
	b.ReportAllocs()
	b.ResetTimer()
	for i := range b.N {
		for j := range reads {
			reads[j].ReadAt = at.Add(time.Duration(i) * 15 * time.Second)
		}
		if err := rec.Update(context.Background(), &collect.Input{Topology: topo, Nodes: reads}, nil); err != nil {
			b.Fatal(err)
		}
	}
}

// Shards come and go (a shard is named by its lowest slot range): the
// recorder keeps the state of the topology's shards and nodes only.
func TestRecorderForgetsShardsAndNodesNoLongerInTheTopology(t *testing.T) {
	d := defs(t, nil)
	rec := NewRecorder(func() []alarms.Alarm { return d })
	base := group(t, time.Now(), 1000, 900, "10")
	at := time.Now()
	for round := range 100 {
		topo := &topology.Topology{Mode: topology.ModeCluster}
		var reads []collect.NodeRead
		for s := range 5 {
			shard := fmt.Sprintf("%d-16383", round*5+s)
			for r, info := range []redisinfo.Info{base.Nodes[0].Info, base.Nodes[1].Info} {
				n := topology.Node{Name: fmt.Sprintf("n-%d-%d-%d", round, s, r), Shard: shard}
				topo.Nodes = append(topo.Nodes, n)
				reads = append(reads, collect.NodeRead{Node: n, Info: info, ReadAt: at.Add(time.Duration(round) * time.Second)})
			}
		}
		if err := rec.Update(context.Background(), &collect.Input{Topology: topo, Nodes: reads}, nil); err != nil {
			t.Fatal(err)
		}
	}
	rec.mu.Lock()
	defer rec.mu.Unlock()
	if len(rec.primaryOf) != 5 || len(rec.failovers) > 5 || len(rec.offsets) != 5 || len(rec.counters) != 10 || len(rec.lastRole) != 10 {
		t.Errorf("after 100 rounds of 5 shards × 2 nodes: %d primaries, %d failover counts, %d offset histories, %d counter histories, %d last roles kept; want 5, at most 5, 5, 10, 10",
			len(rec.primaryOf), len(rec.failovers), len(rec.offsets), len(rec.counters), len(rec.lastRole))
	}
}

// A node's error reply is its own text: one that echoes the AUTH token it
// was sent (a hostile or misbehaving endpoint) must not put it on the page.
func TestRecorderRedactsTheSecretsFromErrors(t *testing.T) {
	const token = "tok-0123456789abcdef"
	d := defs(t, nil)
	rec := NewRecorder(func() []alarms.Alarm { return d })
	rec.SetSecrets(token, "")
	in := group(t, time.Now(), 1, 1, "1")
	in.Nodes[2].Err = errorString("WRONGPASS the password " + token + " is not valid")
	if err := rec.Update(context.Background(), in, nil); err != nil {
		t.Fatal(err)
	}
	_ = rec.Watch(collect.CollectorFunc{CollectorName: "echo", Fn: func(context.Context, *collect.Input, chan<- prometheus.Metric) error {
		return errorString("AUTH " + token + ": refused")
	}}).Update(context.Background(), in, nil)
	s := Build(Input{Snapshot: rec.Snapshot(), Collectors: rec.Collectors(), Alarms: d})
	b, err := json.Marshal(s)
	if err != nil {
		t.Fatal(err)
	}
	var page bytes.Buffer
	if err := Render(&page, Page{Status: s}); err != nil {
		t.Fatal(err)
	}
	for what, text := range map[string]string{"/api/v1/status": string(b), "the page": page.String()} {
		if strings.Contains(text, token) {
			t.Errorf("%s shows the token", what)
		}
		if !strings.Contains(text, "WRONGPASS the password "+redactedSecret) || !strings.Contains(text, "AUTH "+redactedSecret) {
			t.Errorf("%s does not show the errors with the token replaced", what)
		}
	}
}
