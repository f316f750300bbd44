package app

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/elasticache"

	"github.com/elasticache-exporter/elasticache-exporter/internal/awstest"
	"github.com/elasticache-exporter/elasticache-exporter/internal/config"
	"github.com/elasticache-exporter/elasticache-exporter/internal/redistest"
)

// measuredFailover is the part of an /api/v1/events entry a measured
// failover carries.
type measuredFailover struct {
	Event           string    `json:"event"`
	Node            string    `json:"node"`
	Shard           string    `json:"shard"`
	Time            time.Time `json:"time"`
	Source          string    `json:"source"`
	DurationSeconds float64   `json:"duration_seconds"`
	OldPrimary      string    `json:"old_primary"`
	NewPrimary      string    `json:"new_primary"`
}

// scrapeEverySecond is Prometheus: one scrape a second until the test ends.
func scrapeEverySecond(t *testing.T, r *running, interval time.Duration) {
	ctx, cancel := context.WithCancel(context.Background())
	var scrapes sync.WaitGroup
	scrapes.Go(func() {
		tick := time.NewTicker(interval)
		defer tick.Stop()
		for {
			if resp, err := http.Get(r.srv.URL + "/metrics"); err == nil {
				resp.Body.Close()
			}
			select {
			case <-ctx.Done():
				return
			case <-tick.C:
			}
		}
	})
	t.Cleanup(func() { cancel(); scrapes.Wait() })
}

// waitReplicationHealthy waits for a scrape with the three named nodes up
// and both replicas linked.
func waitReplicationHealthy(t *testing.T, r *running, names ...string) {
	t.Helper()
	waitUntil(t, 20*time.Second, "a scrape with all three nodes up and the replicas linked", func() bool {
		fams := r.scrape(t)
		up := 0
		for _, n := range names {
			if v, ok := nodeValue(fams, "redis_up", n); ok && v == 1 {
				up++
			}
		}
		return up == len(names) && len(series(fams, "redis_master_link_up")) == len(names)-1
	})
}

// failOver kills rg's primary, promotes the first replica delay later and
// repoints the second to it.
func failOver(t *testing.T, rg *redistest.Replication, delay time.Duration) (killedAt, promotedAt time.Time) {
	t.Helper()
	killedAt = time.Now()
	rg.Primary.Kill()
	time.Sleep(delay - time.Since(killedAt))
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := rg.Replicas[0].Client(t).ReplicaOf(ctx, "NO", "ONE").Err(); err != nil {
		t.Fatalf("REPLICAOF NO ONE: %v", err)
	}
	promotedAt = time.Now()
	if err := rg.Replicas[1].Client(t).ReplicaOf(ctx, "127.0.0.1", strconv.Itoa(rg.Replicas[0].Port)).Err(); err != nil {
		t.Fatalf("REPLICAOF the new primary: %v", err)
	}
	return killedAt, promotedAt
}

// waitMeasuredFailover waits for a measured failover in /api/v1/events.
func waitMeasuredFailover(t *testing.T, r *running) measuredFailover {
	t.Helper()
	var measured measuredFailover
	waitUntil(t, 20*time.Second, "the failover in /api/v1/events", func() bool {
		code, body := r.get(t, "/api/v1/events?event=failover")
		if code != http.StatusOK {
			t.Fatalf("/api/v1/events: %d %s", code, body)
		}
		var resp struct {
			Data []measuredFailover `json:"data"`
		}
		if err := json.Unmarshal([]byte(body), &resp); err != nil {
			t.Fatalf("/api/v1/events: %v: %s", err, body)
		}
		for _, ev := range resp.Data {
			if ev.DurationSeconds > 0 {
				measured = ev
				return true
			}
		}
		return false
	})
	return measured
}

// readJitter bounds the spread of the reads within a round and of the
// ticks on a loaded machine, plus the repointed replica's partial resync.
const readJitter = 250 * time.Millisecond

