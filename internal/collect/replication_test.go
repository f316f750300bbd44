package collect

import (
	"fmt"
	"testing"
	"time"

	"github.com/elasticache-exporter/elasticache-exporter/internal/redisinfo"
	"github.com/elasticache-exporter/elasticache-exporter/internal/topology"
)

func TestLagSeconds(t *testing.T) {
	t0 := time.Unix(1000, 0)
	h := []offsetSample{{t0, 100}, {t0.Add(10 * time.Second), 200}, {t0.Add(20 * time.Second), 1200}}
	now := t0.Add(20 * time.Second)
	tests := []struct {
		name    string
		replica int64
		want    float64
	}{
		{"caught up", 1200, 0},
		{"ahead (read after the primary)", 1300, 0},
		{"halfway through the last interval", 700, 5},
		{"at the second sample", 200, 10},
		{"between the first two", 150, 15},
		{"older than the history", 50, 20},
	}
	for _, tt := range tests {
		if got := lagSeconds(h, tt.replica, now); got != tt.want {
			t.Errorf("%s: lagSeconds(%d) = %v, want %v", tt.name, tt.replica, got, tt.want)
		}
	}
	if got := lagSeconds(nil, 5, now); got != 0 {
		t.Errorf("no history: %v", got)
	}
}

func TestAppendSampleResetsAndTrims(t *testing.T) {
	t0 := time.Unix(0, 0)
	var h []offsetSample
	for i := 0; i < offsetHistoryMax+10; i++ {
		h = appendSample(h, offsetSample{t0.Add(time.Duration(i) * time.Second), int64(i)})
	}
	if len(h) != offsetHistoryMax {
		t.Errorf("len = %d, want %d", len(h), offsetHistoryMax)
	}
	h = appendSample(h, offsetSample{t0.Add(time.Hour), 3}) // offsets went back: new history
	if len(h) != 1 || h[0].offset != 3 {
		t.Errorf("after a reset: %v", h)
	}
	h = appendSample(h, offsetSample{t0.Add(2 * time.Hour), 4})
	if len(h) != 1 || h[0].offset != 4 {
		t.Errorf("samples older than %s kept: %v", offsetHistoryAge, h)
	}
}

func result(name, shard, role string, fields map[string]string) NodeRead {
	info := redisinfo.Info{Fields: map[string]string{"role": role}}
	for k, v := range fields {
		info.Fields[k] = v
	}
	r := topology.RolePrimary
	if role == "slave" {
		r = topology.RoleReplica
	}
	return NodeRead{Node: topology.Node{Name: name, Shard: shard, Role: r}, Info: info, ReadAt: time.Now()}
}

func TestObserveCountsOneFailoverPerPrimaryChange(t *testing.T) {
	s := newReplicationState()
	round := func(primary, replica string) replicationView {
		return s.observe([]NodeRead{
			result(primary, "0", "master", map[string]string{"master_repl_offset": "500", "connected_slaves": "1"}),
			result(replica, "0", "slave", map[string]string{"slave_repl_offset": "400", "master_link_status": "up"}),
		})
	}
	v := round("a", "b")
	if v.failovers["0"] != 0 || v.lagBytes["b"] != 100 {
		t.Fatalf("first round: %+v", v)
	}
	if v = round("a", "b"); v.failovers["0"] != 0 {
		t.Errorf("same primary counted: %+v", v.failovers)
	}
	if v = round("b", "a"); v.failovers["0"] != 1 {
		t.Errorf("failover not counted: %+v", v.failovers)
	}
	if v = round("b", "a"); v.failovers["0"] != 1 {
		t.Errorf("counted twice: %+v", v.failovers)
	}
}

func TestObserveFlagsRolesDiscoveryDoesNotKnow(t *testing.T) {
	promoted := result("b", "0", "master", map[string]string{"master_repl_offset": "1"})
	promoted.Node.Role = topology.RoleReplica // what discovery last saw
	if v := newReplicationState().observe([]NodeRead{promoted}); !v.roleMismatch {
		t.Error("a replica reporting role:master was not flagged for rediscovery")
	}
	if v := newReplicationState().observe([]NodeRead{result("a", "0", "master", nil)}); v.roleMismatch {
		t.Error("matching roles flagged")
	}
}

