package collect

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"

	"github.com/elasticache-exporter/elasticache-exporter/internal/redisinfo"
	"github.com/elasticache-exporter/elasticache-exporter/internal/topology"
)

var failoverT0 = time.Date(2026, 12, 2, 7, 0, 0, 0, time.UTC)

// shardRound builds one round of a shard from a spec such as "a=P b=R c=x"
// read at second `at`: P a primary that accepts writes (listing every R of
// the round as an online replica), R a replica with its link up, r one
// with its link down, x a node that does not answer, L a primary loading
// its dataset, F a primary in the middle of a FAILOVER command, W a
// primary whose replicas are still in wait_bgsave.
func shardRound(t *testing.T, at float64, spec string) []*NodeRead {
	t.Helper()
	readAt := failoverT0.Add(time.Duration(at * float64(time.Second)))
	var reads []*NodeRead
	linked := 0
	for _, field := range strings.Fields(spec) {
		if strings.HasSuffix(field, "=R") {
			linked++
		}
	}
	for _, field := range strings.Fields(spec) {
		name, state, ok := strings.Cut(field, "=")
		if !ok {
			t.Fatalf("bad spec %q", spec)
		}
		r := &NodeRead{Node: topology.Node{Name: name, Shard: "s1"}, ReadAt: readAt}
		fields := map[string]string{}
		replicas := func(state string) {
			fields["role"] = "master"
			fields["connected_slaves"] = strconv.Itoa(linked)
			for i := range linked {
				fields["slave"+strconv.Itoa(i)] = fmt.Sprintf("ip=127.0.0.1,port=%d,state=%s,offset=1,lag=0", 7000+i, state)
			}
		}
		switch state {
		case "P":
			replicas("online")
		case "W":
			replicas("wait_bgsave")
		case "L":
			replicas("online")
			fields["loading"] = "1"
		case "F":
			replicas("online")
			fields["master_failover_state"] = "failover-in-progress"
		case "R", "r":
			fields["role"] = "slave"
			fields["master_link_status"] = map[string]string{"R": "up", "r": "down"}[state]
		case "x":
			r.Err = errors.New("connection refused")
		default:
			t.Fatalf("bad state %q in %q", state, spec)
		}
		r.Info = redisinfo.Info{Fields: fields}
		reads = append(reads, r)
	}
	return reads
}

type failoverRound struct {
	at   float64
	spec string
}