// A real failover: the primary of a primary + 2 replicas group is killed,
// a replica is promoted 5 s later and the other repointed to it, while
// Prometheus scrapes every second. The exporter, seeded with all three
// addresses, keeps the dead node (redis_up 0), finds the new primary and
// measures the failover as the promotion delay within one scrape interval,
// in the histogram, the last-failover time and /api/v1/events.
func TestFailoverMeasuredEndToEnd(t *testing.T) {
	const (
		interval = time.Second
		delay    = 5 * time.Second
	)
	rg := redistest.NewReplication(t, 2, redistest.Options{})
	oldPrimary, promoted, other := rg.Primary, rg.Replicas[0], rg.Replicas[1]
	r := startApp(t, func(c *config.Config) {
		c.Redis.Addrs = []string{oldPrimary.Addr, promoted.Addr, other.Addr}
	})
	scrapeEverySecond(t, r, interval)
	waitReplicationHealthy(t, r, oldPrimary.Addr, promoted.Addr, other.Addr)
	time.Sleep(2 * interval) // a few healthy scrapes of the old primary

	killedAt, promotedAt := failOver(t, rg, delay)
	actualDelay := promotedAt.Sub(killedAt)
	measured := waitMeasuredFailover(t, r)
	t.Logf("killed the primary, promoted a replica %.3f s later; measured %.3f s (start from %s)",
		actualDelay.Seconds(), measured.DurationSeconds, measured.Source)
	// The measurement runs from the last scrape before the kill to the
	// first one after the promotion: never shorter than the delay, longer
	// by less than one interval.
	got := time.Duration(measured.DurationSeconds * float64(time.Second))
	if got < actualDelay-readJitter || got > actualDelay+interval+readJitter {
		t.Errorf("measured %s for a %s promotion delay: not within one scrape interval (%s) above it", got, actualDelay, interval)
	}
	if measured.Event != "failover" || measured.OldPrimary != oldPrimary.Addr || measured.NewPrimary != promoted.Addr ||
		measured.Node != promoted.Addr || measured.Shard != "0" || measured.Source != "scrape" || measured.Time.Before(promotedAt.Add(-time.Second)) {
		t.Errorf("event: %+v", measured)
	}

	fams := r.scrape(t)
	var count uint64
	var sum float64
	if f := fams["elasticache_exporter_failover_duration_seconds"]; f != nil {
		for _, m := range f.Metric {
			if h := m.GetHistogram(); h != nil && len(m.Label) == 1 && m.Label[0].GetValue() == "0" {
				count, sum = h.GetSampleCount(), h.GetSampleSum()
			}
		}
	}
	if count != 1 || math.Abs(sum-measured.DurationSeconds) > 1e-6 {
		t.Errorf("elasticache_exporter_failover_duration_seconds{shard=\"0\"}: count %d sum %v, want 1 and %v", count, sum, measured.DurationSeconds)
	}
	last := series(fams, "elasticache_exporter_last_failover_timestamp_seconds")["shard=0"]
	if math.Abs(last-float64(measured.Time.UnixNano())/1e9) > 1e-3 {
		t.Errorf("elasticache_exporter_last_failover_timestamp_seconds = %v, want the event's time %v", last, measured.Time)
	}
	if v, ok := nodeValue(fams, "redis_up", oldPrimary.Addr); !ok || v != 0 {
		t.Errorf("the dead primary: redis_up %v (present %v), want 0", v, ok)
	}
	if v, _ := nodeValue(fams, "redis_node_is_primary", promoted.Addr); v != 1 {
		t.Errorf("redis_node_is_primary of the new primary = %v, want 1", v)
	}
	checkFailoverOnStatusPage(t, r, measured, oldPrimary.Addr, promoted.Addr)
}

// checkFailoverOnStatusPage: the measured failover is on the status page,
// as data (/api/v1/status: the shard's count and last duration) and as
// HTML (the shard's header and the events table, old → new primary).
func checkFailoverOnStatusPage(t *testing.T, r *running, measured measuredFailover, oldPrimary, newPrimary string) {
	t.Helper()
	code, body := r.get(t, "/api/v1/status")
	if code != http.StatusOK {
		t.Fatalf("/api/v1/status: %d %s", code, body)
	}
	var status struct {
		Data struct {
			Shards []struct {
				Shard               string   `json:"shard"`
				Primary             string   `json:"primary"`
				FailoversMeasured   int      `json:"failovers_measured"`
				LastFailoverSeconds *float64 `json:"last_failover_duration_seconds"`
				Nodes               []struct {
					Node, Role, State string
					RoleFrom          string `json:"role_from"`
				} `json:"nodes"`
			} `json:"shards"`
		} `json:"data"`
	}
	if err := json.Unmarshal([]byte(body), &status); err != nil {
		t.Fatalf("/api/v1/status: %v", err)
	}
	found := false
	for _, s := range status.Data.Shards {
		if s.Shard != "0" {
			continue
		}
		found = true
		if s.FailoversMeasured != 1 || s.LastFailoverSeconds == nil || math.Abs(*s.LastFailoverSeconds-measured.DurationSeconds) > 1e-6 {
			t.Errorf("/api/v1/status shard 0: %d measured, last %v s; want 1 and %v s", s.FailoversMeasured, s.LastFailoverSeconds, measured.DurationSeconds)
		}
		if s.Primary != newPrimary {
			t.Errorf("/api/v1/status shard 0: primary %q, want %s", s.Primary, newPrimary)
		}
		// The dead old primary, while still listed, is down with the
		// role it last reported, never the shard's primary.
		for _, n := range s.Nodes {
			if n.Node == oldPrimary {
				t.Logf("/api/v1/status: the dead old primary: %+v", n)
			}
			if n.Node == oldPrimary && (n.State != "down" || (n.RoleFrom != "last_seen" && n.RoleFrom != "discovery")) {
				t.Errorf("/api/v1/status: the dead old primary is %s with role %q from %q, want down with its last known role", n.State, n.Role, n.RoleFrom)
			}
		}
	}
	if !found {
		t.Errorf("/api/v1/status has no shard 0: %s", body)
	}
	code, page := r.get(t, "/")
	if code != http.StatusOK {
		t.Fatalf("GET /: %d", code)
	}
	for _, want := range []string{"1 measured (the last took ", oldPrimary + " → " + newPrimary + ", from scrape"} {
		if !strings.Contains(page, want) {
			t.Errorf("the status page lacks %q", want)
		}
	}
	if i := strings.Index(page, `data-node="`+oldPrimary+`"`); i >= 0 {
		row := page[i:]
		row = row[:strings.Index(row, "</tr>")]
		if strings.Contains(row, "<td>primary</td>") {
			t.Errorf("the dead old primary's row calls it the primary:\n%s", row)
		}
	}
}