func TestObserveLinkDownUsesDownSince(t *testing.T) {
	s := newReplicationState()
	v := s.observe([]NodeRead{
		result("r", "0", "slave", map[string]string{"master_link_status": "down", "master_link_down_since_seconds": "42", "slave_repl_offset": "1"}),
	})
	if v.lagSeconds["r"] != 42 || v.linkDownSeconds["r"] != 42 {
		t.Errorf("lag seconds = %v, link down = %v, want 42", v.lagSeconds["r"], v.linkDownSeconds["r"])
	}
	if _, ok := v.lagBytes["r"]; ok {
		t.Error("lag bytes reported without a reachable primary")
	}
}

// Redis 7.0 reports master_link_down_since_seconds:-1 after its primary shut
// down; the exporter then counts from the first scrape that saw the link down.
func TestObserveLinkDownWithoutRedisTime(t *testing.T) {
	s := newReplicationState()
	r := result("r", "0", "slave", map[string]string{"master_link_status": "down", "master_link_down_since_seconds": "-1"})
	t0 := time.Unix(1000, 0)
	r.ReadAt = t0
	if v := s.observe([]NodeRead{r}); v.linkDownSeconds["r"] != 0 {
		t.Errorf("first sight: %v", v.linkDownSeconds["r"])
	}
	r.ReadAt = t0.Add(15 * time.Second)
	if v := s.observe([]NodeRead{r}); v.linkDownSeconds["r"] != 15 || v.lagSeconds["r"] != 15 {
		t.Errorf("15s later: link down %v, lag %v", v.linkDownSeconds["r"], v.lagSeconds["r"])
	}
	up := result("r", "0", "slave", map[string]string{"master_link_status": "up", "slave_repl_offset": "1"})
	if v := s.observe([]NodeRead{up}); len(v.linkDownSeconds) != 0 {
		t.Errorf("link up still reported down: %v", v.linkDownSeconds)
	}
	r.ReadAt = t0.Add(20 * time.Second)
	if v := s.observe([]NodeRead{r}); v.linkDownSeconds["r"] != 0 {
		t.Errorf("a new outage did not restart the count: %v", v.linkDownSeconds["r"])
	}
}

// A shard's name is its lowest slot range: resharding (or a hostile
// cluster announcing new ranges every round) names new shards. What the
// exporter keeps, and the failover series it exports, are the shards of
// the current round's topology, not of every round since it started.
func TestObserveForgetsShardsNoLongerInTheTopology(t *testing.T) {
	s := newReplicationState()
	const shards = 20
	var v replicationView
	for round := range 200 {
		var reads []NodeRead
		for i := range shards {
			shard := fmt.Sprintf("%d-%d", round*shards+i, 16383)
			reads = append(reads,
				result(fmt.Sprintf("p%d", i), shard, "master", map[string]string{"master_repl_offset": "500", "connected_slaves": "1", "slave0": "ip=127.0.0.1,port=1,state=online,offset=500,lag=0"}),
				result(fmt.Sprintf("r%d-%d", i, round), shard, "slave", map[string]string{"slave_repl_offset": "400", "master_link_status": "down"}))
		}
		v = s.observe(reads)
	}
	if len(s.failover.shards) != shards || len(s.failovers) != shards || len(s.primaryOf) != shards || len(s.history) != shards || len(s.linkDownSeen) != shards {
		t.Errorf("after 200 rounds of %d shards: kept %d failover trackers, %d counters, %d primaries, %d offset histories, %d link-down times; want %d each",
			shards, len(s.failover.shards), len(s.failovers), len(s.primaryOf), len(s.history), len(s.linkDownSeen), shards)
	}
	if len(v.failoverStats) != shards || len(v.failovers) != shards {
		t.Errorf("the round exports %d failover histograms and %d counters, want %d", len(v.failoverStats), len(v.failovers), shards)
	}
	// A round with no topology at all (discovery has nothing yet) forgets nothing.
	s.observe(nil)
	if len(s.failover.shards) != shards {
		t.Errorf("an empty round dropped the state: %d shards kept", len(s.failover.shards))
	}
}