func TestFailoverDurationStateMachine(t *testing.T) {
	healthy := "a=P b=R c=R"
	tests := []struct {
		name    string
		maxWait time.Duration
		rounds  []failoverRound
		signals []FailoverSignal
		// want: "old>new duration source" per measured failover, in order;
		// "unlinked" appended when recorded at the max wait.
		want []string
	}{
		{name: "primary killed, replica promoted after 5 s, the other repointed", rounds: []failoverRound{
			{0, healthy}, {1, healthy}, {2, "a=x b=r c=r"}, {3, "a=x b=r c=r"}, {6, "a=x b=P c=r"}, {7, "a=x b=P c=R"}, {8, "a=x b=P c=R"},
		}, want: []string{"a>b 6s scrape"}},
		{name: "the new primary waits for its replicas' full sync (wait_bgsave)", rounds: []failoverRound{
			{0, healthy}, {1, "a=x b=r c=r"}, {2, "a=x b=W c=R"}, {3, "a=x b=P c=R"},
		}, want: []string{"a>b 3s scrape"}},
		{name: "flapping primary: unreachable, loading, failing over, then itself again", rounds: []failoverRound{
			{0, healthy}, {1, "a=x b=r c=r"}, {2, healthy}, {3, "a=L b=r c=r"}, {4, healthy}, {5, "a=F b=R c=R"}, {6, healthy},
			{7, "a=P b=R c=r"}, {8, healthy},
		}},
		{name: "two failovers in a row", rounds: []failoverRound{
			{0, healthy}, {1, "a=x b=r c=r"}, {3, "a=x b=P c=R"}, {4, "a=R b=P c=R"},
			{10, "a=R b=x c=r"}, {11, "a=r b=x c=r"}, {40, "a=R b=x c=P"},
		}, want: []string{"a>b 3s scrape", "b>c 36s scrape"}},
		{name: "a second failover before the first completed counts once, from the first primary", rounds: []failoverRound{
			{0, healthy}, {1, "a=x b=r c=r"}, {2, "a=x b=P c=r"}, {3, "a=x b=x c=r"}, {9, "a=x b=x c=P"},
		}, want: []string{"a>c 9s scrape"}},
		{name: "exporter started mid-failover: nothing to measure, the next one is", rounds: []failoverRound{
			{0, "a=x b=r c=r"}, {1, "a=x b=P c=r"}, {2, "a=x b=P c=R"}, {3, "a=x b=P c=R"},
			{10, "a=x b=x c=r"}, {14, "a=x b=x c=P"},
		}, want: []string{"b>c 11s scrape"}},
		{name: "a replica that answers but never re-links: recorded at the max wait, as a lower bound", maxWait: time.Minute, rounds: []failoverRound{
			{0, healthy}, {1, "a=x b=r c=r"}, {5, "a=x b=P c=r"}, {30, "a=x b=P c=r"}, {60, "a=x b=P c=r"}, {61, "a=x b=P c=r"},
			{62, "a=x b=P c=r"}, {90, "a=x b=P c=R"},
		}, want: []string{"a>b 1m0s scrape unlinked"}},
		{name: "no primary at all past the max wait: nothing recorded until one is healthy", maxWait: time.Minute, rounds: []failoverRound{
			{0, healthy}, {1, "a=x b=r c=r"}, {100, "a=x b=r c=r"}, {200, "a=x b=P c=R"},
		}, want: []string{"a>b 3m20s scrape"}},
		{name: "a replica that does not answer is not waited for", rounds: []failoverRound{
			{0, healthy}, {1, "a=x b=r c=x"}, {2, "a=x b=P c=x"},
		}, want: []string{"a>b 2s scrape"}},
		{name: "two primaries (the old one back before being demoted) are not a finished failover", rounds: []failoverRound{
			{0, healthy}, {1, "a=x b=r c=r"}, {4, "a=P b=P c=R"}, {5, "a=R b=P c=R"},
		}, want: []string{"a>b 5s scrape"}},
		{name: "a failover between two scrapes measures one interval", rounds: []failoverRound{
			{0, healthy}, {15, "a=R b=P c=R"},
		}, want: []string{"a>b 15s scrape"}},
		{name: "the clock went back: not measured, the next failover is", rounds: []failoverRound{
			{100, healthy}, {101, "a=x b=r c=r"}, {50, "a=x b=P c=R"}, {51, "a=x b=P c=R"}, {52, "a=x b=x c=r"}, {55, "a=x b=x c=P"},
		}, want: []string{"b>c 4s scrape"}},
		{name: "an engine-log line between the last healthy and the first failing scrape narrows the start", rounds: []failoverRound{
			{0, healthy}, {10, healthy}, {20, "a=x b=r c=r"}, {40, "a=x b=P c=R"},
		}, signals: []FailoverSignal{
			{Shard: "s1", Node: "b", Time: failoverT0.Add(15 * time.Second)},
			{Shard: "s1", Node: "b", Time: failoverT0.Add(12 * time.Second)},
			{Shard: "s2", Node: "z", Time: failoverT0.Add(11 * time.Second)}, // another shard
			{Shard: "s1", Node: "b", Time: failoverT0.Add(5 * time.Second)},  // before the last healthy scrape
		}, want: []string{"a>b 28s engine-log"}},
		{name: "an engine-log line after the failover was seen (the promotion) is not its start", rounds: []failoverRound{
			{0, healthy}, {10, healthy}, {20, "a=x b=r c=r"}, {40, "a=x b=P c=R"},
		}, signals: []FailoverSignal{{Shard: "s1", Node: "b", Time: failoverT0.Add(35 * time.Second)}},
			want: []string{"a>b 30s scrape"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tr := newFailoverTracker(tt.maxWait)
			signalsRead := 0
			signals := func() []FailoverSignal { signalsRead++; return tt.signals }
			var got []string
			for _, r := range tt.rounds {
				if f, ok := tr.observe("s1", shardRound(t, r.at, r.spec), signals); ok {
					s := fmt.Sprintf("%s>%s %s %s", f.OldPrimary, f.NewPrimary, f.Duration, f.Source)
					if f.Unlinked {
						s += " unlinked"
					}
					if f.Shard != "s1" || !f.End.Equal(failoverT0.Add(time.Duration(r.at*float64(time.Second)))) || f.End.Sub(f.Start) != f.Duration {
						t.Errorf("round at %vs: %+v", r.at, f)
					}
					got = append(got, s)
				}
			}
			if strings.Join(got, "; ") != strings.Join(tt.want, "; ") {
				t.Errorf("measured %q, want %q", got, tt.want)
			}
			if signalsRead > len(got)+1 {
				t.Errorf("signals read %d times for %d failovers: they are read only when one completes", signalsRead, len(got))
			}
			st := tr.shards["s1"].stats()
			if st.count != uint64(len(tt.want)) {
				t.Errorf("histogram count %d, want %d", st.count, len(tt.want))
			}
		})
	}
}

func TestFailoverHistogramBucketsAndLast(t *testing.T) {
	st := &shardFailover{buckets: make([]uint64, len(failoverBuckets))}
	for _, d := range []time.Duration{500 * time.Millisecond, 5 * time.Second, 5100 * time.Millisecond, 75 * time.Second, 11 * time.Minute} {
		st.record(Failover{Duration: d, End: failoverT0.Add(d)})
	}
	s := st.stats()
	want := map[float64]uint64{1: 1, 2: 1, 5: 2, 10: 3, 60: 3, 90: 4, 600: 4}
	for le, n := range want {
		if s.buckets[le] != n {
			t.Errorf("bucket le=%v: %d, want %d", le, s.buckets[le], n)
		}
	}
	if s.count != 5 || s.sum != 0.5+5+5.1+75+660 || !s.last.Equal(failoverT0.Add(11*time.Minute)) {
		t.Errorf("count %d sum %v last %v", s.count, s.sum, s.last)
	}
}