// With the engine log tailed, a delivered failover line between the last
// healthy scrape and the first failing one is the start: an adopted group
// whose primary is killed, with the replica's "failover election" line at
// the moment of the kill, is measured from that line.
func TestFailoverStartFromEngineLog(t *testing.T) {
	const (
		interval = time.Second
		delay    = 4 * time.Second
	)
	e := newElastiCacheEmulator(t)
	group := uniqueName("failover")
	e.createGroup(t, &elasticache.CreateReplicationGroupInput{
		ReplicationGroupId:       aws.String(group),
		NumCacheClusters:         aws.Int32(3),
		AutomaticFailoverEnabled: aws.Bool(true),
	})
	m1, m2, m3 := group+"-001", group+"-002", group+"-003"
	rg := redistest.NewReplication(t, 2, redistest.Options{})
	e.pointAt(t, m1, rg.Primary)
	e.pointAt(t, m2, rg.Replicas[0])
	e.pointAt(t, m3, rg.Replicas[1])
	lc := logsClient(e.kumoURL)
	engineGroup := "/aws/elasticache/" + group + "/engine-log"
	stream := "elasticache/redis/" + m2 + "/0001/engine-log"
	createLogStream(t, lc, engineGroup, stream)

	awstest.Env(t)
	r := startApp(t, func(c *config.Config) {
		c.ElastiCache.ReplicationGroupID = group
		c.AWS = config.AWSConfig{Region: "us-east-1", EndpointURL: e.front.srv.URL}
		c.Logs.EngineLogGroup = engineGroup
		c.Logs.PollInterval = time.Second
	})
	scrapeEverySecond(t, r, interval)
	waitReplicationHealthy(t, r, m1, m2, m3)
	time.Sleep(2 * interval)

	// The line is written at the kill, in the background: the tail reads
	// it within its 1 s poll, long before the promotion.
	lineAt := time.Now().Truncate(time.Millisecond)
	putLogLines(t, lc, engineGroup, stream, lineAt,
		fmt.Sprintf(`{"CacheClusterId":%q,"CacheNodeId":"0001","LogLevel":"NOTICE","Role":"S","Time":%q,"Message":"Starting a failover election for epoch 7."}`, m2, engineTime(lineAt)))
	killedAt, promotedAt := failOver(t, rg, delay)
	measured := waitMeasuredFailover(t, r)
	t.Logf("engine-log line at the kill, promotion %.3f s later; measured %.3f s (start from %s)",
		promotedAt.Sub(killedAt).Seconds(), measured.DurationSeconds, measured.Source)
	if measured.Source != "engine-log" || measured.OldPrimary != m1 || measured.NewPrimary != m2 || measured.Shard != "0001" {
		t.Fatalf("event: %+v", measured)
	}
	start := measured.Time.Add(-time.Duration(measured.DurationSeconds * float64(time.Second)))
	if d := start.Sub(lineAt); d < -time.Millisecond || d > time.Millisecond {
		t.Errorf("the measured failover starts at %s, the engine-log line is at %s", start, lineAt)
	}
	if got := time.Duration(measured.DurationSeconds * float64(time.Second)); got < promotedAt.Sub(lineAt)-readJitter || got > promotedAt.Sub(lineAt)+interval+readJitter {
		t.Errorf("measured %s from the line to a promotion %s after it", got, promotedAt.Sub(lineAt))
	}
}