// The redis collector exports the histogram for every shard it has seen,
// the last-failover time once one was measured, and hands each measured
// failover to OnFailover.
func TestRedisCollectorExportsMeasuredFailovers(t *testing.T) {
	var got []Failover
	c := &redisCollector{state: newReplicationState(), onFailover: func(f Failover) { got = append(got, f) }}
	update := func(at float64, spec string) map[string]*dto.MetricFamily {
		reads := shardRound(t, at, spec)
		in := &Input{}
		for _, r := range reads {
			in.Nodes = append(in.Nodes, *r)
		}
		ch := make(chan prometheus.Metric, 1000)
		if err := c.Update(t.Context(), in, ch); err != nil && !strings.Contains(err.Error(), "none of") {
			t.Fatal(err)
		}
		close(ch)
		fams := map[string]*dto.MetricFamily{}
		for m := range ch {
			var pb dto.Metric
			if err := m.Write(&pb); err != nil {
				t.Fatal(err)
			}
			name := m.Desc().String()
			name = name[strings.Index(name, `"`)+1:]
			name = name[:strings.Index(name, `"`)]
			if fams[name] == nil {
				fams[name] = &dto.MetricFamily{}
			}
			fams[name].Metric = append(fams[name].Metric, &pb)
		}
		return fams
	}
	fams := update(0, "a=P b=R c=R")
	h := fams["elasticache_exporter_failover_duration_seconds"]
	if h == nil || len(h.Metric) != 1 || h.Metric[0].GetHistogram().GetSampleCount() != 0 {
		t.Fatalf("before any failover: %v", h)
	}
	if _, ok := fams["elasticache_exporter_last_failover_timestamp_seconds"]; ok {
		t.Error("a last-failover time before any failover")
	}
	update(1, "a=x b=r c=r")
	fams = update(6, "a=x b=P c=R")
	h = fams["elasticache_exporter_failover_duration_seconds"]
	if hist := h.Metric[0].GetHistogram(); hist.GetSampleCount() != 1 || hist.GetSampleSum() != 6 {
		t.Errorf("after one 6 s failover: %v", hist)
	}
	last := fams["elasticache_exporter_last_failover_timestamp_seconds"]
	if last == nil || last.Metric[0].GetGauge().GetValue() != float64(failoverT0.Add(6*time.Second).Unix()) {
		t.Errorf("last failover: %v", last)
	}
	if len(got) != 1 || got[0].OldPrimary != "a" || got[0].NewPrimary != "b" {
		t.Errorf("OnFailover got %+v", got)
	}
}

// connected_slaves and the slave<N> lines come from the node: a hostile or
// odd value never counts more replicas than the reply has lines for.
func TestOnlineReplicasBoundsWhatTheNodeSays(t *testing.T) {
	online := "ip=127.0.0.1,port=7000,state=online,offset=1,lag=0"
	tests := []struct {
		fields map[string]string
		want   int
	}{
		{map[string]string{"connected_slaves": "2", "slave0": online, "slave1": online}, 2},
		{map[string]string{"connected_slaves": "2", "slave0": online, "slave1": "ip=127.0.0.1,port=7001,state=wait_bgsave,offset=0,lag=0"}, 1},
		{map[string]string{"connected_slaves": "1e300", "slave0": online}, 1},
		{map[string]string{"connected_slaves": "-3", "slave0": online}, 0},
		{map[string]string{"connected_slaves": "NaN", "slave0": online}, 0},
		{map[string]string{"connected_slaves": "1", "slave0": online, "slave1": online}, 1}, // lines beyond the count
		{map[string]string{"connected_slaves": "1", "slave0": "state=online"}, 0},           // no ip/port: not a replica line
		{map[string]string{"slave0": online}, 0},
	}
	for _, tt := range tests {
		if got := onlineReplicas(redisinfo.Info{Fields: tt.fields}); got != tt.want {
			t.Errorf("%v: %d online, want %d", tt.fields, got, tt.want)
		}
	}
}

// The engine-log lines are read once per round however many shards
// complete a failover in it (a cluster whose primaries all flap every
// round would otherwise scan the history once per shard per round).
func TestObserveReadsFailoverSignalsOncePerRound(t *testing.T) {
	s := newReplicationState()
	calls := 0
	s.signals = func() []FailoverSignal { calls++; return nil }
	round := func(at float64, spec string) []NodeRead {
		var reads []NodeRead
		for shard := range 50 {
			for _, r := range shardRound(t, at, spec) {
				r.Node.Shard = strconv.Itoa(shard)
				r.Node.Name = r.Node.Shard + "/" + r.Node.Name
				reads = append(reads, *r)
			}
		}
		return reads
	}
	s.observe(round(0, "a=P b=R"))
	v := s.observe(round(1, "a=R b=P"))
	if len(v.measured) != 50 {
		t.Fatalf("%d failovers measured, want one per shard (50)", len(v.measured))
	}
	if calls != 1 {
		t.Errorf("the engine-log lines were read %d times in one round, want once", calls)
	}
}
